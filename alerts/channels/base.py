from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.models import Delivery


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


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
