"""The integrator API at /api/v1/: django-ninja, each app's router (`<app>/api.py`) mounted
here. Errors are always `{"error": {"code", "message", "field"?}}`; reads carry an ETag; every
caller has a rate limit (`tidings.apikit`)."""

import hashlib
import json
import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotModified,
)
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from alerts.api import router as alerts_router
from search.api import router as search_router
from stories.api import router as stories_router
from tidings.apikit import (
    Anyone,
    ApiError,
    BearerToken,
    CallerThrottle,
    SiteSession,
    count_anonymous,
    rate_message,
)
from topics.api import router as topics_router

log = logging.getLogger(__name__)


class TidingsAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if response.status_code >= 400:
            response["Cache-Control"] = "no-store"
        if request.method == "GET" and response.status_code == 200:
            # What a token may see differs from what the anonymous may: caches must key on it.
            response["Vary"] = "Authorization, Cookie"
            response["Cache-Control"] = "private, no-cache"
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
            response["ETag"] = etag
            wanted = request.headers.get("If-None-Match", "")
            if etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")} or (
                wanted.strip() == "*"
            ):
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Vary", "Cache-Control"):
                    not_modified[header] = response[header]
                return not_modified
        return response


def _nul_in_request(request: HttpRequest) -> str | None:
    """Which part of the request holds a NUL character, if one does: the path, a query
    parameter, or (for the API) a field of the JSON body."""
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "")
    if request.path.startswith("/api/v1/") and request.method in ("POST", "PUT", "PATCH"):
        try:
            raw = request.body
        except RequestDataTooBig:
            return None  # answered as 413 by the API
        if b"\\u0000" in raw:  # only then is a JSON body worth reading twice
            try:
                return _nul_field(json.loads(raw))
            except ValueError:
                return None  # not JSON: the API says so
    return None


def _nul_field(value: Any, where: str = "") -> str | None:
    """The dotted path of the first string in a JSON body holding a NUL character."""
    if isinstance(value, str):
        return where or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                return name.replace("\x00", "")
            if (found := _nul_field(item, name)) is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            if (found := _nul_field(item, f"{where}[{i}]")) is not None:
                return found
    return None


def error_response(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    detail: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        detail["field"] = field
    return api.create_response(request, {"error": detail}, status=status)


api = TidingsAPI(
    title="tidings API",
    version="1",
    description="Stories, topics, follows and alerts. Send a token as "
    "`Authorization: Bearer TOKEN` (make one on your account's API tokens page, or with "
    '`manage.py apitoken`). Errors are `{"error": {"code", "message", "field"}}`.',
    urls_namespace="api-v1",
    auth=[BearerToken(), SiteSession(csrf=True), Anyone()],
    throttle=[CallerThrottle()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = error_response(request, exc.status, exc.code, exc.message, exc.field)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    # ("body", "payload", "headline") → "headline"; ("query", "filters", "since") → "since"
    if location and location[0] in ("body", "query", "path", "header", "cookie", "form"):
        location.pop(0)
    if location and location[0] in ("payload", "filters"):
        location.pop(0)
    where = ".".join(location) or None
    message = str(first.get("msg") or "invalid input").removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        return error_response(request, 400, "bad_json", "the body is not valid JSON")
    if where is None:
        message = f"send a JSON object with the fields the schema names ({message})"
    return error_response(
        request, 422, "invalid", f"{where}: {message}" if where else message, where
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    try:
        count_anonymous(request)
    except ApiError as limited:
        return _api_error(request, limited)
    return error_response(request, 401, "unauthenticated", "sign in or send a bearer token")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 429: "rate_limited"}  # fmt: skip
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        return error_response(request, 400, "bad_json", f"the body is not valid JSON: {message}")
    if isinstance(exc, Throttled):
        message = rate_message()
    elif exc.status_code == 403 and "CSRF" in message:
        message = (
            "the site's session needs its CSRF token (X-CSRFToken); integrators send a bearer token"
        )
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", str(exc) or "no such thing here")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "not allowed")


@api.exception_handler(Exception)
def _crashed(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback (and mailed to ADMINS by Django's logging, where configured);
    # the client gets the error shape every other answer has, and nothing of the internals.
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(request, 500, "server_error", "something went wrong on our side")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        request, 413, "too_large", f"the request body is over {math.ceil(limit / 1024)} KiB"
    )


def _mount() -> None:

    api.add_router("/stories", stories_router)
    api.add_router("/topics", topics_router)
    api.add_router("/me", alerts_router)
    api.add_router("/me/searches", search_router)


_mount()


class JsonErrorsMiddleware:
    """Django's own answers under /api/v1/ (an unknown path, a method a path does not take,
    a CSRF refusal) come as HTML; integrators get the API's JSON error shape instead. And, for
    every page, a NUL character anywhere in the request is a 400 (a 422 in an API body) naming
    where it was, not a database error."""

    CODES = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nul = _nul_in_request(request)
        if nul is not None:
            # Never a real value, and PostgreSQL refuses to store or compare one.
            message = f"{nul}: NUL characters (\\u0000) are not accepted"
            if request.path.startswith("/api/v1/"):
                body = nul not in request.GET and nul != "path"
                return error_response(request, 422 if body else 400, "invalid", message, nul)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        response = self.get_response(request)
        if (
            request.path.startswith("/api/v1/")
            and response.status_code in self.CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            message = {
                404: f"no such address in the API: {request.path}",
                405: f"{request.method} is not allowed here"
                + (f"; use {response['Allow']}" if response.has_header("Allow") else ""),
                403: "refused: the site's session needs its CSRF token; integrators send a "
                "bearer token",
            }[status]
            replaced = error_response(request, status, self.CODES[status], message)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response
