"""Signed one-click links in alerts: unfollow, switch to digest, snooze. They need no login, so
the signature is the permission; they name the reader and the topics, nothing else."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "alerts.one-click"
MAX_AGE = 60 * 60 * 24 * 90  # links in old emails keep working for three months
ACTIONS = ("unfollow", "digest", "snooze")


def make_token(action: str, reader_id: int, topic_ids: list[int]) -> str:
    return signing.dumps({"a": action, "r": reader_id, "t": sorted(topic_ids)}, salt=SALT)


def read_token(token: str) -> tuple[str, int, list[int]]:
    """(action, reader id, topic ids); raises signing.BadSignature for a forged or old link."""
    data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    if data.get("a") not in ACTIONS:
        raise signing.BadSignature("unknown action")
    return data["a"], int(data["r"]), [int(t) for t in data["t"]]


def one_click_url(action: str, reader_id: int, topic_ids: list[int]) -> str:
    path = reverse("alerts:one_click", args=[make_token(action, reader_id, topic_ids)])
    return settings.SITE_URL + path
