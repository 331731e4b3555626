import secrets

from django.conf import settings
from django.db import models


def _token() -> str:
    return secrets.token_urlsafe(24)


class ReuseRequest(models.Model):
    """Someone asking to republish a reusable story; an editor approves or declines it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    class Medium(models.TextChoices):
        ONLINE = "online", "Online"
        PRINT = "print", "Print"
        BROADCAST = "broadcast", "Broadcast"
        SOCIAL = "social", "Social media"
        EDUCATION = "education", "Teaching or research"
        OTHER = "other", "Other"

    story = models.ForeignKey(
        "stories.Story", on_delete=models.CASCADE, related_name="reuse_requests"
    )
    organisation = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField()
    intended_use = models.TextField(max_length=2000, help_text="What they will do with it.")
    territory = models.CharField(max_length=200, help_text='Where, e.g. "Kenya" or "worldwide".')
    medium = models.CharField(max_length=20, choices=Medium.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    answer = models.TextField(
        blank=True, help_text="The editor's message to the requester, sent with the decision."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    download_token = models.CharField(
        max_length=64,
        default=_token,
        unique=True,
        editable=False,
        help_text="The secret in the download links; they work only once approved.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.story}"
