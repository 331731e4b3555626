import datetime as dt
import html
import re
from typing import Any

import nh3
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|div)>|<br\s*/?>", re.IGNORECASE)


class Licence(models.TextChoices):
    ALL_RIGHTS_RESERVED = "all-rights-reserved", "All rights reserved"
    CC_BY = "cc-by-4.0", "Creative Commons Attribution 4.0 (CC BY 4.0)"
    CC_BY_NC = "cc-by-nc-4.0", "Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0)"
    CC_BY_ND = "cc-by-nd-4.0", "Creative Commons Attribution-NoDerivatives 4.0 (CC BY-ND 4.0)"


class Publisher(models.Model):
    """Whoever publishes stories on this site and owns their copyright by default."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    copyright_holder = models.CharField(
        max_length=200, help_text='Named in "Copyright <holder> <year>. All rights reserved."'
    )
    default_licence = models.CharField(
        max_length=30, choices=Licence.choices, default=Licence.ALL_RIGHTS_RESERVED
    )
    website = models.URLField(blank=True)
    contact_email = models.EmailField(
        blank=True,
        help_text="Where people ask about republishing a story that is not offered for reuse.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    """A photo with its captions and credit; stored as an upload or referenced by URL."""

    file = models.ImageField(upload_to="photos/%Y/%m/", blank=True)
    url = models.URLField(blank=True, help_text="Used when there is no uploaded file.")
    alt_text = models.CharField(
        max_length=300, help_text="What the photo shows, for people who cannot see it."
    )
    display_caption = models.CharField(
        max_length=300, blank=True, help_text="The short caption shown under the photo."
    )
    caption = models.TextField(
        blank=True, help_text="The long agency caption, with its dateline, kept for the record."
    )
    photographer = models.CharField(max_length=200, blank=True)
    agency = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""), name="image_has_file_or_url"
            ),
        ]

    def __str__(self) -> str:
        return self.display_caption or self.alt_text

    @property
    def src(self) -> str:
        return self.file.url if self.file else self.url

    @property
    def credit(self) -> str:
        """The credit line as shown under the photo: "Photo by NAME/AGENCY"."""
        who = "/".join(part for part in (self.photographer, self.agency) if part)
        return f"Photo by {who}" if who else ""


def _comments_default() -> bool:
    return bool(settings.COMMENTS_ENABLED_BY_DEFAULT)


class StoryQuerySet(models.QuerySet["Story"]):
    def published(self) -> "StoryQuerySet":
        return self.filter(status=Story.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_listing(self) -> "StoryQuerySet":
        return self.select_related("publisher", "lead_image", "primary_topic").order_by(
            "-published_at", "-id"
        )


class Story(models.Model):
    """A news story: what editors write and readers follow topics to hear about."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    class BodyFormat(models.TextChoices):
        PARAGRAPHS = "paragraphs", "Plain text paragraphs"
        HTML = "html", "HTML (sanitised)"

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="stories")
    headline = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    standfirst = models.TextField(blank=True, help_text="The one- or two-sentence summary.")
    byline = models.CharField(max_length=200, blank=True, help_text='For example "Ana Costa".')
    body = models.TextField(
        help_text="Paragraphs separated by a blank line, or HTML when the format says so."
    )
    body_format = models.CharField(
        max_length=12, choices=BodyFormat.choices, default=BodyFormat.PARAGRAPHS
    )
    lead_image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it went (or goes, if scheduled) live; readers see it from then on.",
    )
    primary_topic = models.ForeignKey(
        "topics.Topic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_stories",
        help_text='The editor\'s choice for "Get alerts on <topic>"; the tagger proposes one.',
    )
    topic_hint = models.CharField(
        max_length=200,
        blank=True,
        help_text="The topic an ingested page offered alerts on; the tagger makes it primary "
        "unless an editor chose one.",
    )
    topic_hints = models.JSONField(
        default=list,
        blank=True,
        help_text="The topics an ingested page listed as its own; the tagger counts each as one "
        "the story is about.",
    )
    comments_enabled = models.BooleanField(
        default=_comments_default,
        help_text="The editor's switch; new stories start with the site's default.",
    )
    comments_premoderated = models.BooleanField(
        default=False, help_text="New comments wait for an editor's approval before showing."
    )
    reusable = models.BooleanField(
        default=False, help_text="Others may ask to republish it under its licence."
    )
    licence = models.CharField(
        max_length=30, choices=Licence.choices, blank=True, help_text="Empty: the publisher's."
    )
    copyright_holder = models.CharField(
        max_length=200, blank=True, help_text="Empty: the publisher's copyright holder."
    )
    attribution = models.CharField(
        max_length=500,
        blank=True,
        help_text="How republishers must credit the story. Empty: headline, byline, publisher, "
        "link and copyright line.",
    )
    copyright_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: the year of publication."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoryQuerySet.as_manager()

    # Not stored: what the last tagging of this instance found (topics.actions.tag_story),
    # for callers that report it, such as `manage.py ingest --json`, without tagging again.
    tag_candidates: list[Any] | None = None
    tag_quotes: list[Any] | None = None

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["status", "published_at"], name="story_status_published")]

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("stories:detail", args=[self.slug])

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def comments_state(self) -> str:
        """ "open", "off" (the editor's switch) or "closed" (older than the site's limit)."""
        if not self.comments_enabled:
            return "off"
        days = settings.COMMENTS_CLOSE_AFTER_DAYS
        if (
            days
            and self.published_at
            and self.published_at < timezone.now() - dt.timedelta(days=days)
        ):
            return "closed"
        return "open"

    def paragraphs(self) -> list[str]:
        if self.body_format == self.BodyFormat.HTML:
            blocks = _BLOCK_END.split(self.body)
            texts = (html.unescape(nh3.clean(block, tags=set())).strip() for block in blocks)
            return [" ".join(text.split()) for text in texts if text]
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    def body_html(self) -> SafeString:
        if self.body_format == self.BodyFormat.HTML:
            # Sanitised on every render so a change in the allow-list protects old stories too.
            return mark_safe(nh3.clean(self.body))  # noqa: S308
        return format_html_join("\n", "<p>{}</p>", ((p,) for p in self.paragraphs()))

    @property
    def effective_licence(self) -> str:
        return self.licence or self.publisher.default_licence

    @property
    def licence_label(self) -> str:
        return str(Licence(self.effective_licence).label)

    @property
    def photo_credit(self) -> str:
        return self.lead_image.credit if self.lead_image else ""

    @property
    def effective_copyright_holder(self) -> str:
        return self.copyright_holder or self.publisher.copyright_holder

    @property
    def effective_copyright_year(self) -> int:
        if self.copyright_year:
            return self.copyright_year
        return (self.published_at or timezone.now()).year

    @property
    def copyright_line(self) -> str:
        line = f"Copyright {self.effective_copyright_holder} {self.effective_copyright_year}."
        if self.effective_licence == Licence.ALL_RIGHTS_RESERVED:
            return f"{line} All rights reserved."
        return f"{line} Licensed under {self.licence_label}."
