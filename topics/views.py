import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from stories.models import Story
from topics.charts import weekly_chart
from topics.models import Quote, StoryTopic, Topic

CHART_WEEKS = 26
RELATED_TOPICS = 8


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    if topic.merged_into_id is not None:
        survivor = topic.merged_into
        assert survivor is not None
        return redirect(survivor, permanent=True)
    stories = Story.objects.published().filter(story_topics__topic=topic).for_listing().distinct()
    page = Paginator(stories, settings.STORIES_PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    since = timezone.now() - dt.timedelta(weeks=CHART_WEEKS)
    dates = stories.filter(published_at__gte=since).values_list("published_at", flat=True)
    context = {
        "topic": topic,
        "page": page,
        "follower_count": topic.follows.count(),
        "chart": weekly_chart(
            (timezone.localtime(d) for d in dates), today=today, weeks=CHART_WEEKS
        ),
        "related": related_topics(topic),
        "quotes": latest_quotes(topic),
    }
    return render(request, "topics/topic_detail.html", context)


QUOTES_SHOWN = 5


def latest_quotes(topic: Topic) -> list[Quote]:
    """What the person (or organisation) said lately, in live stories, newest first."""
    return list(
        Quote.objects.filter(speaker_topic=topic, partial=False)
        .filter(story__in=Story.objects.published())
        .select_related("story")
        .order_by("-story__published_at", "position")[:QUOTES_SHOWN]
    )


def related_topics(topic: Topic) -> list[Topic]:
    """The topics most often central to the same stories (passing mentions do not count)."""
    central = [StoryTopic.Role.PRIMARY, StoryTopic.Role.ABOUT]
    shared = StoryTopic.objects.filter(
        topic=topic, role__in=central, story__in=Story.objects.published()
    ).values("story_id")
    return list(
        Topic.objects.live()
        .filter(story_topics__story_id__in=shared, story_topics__role__in=central)
        .exclude(pk=topic.pk)
        .annotate(shared=Count("story_topics__story", distinct=True))
        .order_by("-shared", "name")[:RELATED_TOPICS]
    )


TOPICS_FOUND = 20


def topic_index(request: HttpRequest) -> HttpResponse:
    """Every topic with a live story, by kind; with `q`, the topics whose name or an alias
    starts so (as the reader types, htmx asks for just that list)."""
    q = request.GET.get("q", "")[:100]
    found = Topic.objects.live().order_by("name").by_prefix(q, TOPICS_FOUND) if q.strip() else []
    context: dict[str, object] = {"q": q, "found": found}
    if request.headers.get("HX-Request"):
        response = render(request, "topics/topic_index.html#found", context)
        patch_vary_headers(response, ["HX-Request"])  # a cache must not mix the two answers
        return response
    topics = Topic.objects.live().filter(story_topics__story__in=Story.objects.published())
    by_kind: dict[str, list[Topic]] = {}
    for topic in topics.distinct().order_by("kind", "name"):
        by_kind.setdefault(topic.get_kind_display(), []).append(topic)
    return render(request, "topics/topic_index.html", {**context, "by_kind": by_kind})
