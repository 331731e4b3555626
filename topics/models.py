from typing import Any

from django.db import models
from django.urls import reverse

from tidings.folding import fold


def folded_names(name: str, aliases: object) -> str:
    names = (
        [name, *(a for a in aliases if isinstance(a, str))] if isinstance(aliases, list) else [name]
    )
    return "\n".join(fold(" ".join(n.split())) for n in names)


def _starts(text: str, prefix: str) -> bool:
    """A name or alias matches when it, or one of its words, starts with the prefix."""
    return text.startswith(prefix) or any(word.startswith(prefix) for word in text.split())


class TopicQuerySet(models.QuerySet["Topic"]):
    def live(self) -> "TopicQuerySet":
        return self.filter(merged_into__isnull=True, rejected=False)

    def by_prefix(self, text: str, limit: int) -> list["Topic"]:
        """Up to `limit` topics, in this queryset's order, whose name or an alias (or one of
        their words) starts with `text`, case aside."""
        prefix = fold(" ".join(text.split()))
        if not prefix:
            return list(self[:limit])
        found: list[Topic] = []
        # The database narrows (the folded names contain the prefix); the exact rule, "a name
        # or one of its words starts with it", is applied here, name by name.
        narrowed = self.filter(folded_names__contains=prefix)
        for topic in narrowed.iterator(chunk_size=500):
            if any(_starts(name, prefix) for name in topic.folded_names.split("\n")):
                found.append(topic)
                if len(found) >= limit:
                    break
        return found


class Topic(models.Model):
    """A person, organisation, place or theme that stories are about and readers follow."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        PLACE = "place", "Place"
        THEME = "theme", "Theme"

    name = models.CharField(max_length=200, help_text="Display name, as readers see it.")
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names the topic goes by (acronyms, short forms); matched like the name.",
    )
    description = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_topics",
        help_text="Set when this topic was merged: its URLs redirect to the survivor.",
    )
    reviewed = models.BooleanField(
        default=False, help_text="An editor has checked this topic; the tagger creates unreviewed."
    )
    rejected = models.BooleanField(
        default=False,
        help_text='An editor\'s "not a topic": the tagger never proposes it again, under its '
        "name or any alias, on any later story.",
    )
    folded_names = models.TextField(
        blank=True,
        editable=False,
        help_text="The name and aliases, one a line, folded (tidings.folding): how the topic "
        "finder matches what a reader types.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(
        auto_now=True, help_text="Any change rebuilds the tagger's registry in every process."
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.folded_names = folded_names(self.name, self.aliases)
        fields = kwargs.get("update_fields")
        if fields is not None and {"name", "aliases"} & set(fields):
            kwargs["update_fields"] = [*fields, "folded_names"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("topics:detail", args=[self.slug])


class StoryTopic(models.Model):
    """That a story is about a topic, how much, and who said so."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        ABOUT = "about", "About"
        MENTION = "mention", "Mention"

    class Origin(models.TextChoices):
        EDITOR = "editor", "Editor"
        TAGGER = "tagger", "Tagger"

    story = models.ForeignKey(
        "stories.Story", on_delete=models.CASCADE, related_name="story_topics"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="story_topics")
    salience = models.FloatField(
        default=0.0,
        help_text="0 to 1: how central the topic is to the story; orders the topic list.",
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ABOUT)
    origin = models.CharField(
        max_length=10,
        choices=Origin.choices,
        default=Origin.EDITOR,
        help_text="Editor rows are never removed or overridden by re-tagging.",
    )
    quoted = models.BooleanField(
        default=False, help_text="The story quotes it (a person or organisation speaking)."
    )
    evidence = models.JSONField(
        default=dict,
        blank=True,
        help_text="Why the tagger proposed it: mentions, the forms the story used, whether the "
        "registry knew it, the kind and what decided it.",
    )

    class Meta:
        ordering = ["-salience", "topic__name"]
        constraints = [
            models.UniqueConstraint(fields=["story", "topic"], name="unique_story_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.story} → {self.topic} ({self.role})"


class Quote(models.Model):
    """A direct quote in a story and who said it (topics.tagging.quotes); written with the
    story's topics, replaced when it is re-tagged."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="quotes")
    position = models.PositiveIntegerField(help_text="Its order in the story.")
    text = models.TextField()
    partial = models.BooleanField(
        default=False, help_text="A few quoted words inside a sentence, not a statement."
    )
    speaker_name = models.CharField(max_length=200, blank=True)
    speaker_topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    role = models.CharField(max_length=300, blank=True, help_text='"head of …", as the story says.')
    pattern = models.CharField(max_length=40, blank=True, help_text="What found the speaker.")

    class Meta:
        ordering = ["story", "position"]
        indexes = [models.Index(fields=["speaker_topic", "story"], name="quote_speaker_story")]

    def __str__(self) -> str:
        return f"{self.speaker_name or 'unattributed'}: {self.text[:60]}"

    @property
    def display_text(self) -> str:
        """As a pull quote shows it: the comma that led into "she said" dropped."""
        return self.text.rstrip(" ,")
