import base64
import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Cadence
from search.models import SavedSearch
from stories.models import Story
from topics.models import StoryTopic, Topic


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class FollowQuerySet(models.QuerySet["Follow"]):
    def active(self) -> "FollowQuerySet":
        now = timezone.now()
        return self.exclude(cadence=Cadence.OFF).filter(
            Q(muted=False), Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
        )


class Schedule(models.Model):
    """Periodic work. Any number of schedulers may tick this table: a run is claimed by moving
    `next_run_at` forward with a conditional update, so each slot runs once."""

    name = models.SlugField(max_length=100, unique=True)
    task = models.CharField(
        max_length=200, help_text="Dotted path of a django_tasks task that takes no arguments."
    )
    every = models.DurationField(help_text="Time between runs; missed runs are not caught up.")
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Follow(models.Model):
    """A reader's subscription to a topic, with how and when they want to hear of new stories."""

    class Scope(models.TextChoices):
        PRIMARY = "primary", "Only when it is the story's primary topic"
        ABOUT = "about", "Whenever the story is about it"
        MENTION = "mention", "Any mention"
        QUOTED = "quoted", "When this person is quoted"

    # No indexes of their own: (reader, topic) and (topic, reader) below lead with them.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows", db_index=False
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="follows", db_index=False
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.INSTANT)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ABOUT)
    muted = models.BooleanField(default=False, help_text="Muted follows give no alerts at all.")
    snoozed_until = models.DateTimeField(
        null=True, blank=True, help_text="No alerts for stories published before this time."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["topic__name"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "topic"], name="follow_once"),
        ]
        # The fan-out reads a topic's followers one range of reader ids at a time.
        indexes = [models.Index(fields=["topic", "reader"], name="follow_topic_reader")]

    def __str__(self) -> str:
        return f"{self.reader} follows {self.topic}"

    def is_snoozed(self) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > timezone.now()


