"""/api/v1/stories: stories with their credits and rights, and their comments. Reading
published stories is public; publishing needs an editor's token with the publish scope, and
commenting a reader's (scope follow) or the site's session with its CSRF token."""

import datetime as dt
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from accounts.forms import client_address
from accounts.models import ApiToken, User
from comments.actions import (
    RATE_WINDOW,
    CommentError,
    CommentRateLimited,
    CommentsClosed,
    post_comment,
)
from comments.models import Comment
from ingest.actions import Deduper, ingest_story
from ingest.pipeline import IngestError, parse_bytes
from stories.actions import (
    edit_story,
    ensure_publisher,
    flag_significant_update,
    publish_story,
    save_image,
    save_story,
    unique_slug,
    unpublish_story,
)
from stories.models import Publisher, Story
from stories.schemas import (
    CommentIn,
    CommentList,
    CommentOut,
    StoryIn,
    StoryOut,
    StoryPage,
    StoryPatch,
)
from tidings.apikit import (
    SIGNED_IN,
    ApiError,
    answers,
    aware,
    caller,
    decode_time_cursor,
    need,
    page_of,
)
from topics.models import Quote, StoryTopic, Topic

router = Router(tags=["stories"])
PUBLISH = ApiToken.Scope.PUBLISH.value


def rights_of(story: Story) -> dict[str, Any]:
    """What must travel with the story wherever it goes: credit, copyright and licence."""
    url = settings.SITE_URL + story.get_absolute_url()
    return {
        "byline": story.byline,
        "copyright": story.copyright_line,
        "copyright_holder": story.effective_copyright_holder,
        "copyright_year": story.effective_copyright_year,
        "licence": story.licence_label,
        "licence_code": story.effective_licence,
        "reusable": story.reusable,
        "photo_credit": story.photo_credit,
        "canonical_url": url,
        "attribution": attribution_of(story),
    }


def attribution_of(story: Story) -> str:
    if story.attribution:
        return story.attribution
    url = settings.SITE_URL + story.get_absolute_url()
    who = story.byline or story.publisher.name
    return f'"{story.headline}" by {who}, {story.publisher.name}, {url}. {story.copyright_line}'


def story_json(story: Story) -> dict[str, Any]:
    image = story.lead_image
    topics = StoryTopic.objects.filter(story=story, topic__merged_into__isnull=True)
    return {
        "id": story.pk,
        "slug": story.slug,
        "status": story.status,
        "byline": story.byline,
        "url": settings.SITE_URL + story.get_absolute_url(),
        "headline": story.headline,
        "standfirst": story.standfirst,
        "published_at": story.published_at.isoformat() if story.published_at else None,
        "body": story.paragraphs(),
        "photo": {
            "url": urljoin(settings.SITE_URL + "/", image.src),
            "alt_text": image.alt_text,
            "caption": image.display_caption,
            "credit": image.credit,
        } if image else None,
        "topics": [
            {"name": st.topic.name, "slug": st.topic.slug, "kind": st.topic.kind,
             "role": st.role, "salience": st.salience}
            for st in topics.select_related("topic").order_by("-salience")
        ],
        "comments": {
            "state": story.comments_state(),
            "count": story.comments.visible().count(),
        },
        "quotes": [
            {"text": q.text, "speaker": q.speaker_name or None,
             "speaker_topic": (q.speaker_topic.merged_into or q.speaker_topic).slug
             if q.speaker_topic else None,
             "role": q.role or None, "partial": q.partial}
            for q in story.quotes.all()
        ],
        "rights": rights_of(story),
    }  # fmt: skip


def _comment_json(comment: Comment) -> dict[str, Any]:
    deleted = comment.status == Comment.Status.DELETED
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "author": None if deleted else (comment.author.display_name or comment.author.username),
        "html": "" if deleted else comment.body_html,
        "status": comment.status,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


# --- access ----------------------------------------------------------------------------------


def _editor(request: HttpRequest) -> User:
    """An editor's publishing token: the scope, and still an editor today."""
    user = need(request, PUBLISH)
    if not _is_editor(user):
        raise ApiError(403, "not_an_editor", "only editors publish; this account is not one")
    return user


def _with_quotes(stories: QuerySet[Story]) -> QuerySet[Story]:
    """Each story's quotes and their speakers' topics in one query for the page."""
    speakers = Quote.objects.select_related("speaker_topic__merged_into")
    return stories.prefetch_related(Prefetch("quotes", queryset=speakers))


def _reloaded(story: Story) -> Story:
    """The story as written: its new topics, quotes and primary, after an action."""
    return _with_quotes(Story.objects.for_listing()).get(pk=story.pk)


def _is_editor(user: User) -> bool:
    """Today's answer, whatever the token says: staff, and allowed to write stories."""
    return user.is_active and user.is_editor and user.has_perm("stories.add_story")


