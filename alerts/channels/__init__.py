"""Alert channels: one small class per channel, registered here.

A channel turns a Message into whatever it sends and raises DeliveryError when it cannot;
`permanent=True` means retrying would not help (a refused address, an endpoint that is gone).
"""

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.channels.email import EmailChannel
from alerts.channels.webhook import WebhookChannel

CHANNELS: dict[str, Channel] = {
    "email": EmailChannel(),
    "webhook": WebhookChannel(),
}

__all__ = ["CHANNELS", "Channel", "DeliveryError", "Message"]
