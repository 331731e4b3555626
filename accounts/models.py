import datetime as dt
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Cadence(models.TextChoices):
    INSTANT = "instant", "Instant alerts"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "Off"


class Weekday(models.IntegerChoices):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def _new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def one_line(value: str) -> None:
    """A name goes into pages and email headers: a newline there could forge a header."""
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in value):
        raise ValidationError(
            "Use one line of ordinary characters: no line breaks, tabs or invisible characters."
        )


class User(AbstractUser):
    """A person with a login: a reader, and an editor too when `is_staff` is set.

    The reader's alert settings live here: timezone, quiet hours, digest time, channels, caps.
    """

    display_name = models.CharField(
        max_length=100,
        blank=True,
        validators=[one_line],
        help_text="Shown beside comments and in email subjects: one line, no control characters; "
        "the username when empty.",
    )
    timezone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, help_text="Digests and quiet hours use it."
    )
    quiet_start = models.TimeField(
        null=True, blank=True, help_text="Instant alerts wait from this local time…"
    )
    quiet_end = models.TimeField(null=True, blank=True, help_text="…until this one.")
    default_cadence = models.CharField(
        max_length=10,
        choices=[c for c in Cadence.choices if c[0] != Cadence.OFF],
        default=Cadence.INSTANT,
        help_text="The cadence of a new follow.",
    )
    digest_time = models.TimeField(default=dt.time(7, 0), help_text="Local time digests are sent.")
    weekly_digest_day = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    email_alerts = models.BooleanField(
        default=True, help_text="Send alerts and digests by email as well as in the site."
    )
    email_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the reader confirmed the address through our link; alert emails go "
        "only to a confirmed address.",
    )
    max_alerts_per_hour = models.PositiveSmallIntegerField(
        default=6, help_text="Instant alerts beyond this roll into the next daily digest."
    )
    max_alerts_per_day = models.PositiveSmallIntegerField(default=20)
    feed_token = models.CharField(
        max_length=64,
        unique=True,
        default=_new_feed_token,
        help_text="The secret in the address of this reader's private alerts feed.",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        constraints = [
            # One account per address, whatever its case: "Alice@x" is alice@x's.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_editor(self) -> bool:
        return self.is_staff and self.has_perm("stories.change_story")


class Throttle(models.Model):
    """A counter per key (login attempts per name or address, comments per reader) in a fixed
    window, kept in the database so that every web process sees the same count."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest counted attempt: progressive waits start here."
    )

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class ApiToken(models.Model):
    """A secret an integrator sends as `Authorization: Bearer …`. Only its SHA-256 is kept: the
    token is shown once, when it is made. Tokens are long random strings, so a fast hash is as
    good as a slow one here, and it lets a request find its token with one indexed lookup."""

    class Scope(models.TextChoices):
        READ = "read", "Read stories, topics and your own follows and alerts"
        FOLLOW = "follow", "Act as you: follow topics, mark alerts read, webhooks, comments"
        PUBLISH = "publish", "Publish and edit stories (editors only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, validators=[one_line], help_text="What it is for.")
    prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to tell tokens apart."
    )
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
