import datetime as dt
import json

from django.utils import timezone
from django.utils.http import parse_http_date_safe
from standardwebhooks import Webhook

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.models import Delivery
from tidings.safehttp import SafeHTTPError, post

PERMANENT_RULES = {"scheme", "url", "address"}
# Where a receiver's Retry-After is honoured: it is unavailable, or we are too fast for it.
RETRY_AFTER_STATUSES = {429, 503}


class WebhookChannel(Channel):
    """Standard Webhooks: `webhook-id` stays the same across retries, so receivers can dedupe."""

    name = "webhook"

    def send(self, delivery: Delivery, message: Message) -> None:
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.enabled:
            raise DeliveryError("the webhook endpoint is disabled", permanent=True)
        payload = json.dumps(payload_of(message), ensure_ascii=False)
        msg_id = f"msg_delivery_{delivery.id}"
        now = timezone.now()
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(endpoint.secret).sign(msg_id, now, payload),
        }
        try:
            answer = post(endpoint.url, payload.encode(), headers=headers)
        except SafeHTTPError as exc:
            # Only answers that will not change disable: a bad URL or a refused address. A DNS
            # lookup that fails, a timeout, a refused or reset connection may pass: retried.
            raise DeliveryError(
                f"webhook not sent: {exc}", permanent=exc.rule in PERMANENT_RULES
            ) from None
        status = answer.status
        if status == 410:
            raise DeliveryError("the endpoint answered 410 Gone", permanent=True)
        if not 200 <= status < 300:
            error = f"the endpoint answered HTTP {status}"
            wait = None
            if status in RETRY_AFTER_STATUSES and answer.retry_after is not None:
                error += f" with Retry-After {answer.retry_after[:40]!r}"
                wait = retry_after(answer.retry_after, timezone.now())
            raise DeliveryError(error, retry_after=wait)


def retry_after(value: str, now: dt.datetime) -> dt.timedelta | None:
    """The wait a Retry-After header asks for (delay-seconds or an HTTP-date, RFC 9110
    §10.2.3); None when it is unreadable. Not bounded here: DeliveryError bounds it."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Longer than a timedelta holds is as good as forever (and int() refuses 4300 digits).
        return dt.timedelta(seconds=int(value)) if len(value) <= 9 else dt.timedelta.max
    # An HTTP-date is 24 to 30 characters; anything much longer is not one.
    when = parse_http_date_safe(value) if len(value) <= 40 else None
    if when is None:
        return None
    return max(dt.timedelta(seconds=when - now.timestamp()), dt.timedelta(0))


def payload_of(message: Message) -> dict[str, object]:
    return {
        "type": {"alert": "alert.created", "reply": "comment.replied"}.get(
            message.kind, "digest.created"
        ),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "data": {
            "subject": message.subject,
            "stories": [
                {
                    "headline": item.headline,
                    "standfirst": item.standfirst,
                    "url": item.url,
                    "published_at": item.published_at,
                    "topics": item.topics,
                    "reasons": item.reasons,
                    "photo_credit": item.photo_credit,
                    "copyright": item.copyright,
                    "licence": item.licence,
                }
                for item in message.items
            ],
        },
    }
