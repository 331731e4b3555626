from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Cadence
from stories.models import Story


class SavedSearchQuerySet(models.QuerySet["SavedSearch"]):
    def active(self) -> "SavedSearchQuerySet":
        now = timezone.now()
        return self.exclude(cadence=Cadence.OFF).filter(
            models.Q(muted=False),
            models.Q(snoozed_until__isnull=True) | models.Q(snoozed_until__lte=now),
        )


class SavedSearch(models.Model):
    """A reader's search that alerts them to new stories matching it, as a follow does for a
    topic: the same cadence, mute and snooze, and the reader's channels."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    query = models.CharField(
        max_length=500, help_text="As the reader typed it; checked by search.query.parse."
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.INSTANT)
    muted = models.BooleanField(default=False, help_text="Muted searches give no alerts at all.")
    snoozed_until = models.DateTimeField(
        null=True, blank=True, help_text="No alerts for stories published before this time."
    )
    version = models.PositiveBigIntegerField(
        default=0, db_index=True, help_text="The generation of its last change (percolator)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["query"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(fields=["reader", "query"], name="saved_search_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} searches '{self.query}'"

    def is_snoozed(self) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > timezone.now()


class Generation(models.Model):
    """One row counting changes to saved searches, bumped in the changing transaction, so each
    worker's warm percolator knows when, and from where, to catch up."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"generation {self.number}"


class SearchMatch(models.Model):
    """A saved search that matched a story: the percolator's answer, read by the fan-out."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="search_matches")
    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "search"], name="search_match_once"),
        ]

    def __str__(self) -> str:
        return f"{self.search} matched {self.story}"
