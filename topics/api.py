"""/api/v1/topics: find a topic by the start of its name or an alias, and read one."""

from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from tidings.apikit import ApiError, answers, decode_cursor, page_of
from topics.models import StoryTopic, Topic
from topics.schemas import TopicOut, TopicPage

router = Router(tags=["topics"])


class TopicFilters(Schema):
    q: str | None = SchemaField(None, max_length=100, description="the start of a name or alias")
    kind: Topic.Kind | None = None
    cursor: str | None = SchemaField(None, max_length=500)
    limit: int = SchemaField(20, ge=1, le=100)


def _brief(topic: Topic) -> dict[str, Any]:
    return {"slug": topic.slug, "name": topic.name, "kind": topic.kind}


@router.get("", response=answers(TopicPage), summary="Topics, by name or alias prefix")
def list_topics(request: HttpRequest, filters: Query[TopicFilters]) -> dict[str, Any]:
    topics = Topic.objects.live().order_by("name", "id")
    if filters.kind is not None:
        topics = topics.filter(kind=filters.kind)
    if filters.cursor:
        name, last_id = decode_cursor(filters.cursor, 2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise ApiError(422, "invalid", "cursor: pass back a `next` value unchanged", "cursor")
        topics = topics.filter(Q(name__gt=name) | Q(name=name, id__gt=last_id))
    found = topics.by_prefix(filters.q or "", filters.limit + 1)
    return page_of(found, filters.limit, _brief, lambda t: (t.name, t.pk))


@router.get("/{slug}", response=answers(TopicOut, 404), summary="One topic")
def get_topic(request: HttpRequest, slug: str) -> dict[str, Any]:
    topic = Topic.objects.filter(slug=slug, rejected=False).select_related("merged_into").first()
    if topic is None:
        raise ApiError(404, "not_found", f"no topic {slug!r}")
    for _ in range(10):  # a merged topic answers as the one it joined (a cycle stops here)
        if topic.merged_into is None:
            break
        topic = topic.merged_into
    counted = Topic.objects.filter(pk=topic.pk).aggregate(
        followers=Count("follows", distinct=True),
        stories=Count(
            "story_topics",
            filter=Q(story_topics__role__in=[StoryTopic.Role.PRIMARY, StoryTopic.Role.ABOUT],
                     story_topics__story__status="published"),
            distinct=True,
        ),
    )  # fmt: skip
    return {
        **_brief(topic),
        "url": settings.SITE_URL + topic.get_absolute_url(),
        "aliases": [a for a in topic.aliases if isinstance(a, str)],
        "description": topic.description,
        "followers": counted["followers"],
        "stories": counted["stories"],
    }
