import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.actions import throttle
from accounts.models import User
from reuse.models import ReuseRequest
from stories.api import attribution_of
from stories.models import Story

REQUESTS_PER_HOUR = 5
DOWNLOAD_DAYS = 90


class ReuseError(ValueError):
    pass


@transaction.atomic
def request_reuse(story: Story, *, address: str = "", **fields: str) -> ReuseRequest:
    if not story.reusable:
        raise ReuseError("This story is not offered for reuse.")
    if address and not throttle(
        f"reuse:ip:{address}", limit=REQUESTS_PER_HOUR, window=dt.timedelta(hours=1)
    ):
        raise ReuseError(
            f"We take at most {REQUESTS_PER_HOUR} requests an hour from one address; "
            "please try again later."
        )
    return ReuseRequest.objects.create(story=story, **fields)


def download_urls(request: ReuseRequest) -> dict[str, str]:
    return {
        fmt: settings.SITE_URL + reverse("reuse:download", args=[request.download_token, fmt])
        for fmt in ("json", "html")
    }


def download_expired(request: ReuseRequest) -> bool:
    assert request.decided_at is not None
    return timezone.now() > request.decided_at + dt.timedelta(days=DOWNLOAD_DAYS)


@transaction.atomic
def decide_request(request: ReuseRequest, editor: User, *, approve: bool, answer: str = "") -> None:
    """Approve or decline, and email the requester the outcome once this commits."""
    if request.status != ReuseRequest.Status.PENDING:
        raise ReuseError(f"This request was already {request.get_status_display().lower()}.")
    request.status = ReuseRequest.Status.APPROVED if approve else ReuseRequest.Status.DECLINED
    request.answer = answer.strip() or request.answer
    request.decided_by, request.decided_at = editor, timezone.now()
    request.save(update_fields=["status", "answer", "decided_by", "decided_at"])
    context = {
        "request": request,
        "story": request.story,
        "downloads": download_urls(request) if approve else {},
        "days": DOWNLOAD_DAYS,
        "attribution": attribution_of(request.story),
        "SITE_NAME": settings.SITE_NAME,
    }
    subject = f"Your request to reuse “{request.story.headline}”: {request.get_status_display()}"
    body = render_to_string("reuse/decision_email.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [request.email])
    )
