from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from stories.models import Story
from topics.models import Topic


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    if topic.merged_into_id is not None:
        survivor = topic.merged_into
        assert survivor is not None
        return redirect(survivor, permanent=True)
    stories = Story.objects.published().filter(story_topics__topic=topic).for_listing().distinct()
    page = Paginator(stories, settings.STORIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"topic": topic, "page": page, "follower_count": topic.follows.count()}
    return render(request, "topics/topic_detail.html", context)


def topic_index(request: HttpRequest) -> HttpResponse:
    topics = Topic.objects.live().filter(story_topics__story__in=Story.objects.published())
    by_kind: dict[str, list[Topic]] = {}
    for topic in topics.distinct().order_by("kind", "name"):
        by_kind.setdefault(topic.get_kind_display(), []).append(topic)
    return render(request, "topics/topic_index.html", {"by_kind": by_kind})
