from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string

from accounts.forms import client_address
from reuse.actions import ReuseError, download_expired, request_reuse
from reuse.forms import ReuseRequestForm
from reuse.models import ReuseRequest
from stories.api import rights_of, story_json
from stories.models import Story


def reuse_terms(request: HttpRequest, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    form = ReuseRequestForm(request.POST or None) if story.reusable else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            request_reuse(story, address=client_address(request), **form.cleaned_data)
        except ReuseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, "Thank you: your request is with our editors, who will answer by email."
            )
            return redirect("reuse:terms", slug=story.slug)
    context = {"story": story, "rights": rights_of(story), "form": form}
    return render(request, "reuse/terms.html", context)


def download(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """An approved request's copy of the story, credits and copyright embedded."""
    reuse = get_object_or_404(
        ReuseRequest.objects.select_related("story__publisher", "story__lead_image"),
        download_token=token,
    )
    if reuse.status != ReuseRequest.Status.APPROVED:
        raise Http404("no approved request has this link")
    if download_expired(reuse):
        return HttpResponse("This download link has expired; ask us again.", status=410)
    story = reuse.story
    data = story_json(story)
    data["licensed_to"] = {"organisation": reuse.organisation, "territory": reuse.territory,
                           "medium": reuse.get_medium_display()}  # fmt: skip
    filename = f"{story.slug}.{fmt}"
    if fmt == "json":
        response: HttpResponse = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    else:
        html = render_to_string("reuse/download.html", {"story": story, "data": data})
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