class Event(models.Model):
    """The outbox: written in the publishing transaction, turned into alerts by the fan-out task.

    Because it commits with the story, a crash between publishing and fan-out loses nothing: the
    sweeper finds events not yet fanned out and runs them again.
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", "Published"
        UPDATED = "updated", "Significant update"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="alert_events")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PUBLISHED)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.story}"


class AlertQuerySet(models.QuerySet["Alert"]):
    def unread(self) -> "AlertQuerySet":
        return self.filter(read_at__isnull=True)

    def shown(self) -> "AlertQuerySet":
        """Alerts a reader may see: a story taken back to draft disappears from them."""
        return self.filter(story__status="published")


class Alert(models.Model):
    """One notice to one reader about one story: at most one, however many followed topics match."""

    # No index of their own: (story, reader) and (reader, read_at) below lead with them, and a
    # fan-out writes every index of every alert.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,
    )
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    # Which event wrote the alert, so that an update's fan-out gives reasons and deliveries only
    # to the alerts it wrote; read beside the story, never alone, so it needs no index. An event
    # goes with its story, and the story's alerts with it: nothing to set NULL (which would
    # read every alert without an index) and no constraint to check (which would too).
    event = models.ForeignKey(
        Event,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="alerts",
        db_index=False,
        db_constraint=False,
    )
    cadence = models.CharField(
        max_length=10,
        choices=Cadence.choices,
        help_text="Instant, or which digest it waits for: the most eager of the matching follows.",
    )
    digest = models.ForeignKey(
        "Digest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        db_index=False,  # a partial index below: a fan-out's alerts have none yet
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Story first: a fan-out's alerts are then one run at the end of the index, not one
            # entry inside each reader's, and its statements read them a range of readers at a
            # time; it also serves the story's foreign key.
            models.UniqueConstraint(fields=["story", "reader"], name="alert_once_per_story"),
        ]
        indexes = [
            models.Index(fields=["reader", "read_at"]),
            models.Index(fields=["digest"], condition=Q(digest__isnull=False), name="alert_digest"),
            # What waits for a digest, by reader: the digest schedule reads it every few
            # minutes, and it is a sliver of all alerts.
            models.Index(
                fields=["reader"],
                condition=Q(digest__isnull=True, cadence__in=["daily", "weekly"]),
                name="alert_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.story} for {self.reader}"


class AlertReason(models.Model):
    """Why an alert was sent: one row per matching followed topic, with its role in the story,
    and one per matching saved search."""

    QUOTED = "quoted"  # the reason of a "when this person is quoted" follow
    SEARCH = "search"  # the reason of a saved search
    ROLE_PHRASES: dict[str, str] = {
        StoryTopic.Role.PRIMARY: "the story's primary topic",
        StoryTopic.Role.ABOUT: "which the story is about",
        StoryTopic.Role.MENTION: "which the story mentions",
    }

    # (alert, topic) leads with the alert: no index of its own.
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="reasons", db_index=False
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, related_name="+")
    # Indexed only where set (below): most reasons are topics.
    search = models.ForeignKey(
        SavedSearch, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    role = models.CharField(
        max_length=10,
        choices=[*StoryTopic.Role.choices, ("quoted", "Quoted"), ("search", "Saved search")],
    )

    class Meta:
        ordering = ["role", "topic__name"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "topic"], name="reason_once_per_topic"),
            models.UniqueConstraint(
                fields=["alert", "search"],
                condition=Q(search__isnull=False),
                name="reason_once_per_search",
            ),
            models.CheckConstraint(
                condition=Q(topic__isnull=False) | Q(search__isnull=False),
                name="reason_has_topic_or_search",
            ),
        ]
        indexes = [
            models.Index(
                fields=["search"], condition=Q(search__isnull=False), name="reason_search"
            ),
        ]

    def __str__(self) -> str:
        if self.search is not None:
            return f"matches your search '{self.search.query}'"
        assert self.topic is not None
        if self.role == self.QUOTED:
            return f"because {self.topic.name} is quoted"
        return f"because you follow {self.topic.name}, {self.ROLE_PHRASES[self.role]}"


class Digest(models.Model):
    """One daily or weekly email per reader per period; the unique constraint makes it one even
    when several schedulers reach the same period together."""

    class Period(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField(help_text="The reader's local date the period began.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "period", "period_start"], name="digest_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} digest of {self.period_start} for {self.reader}"


class WebhookEndpoint(models.Model):
    """An HTTPS address that receives signed alert payloads (Standard Webhooks)."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="whsec_…; the receiver verifies with it.",
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def due(self, now: dt.datetime | None = None) -> "DeliveryQuerySet":
        """Waiting and due, or claimed by a worker whose lease ran out (it died mid-send)."""
        now = now or timezone.now()
        waiting = Q(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING],
                    next_attempt_at__lte=now)  # fmt: skip
        abandoned = Q(state=Delivery.State.SENDING, lease_until__lte=now)
        return self.filter(waiting | abandoned)


class Delivery(models.Model):
    """One alert (or digest) on its way through one channel: the row is the truth, the task queue
    only a doorbell. A worker claims it with a conditional update and a lease."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        MERGED = "merged", "Sent with another alert"
        ROLLED = "rolled", "Moved to the digest"
        DEAD = "dead", "Gave up"

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=20)
    # Each of these is indexed only where it is set, by the unique constraints and the partial
    # indexes below: a fan-out writes every index of every delivery, and most are NULL in it.
    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    digest = models.ForeignKey(
        Digest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    reply = models.ForeignKey(
        "comments.Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="A reply to the reader's comment, which they asked to hear of.",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        help_text="A burst on one topic goes out as one message: the delivery that carried this.",
        db_index=False,
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            # Once per channel, and for webhooks once per endpoint; one index, which also
            # serves the lookups by alert (COALESCE: NULLs are distinct in a unique index).
            models.UniqueConstraint(
                F("alert"),
                F("channel"),
                Coalesce(F("endpoint"), 0),
                condition=Q(alert__isnull=False),
                name="delivery_once_per_alert",
            ),
            models.UniqueConstraint(
                fields=["digest", "channel"],
                condition=Q(digest__isnull=False),
                name="delivery_once_per_digest_channel",
            ),
            models.UniqueConstraint(
                F("reply"),
                F("reader"),
                F("channel"),
                Coalesce(F("endpoint"), 0),
                condition=Q(reply__isnull=False),
                name="delivery_once_per_reply",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(
                fields=["endpoint"],
                condition=Q(endpoint__isnull=False),
                name="delivery_endpoint",
            ),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="delivery_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.id} ({self.state})"
