from django.conf import settings
from django.db import models


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.VISIBLE)


class Comment(models.Model):
    """A reader's comment on a story, or a reply to one (one level: replies do not nest)."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        PENDING = "pending", "Waiting for approval"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted"

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
        help_text="The comment this replies to; always a top-level comment.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(
        max_length=20000, blank=True, help_text="As the reader typed it; emptied on deletion."
    )
    body_html = models.TextField(
        blank=True, help_text="The body sanitised for display (comments.render)."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.VISIBLE, db_index=True
    )
    notify_replies = models.BooleanField(
        default=False, help_text="The author asked for an alert when someone replies."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["story", "status"], name="comment_story_status")]

    def __str__(self) -> str:
        return f"{self.author} on {self.story}"

    def get_absolute_url(self) -> str:
        return f"{self.story.get_absolute_url()}#comment-{self.pk}"


class CommentReport(models.Model):
    """A reader's flag on a comment; the moderation queue is ordered by how many there are."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Abusive or hateful"
        OFF_TOPIC = "off_topic", "Off topic"
        LEGAL = "legal", "May break the law"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_reports"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a moderator acts on the comment."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.comment}"
