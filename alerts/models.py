import base64
import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

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


# An alert's reasons, packed on its row: "p12 a15 q20 s7" is topic 12 as the story's primary,
# topic 15 which it is about, topic 20 quoted, saved search 7. The fan-out writes them with the
# alert in one statement; a table of reasons cost a third of its rows and a fifth of its time.
ROLE_CODES = {"p": "primary", "a": "about", "m": "mention", "q": "quoted", "s": "search"}
_CODE_OF = {role: code for code, role in ROLE_CODES.items()}

ReasonKey = tuple[str, int | None, int | None]  # role, topic id, search id


def pack_reasons(keys: Iterable[ReasonKey]) -> str:
    return " ".join(f"{_CODE_OF[role]}{topic or search}" for role, topic, search in keys)


def unpack_reasons(packed: str) -> list[ReasonKey]:
    keys: list[ReasonKey] = []
    for token in packed.split():
        role = ROLE_CODES.get(token[0])
        # Only the fan-out writes them; anything else (or an id past a database integer's
        # range) is skipped rather than looked up.
        if role is None or not token[1:].isdecimal() or len(token) > 19:
            continue
        number = int(token[1:])
        keys.append((role, None, number) if role == Reason.SEARCH else (role, number, None))
    return keys


@dataclass(frozen=True)
class Reason:
    """Why an alert was sent: a matching followed topic, with its role in the story, or a
    matching saved search."""

    QUOTED: ClassVar[str] = "quoted"  # the reason of a "when this person is quoted" follow
    SEARCH: ClassVar[str] = "search"  # the reason of a saved search
    ROLE_PHRASES: ClassVar[dict[str, str]] = {
        StoryTopic.Role.PRIMARY: "the story's primary topic",
        StoryTopic.Role.ABOUT: "which the story is about",
        StoryTopic.Role.MENTION: "which the story mentions",
    }

    role: str
    topic: Topic | None = None
    search: SavedSearch | None = None

    @property
    def topic_id(self) -> int | None:
        return self.topic.pk if self.topic is not None else None

    @property
    def search_id(self) -> int | None:
        return self.search.pk if self.search is not None else None

    @property
    def label(self) -> str:
        """What groups an alert in a digest: its topic, or the search that found it."""
        if self.topic is not None:
            return self.topic.name
        assert self.search is not None
        return f"Search: {self.search.query}"

    def order(self) -> tuple[str, str, int]:
        """By role, then topic name: a digest groups an alert under its first reason."""
        return self.role, self.topic.name if self.topic is not None else "", self.search_id or 0

    def __str__(self) -> str:
        if self.search is not None:
            return f"matches your search '{self.search.query}'"
        assert self.topic is not None
        if self.role == self.QUOTED:
            return f"because {self.topic.name} is quoted"
        return f"because you follow {self.topic.name}, {self.ROLE_PHRASES[self.role]}"


def resolve_reasons(keys: Iterable[ReasonKey]) -> dict[ReasonKey, Reason]:
    """Each of these reasons with its topic or search read, two queries for all of them. A
    topic or search deleted since the alert was written is no reason any more: left out."""
    keys = set(keys)
    topics = Topic.objects.in_bulk({t for _, t, _ in keys if t is not None})
    searches = SavedSearch.objects.in_bulk({s for _, _, s in keys if s is not None})
    found: dict[ReasonKey, Reason] = {}
    for role, topic, search in keys:
        if topic is not None and topic in topics:
            found[role, topic, search] = Reason(role, topic=topics[topic])
        elif search is not None and search in searches:
            found[role, topic, search] = Reason(role, search=searches[search])
    return found


def with_reasons(alerts: Iterable["Alert"]) -> list["Alert"]:
    """These alerts, each with its `reason_list` read, in two queries for all of them."""
    alerts = list(alerts)
    keys = [alert.reason_keys() for alert in alerts]
    resolved = resolve_reasons(key for own in keys for key in own)
    for alert, own in zip(alerts, keys, strict=True):
        reasons = [resolved[k] for k in own if k in resolved]
        alert.__dict__["reason_list"] = sorted(reasons, key=Reason.order)
    return alerts


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
    reasons = models.TextField(
        blank=True, default="", help_text='Why it was sent, packed: see pack_reasons ("p12 s7").'
    )

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

    def reason_keys(self) -> list[ReasonKey]:
        return unpack_reasons(self.reasons)

    @cached_property
    def reason_list(self) -> list[Reason]:
        """Its reasons, in order; `with_reasons` reads those of many alerts at once."""
        return with_reasons([self])[0].reason_list


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
