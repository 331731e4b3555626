import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from stories.models import Publisher, Story


class Source(models.Model):
    """An RSS/Atom feed that the scheduler polls for new stories."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=300, blank=True, help_text="Taken from the feed if empty.")
    publisher = models.ForeignKey(
        Publisher,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Owner of the stories; when empty, found from each page's site name.",
    )
    publish = models.BooleanField(
        default=False,
        help_text="Publish new stories at once; otherwise they wait as drafts for an editor.",
    )
    poll_every = models.DurationField(default=dt.timedelta(minutes=15))
    paused = models.BooleanField(default=False)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed polls in a row; each one doubles the wait, up to a day."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.title or self.url


class Fingerprint(models.Model):
    """What dedupe compares a new story with, stored so that it is not recomputed on every run."""

    story = models.OneToOneField(
        Story, on_delete=models.CASCADE, primary_key=True, related_name="fingerprint"
    )
    content_hash = models.CharField(max_length=64, db_index=True)
    canonical_url = models.URLField(max_length=2000, blank=True, db_index=True)
    signature = models.BinaryField(help_text="MinHash of the headline and body.")
    shingles = models.PositiveIntegerField(
        default=0, help_text="How many five-word shingles the text has (0: not recorded)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"fingerprint of story {self.story_id}"


class IngestedItem(models.Model):
    """Each entry or page ingest has taken in: the story it became, or the story it repeats.

    A repeat is linked to the earlier story and never becomes a story itself, so it can never
    be published or alert twice.
    """

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="items"
    )
    key = models.CharField(max_length=64, help_text="SHA-256 of the entry's GUID, URL or input.")
    guid = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)
    story = models.ForeignKey(
        Story, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        Story, on_delete=models.CASCADE, null=True, blank=True, related_name="duplicates"
    )
    similarity = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"],
                condition=Q(source__isnull=False),
                name="item_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.guid or self.url or self.key
