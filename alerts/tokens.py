"""Signed one-click links in alerts: unfollow, switch to digest, snooze. They need no login, so
the signature is the permission; they name the reader and the follows (and saved searches) they
act on, nothing else.
A follow removed and made again is a new row, so an old email's link no longer touches it."""

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "alerts.one-click"
MAX_AGE = 60 * 60 * 24 * 90  # links in old emails keep working for three months
ACTIONS = ("unfollow", "digest", "snooze")


def make_token(
    action: str, reader_id: int, follow_ids: list[int], search_ids: list[int] | None = None
) -> str:
    data: dict[str, object] = {"a": action, "r": reader_id, "f": sorted(follow_ids)}
    if search_ids:
        data["s"] = sorted(search_ids)
    return signing.dumps(data, salt=SALT)


def read_token(token: str) -> tuple[str, int, list[int], list[int]]:
    """(action, reader id, follow ids, saved search ids); raises signing.BadSignature for a
    forged or old link."""
    data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    if data.get("a") not in ACTIONS or "f" not in data:
        raise signing.BadSignature("unknown action")
    searches = [int(s) for s in data.get("s", [])]
    return data["a"], int(data["r"]), [int(f) for f in data["f"]], searches


def one_click_url(
    action: str, reader_id: int, follow_ids: list[int], search_ids: list[int] | None = None
) -> str:
    token = make_token(action, reader_id, follow_ids, search_ids)
    # Reversed once: a batch of alert emails makes three of these per reader.
    return settings.SITE_URL + _one_click_path().replace("TOKEN", token)


@functools.cache
def _one_click_path() -> str:
    return reverse("alerts:one_click", args=["TOKEN"])