def _story(request: HttpRequest, story_id: int) -> Story:
    """A live story for anyone; a draft or scheduled one only for an editor's token."""
    story = _with_quotes(Story.objects.for_listing()).filter(pk=story_id).first()
    if story is None:
        raise ApiError(404, "not_found", f"no story {story_id}")
    if not story.is_live:
        who = caller(request)
        if who.user is None or PUBLISH not in who.scopes or not _is_editor(who.user):
            raise ApiError(404, "not_found", f"no story {story_id}")
    return story


# --- stories ---------------------------------------------------------------------------------


class StoryFilters(Schema):
    topic: str | None = SchemaField(None, max_length=200, description="a topic's slug")
    since: dt.datetime | None = SchemaField(None, description="published at or after")
    cursor: str | None = SchemaField(None, max_length=500)
    limit: int = SchemaField(20, ge=1, le=100)


@router.get("", response=answers(StoryPage), summary="Published stories, newest first")
def list_stories(request: HttpRequest, filters: Query[StoryFilters]) -> dict[str, Any]:
    stories = _with_quotes(Story.objects.published().for_listing())
    if filters.topic is not None:
        topic = Topic.objects.filter(slug=filters.topic).first()
        if topic is None:
            raise ApiError(422, "invalid", f"topic: no topic {filters.topic!r}", "topic")
        stories = stories.filter(
            story_topics__topic=topic.merged_into or topic,
            story_topics__role__in=[StoryTopic.Role.PRIMARY, StoryTopic.Role.ABOUT],
        ).distinct()
    since = aware(filters.since, "since")
    if since is not None:
        stories = stories.filter(published_at__gte=since)
    if filters.cursor:
        when, last_id = decode_time_cursor(filters.cursor)
        stories = stories.filter(Q(published_at__lt=when) | Q(published_at=when, id__lt=last_id))
    # Published stories all have a publication time: the cursor keys on it.
    return page_of(
        stories, filters.limit, story_json, lambda st: (st.published_at.isoformat(), st.pk)
    )


@router.get("/{story_id}", response=answers(StoryOut, 404), summary="One story, with its rights")
def get_story(request: HttpRequest, story_id: int) -> dict[str, Any]:
    return story_json(_story(request, story_id))


@router.post(
    "", response=answers({201: StoryOut}, 404, 409), auth=SIGNED_IN, summary="Publish a story"
)
def create_story(request: HttpRequest, payload: StoryIn) -> Status[dict[str, Any]]:
    """A structured story, or `text` / `html` read by the ingest pipeline (deduplicated: a
    repeat of a stored story is refused with 409). Draft unless `"publish": true`."""
    editor = _editor(request)
    publisher = _publisher(payload.publisher)
    if payload.body is not None:
        story = _structured(payload, editor, publisher)
    else:
        story = _ingested(payload, publisher)
    if payload.comments_enabled is not None:
        story = edit_story(story, comments_enabled=payload.comments_enabled)
    if payload.publish:
        publish_story(story)
    return Status(201, story_json(_reloaded(story)))


def _publisher(slug: str | None) -> Publisher:
    if slug is not None:
        found = Publisher.objects.filter(slug=slug).first()
        if found is None:
            raise ApiError(422, "invalid", f"publisher: no publisher {slug!r}", "publisher")
        return found
    first = Publisher.objects.order_by("id").first()
    if first is not None:
        return first
    name = settings.SITE_NAME
    return ensure_publisher(unique_slug(name), name=name, copyright_holder=name)


@transaction.atomic
def _structured(payload: StoryIn, editor: User, publisher: Publisher) -> Story:
    assert payload.headline is not None and payload.body is not None
    image = None
    if payload.photo is not None:
        photo = payload.photo
        if urlsplit(photo.url).scheme != "https" or not urlsplit(photo.url).hostname:
            raise ApiError(422, "invalid", "photo.url: an https:// address", "photo.url")
        try:
            image = save_image(
                url=photo.url, alt_text=photo.alt_text, display_caption=photo.caption,
                photographer=photo.photographer, agency=photo.agency,
            )  # fmt: skip
        except ModelValidationError as exc:
            raise ApiError(422, "invalid", f"photo: {'; '.join(exc.messages)}", "photo") from None
    headline = " ".join(payload.headline.split())
    if not headline:
        raise ApiError(422, "invalid", "headline: it has no text", "headline")
    return save_story(
        unique_slug(headline),
        publisher=publisher,
        headline=headline,
        standfirst=payload.standfirst.strip(),
        byline=" ".join(payload.byline.split()),
        body="\n\n".join(" ".join(p.split()) for p in payload.body if p.strip()),
        lead_image=image,
        created_by=editor,
    )


