import datetime as dt
import json

from django.utils import timezone
from standardwebhooks import Webhook

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.models import Delivery
from tidings.safehttp import SafeHTTPError, post

PERMANENT_RULES = {"scheme", "url", "address"}


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
            status = post(endpoint.url, payload.encode(), headers=headers)
        except SafeHTTPError as exc:
            # Only answers that will not change disable: a bad URL or a refused address. A DNS
            # lookup that fails, a timeout or a refused connection may pass: retried.
            raise DeliveryError(
                f"webhook not sent: {exc}", permanent=exc.rule in PERMANENT_RULES
            ) from None
        if status == 410:
            raise DeliveryError("the endpoint answered 410 Gone", permanent=True)
        if not 200 <= status < 300:
            raise DeliveryError(f"the endpoint answered HTTP {status}")


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
