import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from alerts.actions import queue_fan_out
from alerts.models import Event
from search.actions import index_story
from stories.models import Image, Publisher, Story
from topics.actions import Reading, read_story, tag_story


def publish_story(story: Story, *, at: dt.datetime | None = None) -> Story:
    """Publish now, or schedule for `at` when that lies in the future.

    Re-publishing a live story keeps its original publication time.
    """
    # The story is read (tagged) before the transaction, so that the write lock is held only
    # for the writes: under a stream of publishes the fan-out and the deliveries need it too.
    # Inside a caller's transaction this gains nothing and costs nothing.
    reading = read_story(story) if at is None or at <= timezone.now() else None
    return _publish(story, at, reading)


@transaction.atomic
def _publish(story: Story, at: dt.datetime | None, reading: Reading | None) -> Story:
    now = timezone.now()
    if at is not None and at > now:
        story.status = Story.Status.SCHEDULED
        story.published_at = at
    else:
        story.status = Story.Status.PUBLISHED
        if at is not None:
            story.published_at = at
        elif story.published_at is None or story.published_at > now:
            story.published_at = now
    if story.copyright_year is None and story.status == Story.Status.PUBLISHED:
        assert story.published_at is not None
        story.copyright_year = story.published_at.year
    story.save(update_fields=["status", "published_at", "copyright_year", "updated_at"])
    if story.status == Story.Status.PUBLISHED:
        # Tagged in this transaction, so the fan-out sees the topics the story went out with.
        tag_story(story, reading)  # and indexes it (topics.signals.stories_retopiced → search)
        # The outbox write commits with the story; alerts go once, on first publication.
        if not story.alert_events.filter(kind=Event.Kind.PUBLISHED).exists():
            queue_fan_out(story, Event.Kind.PUBLISHED)
    else:
        index_story(story)  # a live story moved to a later time is not found until then
        # Imported here: stories.tasks imports this module.
        from stories.tasks import publish_scheduled_story

        story_id, run_after = story.id, story.published_at
        transaction.on_commit(
            lambda: publish_scheduled_story.using(run_after=run_after).enqueue(story_id)
        )
    return story


@transaction.atomic
def flag_significant_update(story: Story) -> None:
    """An editor's "this changed enough to tell followers": readers not yet alerted about the
    story (new followers, newly added topics) get an alert; nobody gets a second one."""
    if story.status != Story.Status.PUBLISHED:
        raise ValueError("only a published story can be updated for its followers")
    tag_story(story)  # and indexes it again
    queue_fan_out(story, Event.Kind.UPDATED)


@transaction.atomic
def unpublish_story(story: Story) -> Story:
    story.status = Story.Status.DRAFT
    story.save(update_fields=["status", "updated_at"])
    index_story(story)
    return story


def publish_if_due(story_id: int) -> bool:
    """Publish one scheduled story if its time has come; False when there is nothing to do.

    The conditional update is the claim, so two workers (or a task and the sweeper) cannot both
    publish it, and a task left over from an earlier schedule finds the story not yet due.
    """
    with transaction.atomic():
        claimed = Story.objects.filter(
            id=story_id, status=Story.Status.SCHEDULED, published_at__lte=timezone.now()
        ).update(status=Story.Status.PUBLISHED)
        if claimed:
            publish_story(Story.objects.get(id=story_id))
    return bool(claimed)


def publish_due_stories() -> int:
    """Publish every scheduled story whose time has come; safe to run from any number of workers."""
    due = Story.objects.filter(status=Story.Status.SCHEDULED, published_at__lte=timezone.now())
    return sum(publish_if_due(story_id) for story_id in due.values_list("id", flat=True))


def unique_slug(headline: str) -> str:
    """A slug for a new story: the headline's, numbered when taken."""
    base = slugify(headline)[:180] or "story"
    slug, n = base, 1
    while Story.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# Changing these changes what the story is about: a published story is tagged again.
TEXT_FIELDS = frozenset({"headline", "standfirst", "body", "byline"})


@transaction.atomic
def edit_story(story: Story, **fields: Any) -> Story:
    """Save an editor's changes. A published story whose text changed is re-tagged; its
    followers hear of it only through a significant update (`flag_significant_update`)."""
    for name, value in fields.items():
        setattr(story, name, value)
    story.full_clean(exclude=["slug"])
    story.save()
    if story.status == Story.Status.PUBLISHED and TEXT_FIELDS & set(fields):
        tag_story(story)  # and indexes it again
    else:
        index_story(story)
    return story


@transaction.atomic
def save_story(slug: str, **fields: Any) -> Story:
    """Create or update the story with this slug; publishing is a separate, explicit step."""
    story, _ = Story.objects.update_or_create(slug=slug, defaults=fields)
    return story


@transaction.atomic
def save_image(*, content: bytes | None = None, filename: str = "", **fields: Any) -> Image:
    image = Image(**fields)
    if content is not None:
        image.file.save(filename, ContentFile(content), save=False)
    image.full_clean()
    image.save()
    return image


@transaction.atomic
def ensure_publisher(slug: str, **fields: Any) -> Publisher:
    publisher, _ = Publisher.objects.update_or_create(slug=slug, defaults=fields)
    return publisher
