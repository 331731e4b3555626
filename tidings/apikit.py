"""What every API router uses: who is calling, what they may do, errors, cursors.

Who is calling is decided once per request (`Caller`): a bearer token, else the site's own
session (with its CSRF check on writes), else an anonymous reader of public content. Each
operation then asks for what it needs with `need(request, scope)`.
"""

import base64
import json
import threading
import time
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
            # A token that was sent and is wrong is an error, not an anonymous visit.
            raise ApiError(401, "invalid_token", "this token is unknown, revoked or expired")
        return Caller(found.user, found, set(found.scopes))


class SiteSession(APIKeyCookie):
    """The site's own pages: the session cookie, with Django's CSRF check on writes."""

    param_name = settings.SESSION_COOKIE_NAME

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


class CallerThrottle(BaseThrottle):
    """A fixed window per token (or signed-in reader), and per address for anonymous calls.
    Counted in the cache (Redis in production, so every web process shares the count)."""

    WINDOW = 60

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        who = caller(request)
        if who.key:
            key, limit = who.key, settings.API_RATE_PER_MINUTE
        else:
            key, limit = f"ip:{client_address(request)}", settings.API_ANON_RATE_PER_MINUTE
        now = time.time()
        window = int(now // self.WINDOW)
        cache_key = f"api-rate:{key}:{window}"
        cache.add(cache_key, 0, self.WINDOW * 2)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, self.WINDOW * 2)
            count = 1
        self._local.wait = (window + 1) * self.WINDOW - now
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


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
