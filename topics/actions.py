from django.db import transaction
from django.utils.text import slugify

from stories.models import Story
from topics.models import StoryTopic, Topic


@transaction.atomic
def sync_primary_topic(story: Story) -> None:
    """Make the story's primary topic, if any, its only StoryTopic in the primary role.

    The editor's choice always wins: any other row marked primary is demoted to "about".
    """
    if story.primary_topic_id is None:
        return
    rows = StoryTopic.objects.filter(story=story, role=StoryTopic.Role.PRIMARY)
    rows.exclude(topic_id=story.primary_topic_id).update(role=StoryTopic.Role.ABOUT)
    StoryTopic.objects.update_or_create(
        story=story,
        topic_id=story.primary_topic_id,
        defaults={"role": StoryTopic.Role.PRIMARY, "salience": 1.0},
    )


@transaction.atomic
def attach_topic(
    story: Story,
    topic_id: int,
    *,
    role: str = StoryTopic.Role.ABOUT,
    salience: float = 0.5,
    origin: str = StoryTopic.Origin.EDITOR,
) -> StoryTopic:
    story_topic, _ = StoryTopic.objects.update_or_create(
        story=story,
        topic_id=topic_id,
        defaults={"role": role, "salience": salience, "origin": origin},
    )
    return story_topic


@transaction.atomic
def attach_ranked_topics(story: Story, topic_ids: list[int]) -> None:
    """Attach topics in the editor's order: the first is primary, salience falls with rank."""
    for rank, topic_id in enumerate(topic_ids):
        role = StoryTopic.Role.PRIMARY if rank == 0 else StoryTopic.Role.ABOUT
        attach_topic(story, topic_id, role=role, salience=1.0 - rank / 10)


def ensure_topic(name: str, kind: str, *, aliases: list[str] | None = None, **extra: str) -> Topic:
    """The live topic with this slug, created (reviewed, as an editor's) if missing."""
    topic, created = Topic.objects.get_or_create(
        slug=slugify(name),
        defaults={"name": name, "kind": kind, "aliases": aliases or [], "reviewed": True, **extra},
    )
    if not created and topic.merged_into_id is not None:
        survivor = topic.merged_into
        assert survivor is not None
        return survivor
    return topic
