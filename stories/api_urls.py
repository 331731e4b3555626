"""The first API's addresses (/api/stories/…, by slug) answer with a permanent redirect to
their /api/v1/ equivalents (by id); 308 keeps a POST a POST."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import path

from stories.models import Story


class _Moved(HttpResponsePermanentRedirect):
    status_code = 308


def _v1(request: HttpRequest, slug: str | None = None, tail: str = "") -> HttpResponse:
    target = "/api/v1/stories"
    if slug is not None:
        story = get_object_or_404(Story.objects.published(), slug=slug)
        target += f"/{story.pk}{tail}"
    query = request.META.get("QUERY_STRING", "")
    return _Moved(target + (f"?{query}" if query else ""))


app_name = "api"
urlpatterns = [
    path("stories/", _v1, name="stories"),
    path("stories/<slug:slug>/", _v1, name="story"),
    path("stories/<slug:slug>/comments/", _v1, {"tail": "/comments"}, name="comments"),
]
