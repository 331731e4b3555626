import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.models import Delivery

# The longest wait a receiver's Retry-After may ask for: a hostile one must not park a delivery
# for a year (its reader would never get it, nor see it dead-lettered).
RETRY_AFTER_LIMIT = dt.timedelta(hours=24)


class DeliveryError(Exception):
    """`retry_after`: how long the other side asked us to wait before trying again, if it said;
    kept between 0 and RETRY_AFTER_LIMIT."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: dt.timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = (
            None
            if retry_after is None
            else max(dt.timedelta(0), min(retry_after, RETRY_AFTER_LIMIT))
        )


@dataclass
class Item:
    """One story in a message, with why the reader gets it."""

    alert_id: int
    headline: str
    standfirst: str
    url: str
    published_at: str
    topics: list[str]
    reasons: list[str]
    photo_credit: str
    copyright: str
    licence: str


@dataclass
class Message:
    """What every channel sends: one alert, a burst on one topic, or a digest grouped by topic."""

    delivery_id: int
    kind: str  # "alert" or "digest"
    subject: str
    items: list[Item]
    groups: dict[str, list[Item]] = field(default_factory=dict)  # digest: topic name → items
    links: dict[str, str] = field(default_factory=dict)  # unsubscribe, digest, snooze, settings


class Channel:
    name = ""

    def send(self, delivery: "Delivery", message: Message) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End a batch: release whatever `send` kept open between messages."""