def _ingested(payload: StoryIn, publisher: Publisher) -> Story:
    fmt = "text" if payload.text is not None else "html"
    raw = payload.text if payload.text is not None else payload.html
    assert raw is not None
    url = payload.url
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise ApiError(422, "invalid", "url: an http(s):// address", "url")
    try:
        parsed = parse_bytes(raw.encode(), fmt=fmt, url=url).story
    except IngestError as exc:
        raise ApiError(422, "unreadable", f"{fmt}: {exc}", fmt) from None
    if url and not parsed.canonical_url:
        parsed.canonical_url = url
    outcome = ingest_story(
        parsed, Deduper(persist=True), label=url or "api", source=None, publish=False
    )
    if outcome.story is None:
        original = outcome.duplicate.key.removeprefix("story:") if outcome.duplicate else ""
        raise ApiError(409, "duplicate", f"this repeats a stored story ({original})")
    if outcome.story.publisher_id != publisher.pk and payload.publisher is not None:
        outcome.story = edit_story(outcome.story, publisher=publisher)
    return outcome.story


@router.patch(
    "/{story_id}", response=answers(StoryOut, 404), auth=SIGNED_IN, summary="Edit a story"
)
def patch_story(request: HttpRequest, story_id: int, payload: StoryPatch) -> dict[str, Any]:
    """Text changes to a published story re-tag it without alerting anyone; use the
    significant-update action for that."""
    _editor(request)
    story = _story(request, story_id)
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    publish = fields.pop("publish", None)
    if "body" in fields:
        fields["body"] = "\n\n".join(" ".join(p.split()) for p in fields["body"] if p.strip())
        fields["body_format"] = Story.BodyFormat.PARAGRAPHS
    for name in ("headline", "byline"):
        if name in fields:
            fields[name] = " ".join(fields[name].split())
            if name == "headline" and not fields[name]:
                raise ApiError(422, "invalid", "headline: it has no text", "headline")
    if fields:
        try:
            story = edit_story(story, **fields)
        except ModelValidationError as exc:
            raise ApiError(422, "invalid", "; ".join(exc.messages)) from None
    if publish is True and story.status != Story.Status.PUBLISHED:
        publish_story(story)
    elif publish is False and story.status != Story.Status.DRAFT:
        unpublish_story(story)
    return story_json(_reloaded(story))


@router.post(
    "/{story_id}/significant-update",
    response=answers({202: StoryOut}, 404, 409),
    auth=SIGNED_IN,
    summary="Tell followers not yet alerted",
)
def significant_update(request: HttpRequest, story_id: int) -> Status[dict[str, Any]]:
    _editor(request)
    story = _story(request, story_id)
    if story.status != Story.Status.PUBLISHED:
        raise ApiError(
            409, "not_published", "only a published story can be updated for its followers"
        )
    flag_significant_update(story)
    return Status(202, story_json(_reloaded(story)))


# --- comments --------------------------------------------------------------------------------


@router.get("/{story_id}/comments", response=answers(CommentList, 404), summary="Comments")
def list_comments(request: HttpRequest, story_id: int) -> dict[str, Any]:
    story = _story(request, story_id)
    # As on the page: a reply shows only under a visible comment.
    rows = (
        story.comments.filter(status=Comment.Status.VISIBLE)
        .exclude(parent__status__in=[Comment.Status.HIDDEN, Comment.Status.PENDING])
        .select_related("author")
    )
    return {"state": story.comments_state(), "comments": [_comment_json(c) for c in rows]}


@router.post(
    "/{story_id}/comments",
    response=answers({201: CommentOut}, 404),
    auth=SIGNED_IN,
    summary="Post a comment",
)
def add_comment(request: HttpRequest, story_id: int, payload: CommentIn) -> Status[dict[str, Any]]:
    reader = need(request, ApiToken.Scope.FOLLOW.value)
    story = _story(request, story_id)
    if not story.is_live:
        raise ApiError(403, "comments_closed", "comments open when the story is published")
    parent = None
    if payload.parent is not None:
        # A hidden or waiting comment answers as a missing one: its id tells nothing.
        parent = Comment.objects.filter(
            pk=payload.parent, story=story, status=Comment.Status.VISIBLE
        ).first()
        if parent is None:
            raise ApiError(
                422, "invalid", f"parent: no comment {payload.parent} on this story", "parent"
            )
    try:
        comment = post_comment(
            story, reader, payload.body, parent=parent, ip_address=client_address(request),
            notify_replies=payload.notify_replies,
        )  # fmt: skip
    except CommentsClosed as exc:
        raise ApiError(403, "comments_closed", str(exc)) from None
    except CommentRateLimited as exc:
        wait = int(RATE_WINDOW.total_seconds())
        raise ApiError(429, "rate_limited", str(exc), retry_after=wait) from None
    except CommentError as exc:
        raise ApiError(422, "invalid", f"body: {exc}", "body") from None
    return Status(201, _comment_json(comment))
