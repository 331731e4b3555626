"""What every API router uses: who is calling, what they may do, errors, cursors.

Who is calling is decided once per request (`Caller`): a bearer token, else the site's own
session (with its CSRF check on writes), else an anonymous reader of public content. Each
operation then asks for what it needs with `need(request, scope)`.
"""

import base64
import datetime as dt
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Schema
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle

from accounts.actions import allowed_scopes, find_api_token
from accounts.forms import client_address
from accounts.models import ApiToken, User


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class Error(Schema):
    error: ErrorDetail


class ApiError(Exception):
    """Raised by an operation: becomes the JSON error answer with this status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after


# Every operation may answer these; declared so the schema tells clients (and schemathesis
# checks) the whole truth.
COMMON_ERRORS: dict[int, Any] = {
    400: Error,
    401: Error,
    403: Error,
    413: Error,
    422: Error,
    429: Error,
}


def answers(ok: dict[int, Any] | Any, *extra: int) -> dict[int, Any]:
    """The `response=` of an operation: its success shapes, the common errors, and `extra`
    statuses (404, 409) that only some operations give."""
    shapes = dict(ok) if isinstance(ok, dict) else {200: ok}
    return {**shapes, **COMMON_ERRORS, **dict.fromkeys(extra, Error)}


@dataclass
class Caller:
    user: User | None
    token: ApiToken | None = None
    scopes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return True  # ninja treats a falsy result as "not authenticated"

    @property
    def key(self) -> str:
        if self.token is not None:
            return f"token:{self.token.pk}"
        return f"user:{self.user.pk}" if self.user is not None else ""


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is None:
            return None  # the next way of signing in may apply
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ApiError(401, "unauthenticated", "send the token as: Authorization: Bearer TOKEN")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        found = find_api_token(token)
        if found is None:
            # A token that was sent and is wrong is an error, not an anonymous visit; and
            # guesses count against the address like any call without a token.
            count_anonymous(request)
            raise ApiError(401, "invalid_token", "this token is unknown, revoked or expired")
        return Caller(found.user, found, set(found.scopes))


class SiteSession(APIKeyCookie):
    """The site's own pages: the session cookie, with Django's CSRF check on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: not a visit from the site's pages, so no CSRF question either
        # (the caller then hears 401, not a puzzling 403 about CSRF).
        if not request.COOKIES.get(self.param_name):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if isinstance(user, User) and user.is_active:
            return Caller(user, None, allowed_scopes(user))
        return None


class Anyone:
    """Public reads need no sign-in; operations that do call `need`."""

    def __call__(self, request: HttpRequest) -> Caller:
        return Caller(None)


# Operations that act for someone: checked before the body is read, so a stranger learns
# nothing about what would have been accepted.
SIGNED_IN = [BearerToken(), SiteSession(csrf=True)]


def caller(request: HttpRequest) -> Caller:
    found = getattr(request, "auth", None)
    return found if isinstance(found, Caller) else Caller(None)


def need(request: HttpRequest, scope: str) -> User:
    """The signed-in user, if the token (or session) carries `scope`; else the error."""
    who = caller(request)
    if who.user is None:
        raise ApiError(401, "unauthenticated", "this needs a token: Authorization: Bearer TOKEN")
    if scope not in who.scopes:
        raise ApiError(403, "insufficient_scope", f"this token lacks the {scope!r} scope")
    return who.user


WINDOW = 60


def _count(key: str, limit: int) -> tuple[bool, float]:
    """One more call for `key` in this minute's fixed window: (allowed, seconds to its end).
    Counted in the cache (Redis in production, so every web process shares the count)."""
    now = time.time()
    window = int(now // WINDOW)
    cache_key = f"api-rate:{key}:{window}"
    cache.add(cache_key, 0, WINDOW * 2)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, WINDOW * 2)
        count = 1
    return count <= limit, (window + 1) * WINDOW - now


def count_anonymous(request: HttpRequest) -> None:
    """Count a call that carries no valid credentials against its address; past the limit,
    the answer is 429, so guessing tokens is as slow as any anonymous use."""
    allowed, wait = _count(f"ip:{client_address(request)}", settings.API_ANON_RATE_PER_MINUTE)
    if not allowed:
        raise ApiError(429, "rate_limited", rate_message(), retry_after=math.ceil(wait))


def rate_message() -> str:
    return (
        f"over the limit of {settings.API_RATE_PER_MINUTE} requests a minute per token "
        f"({settings.API_ANON_RATE_PER_MINUTE} without one); see Retry-After"
    )


class CallerThrottle(BaseThrottle):
    """A fixed window per token (or signed-in reader), and per address for anonymous calls."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        who = caller(request)
        if who.key:
            allowed, wait = _count(who.key, settings.API_RATE_PER_MINUTE)
        else:
            allowed, wait = _count(
                f"ip:{client_address(request)}", settings.API_ANON_RATE_PER_MINUTE
            )
        self._local.wait = wait
        return allowed

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A client's time as an aware UTC datetime (a naive one is read as UTC); a time the
    database cannot hold (year 1 at +14:00, year 9999 at -14:00) is the client's error."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "invalid", f"{field}: out of range", field) from None


def encode_cursor(*values: object) -> str:
    """An opaque "where the last page ended" (keyset pagination: stable under inserts)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(raw: str, count: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != count:
        raise ApiError(422, "invalid", "cursor: pass back a `next` value unchanged", "cursor")
    return values


def decode_time_cursor(raw: str) -> tuple[dt.datetime, int]:
    """A cursor made by `encode_cursor(when.isoformat(), id)`: newest-first keyset pages."""
    at, last_id = decode_cursor(raw, 2)
    try:
        when = aware(dt.datetime.fromisoformat(str(at)), "cursor")
    except (ValueError, ApiError):
        when = None
    if when is None or type(last_id) is not int:
        raise ApiError(422, "invalid", "cursor: pass back a `next` value unchanged", "cursor")
    return when, last_id


def page_of(
    rows: Any, limit: int, show: Callable[[Any], Any], key: Callable[[Any], tuple[Any, ...]]
) -> dict[str, Any]:
    """`{"items", "next"}` for the first `limit` of `rows` (a queryset or a list with one
    row more than a page, when there is more): `next` is the cursor of the last row shown."""
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [show(row) for row in page],
        "next": encode_cursor(*key(page[-1])) if more and page else None,
    }
