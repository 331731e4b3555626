"""/api/v1/me: the caller's own follows, alerts and webhooks. Nobody else's are reachable:
every query starts from the token's reader, and an id that is not theirs answers 404."""

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from accounts.models import ApiToken, User
from alerts import actions
from alerts.models import Alert, Follow, Reason, WebhookEndpoint, with_reasons
from alerts.schemas import (
    AlertOut,
    AlertPage,
    FollowIn,
    FollowList,
    FollowOut,
    FollowPatch,
    WebhookCreated,
    WebhookIn,
    WebhookList,
)
from tidings.apikit import (
    SIGNED_IN,
    ApiError,
    answers,
    aware,
    decode_time_cursor,
    need,
    page_of,
)
from tidings.safehttp import SafeHTTPError
from topics.models import Topic

router = Router(tags=["me"], auth=SIGNED_IN)
READ, FOLLOW = ApiToken.Scope.READ.value, ApiToken.Scope.FOLLOW.value


def _follow_json(follow: Follow) -> dict[str, Any]:
    topic = follow.topic
    return {
        "topic": {"slug": topic.slug, "name": topic.name, "kind": topic.kind},
        "cadence": follow.cadence,
        "scope": follow.scope,
        "muted": follow.muted,
        "snoozed_until": follow.snoozed_until,
        "created_at": follow.created_at,
    }


def _topic(slug: str, field: str = "topic") -> Topic:
    topic = Topic.objects.filter(slug=slug, rejected=False).select_related("merged_into").first()
    if topic is None:
        raise ApiError(422 if field else 404, "invalid" if field else "not_found",
                       f"{field or 'topic'}: no topic {slug!r}", field or None)  # fmt: skip
    return topic.merged_into or topic


def _own_follow(reader: User, slug: str) -> Follow:
    follow = (
        Follow.objects.filter(reader=reader)
        .filter(Q(topic__slug=slug) | Q(topic__merged_topics__slug=slug))
        .select_related("topic")
        .first()
    )
    if follow is None:
        raise ApiError(404, "not_found", f"you do not follow {slug!r}")
    return follow


# --- follows ---------------------------------------------------------------------------------


@router.get("/follows", response=answers(FollowList), summary="Your follows")
def list_follows(request: HttpRequest) -> dict[str, Any]:
    reader = need(request, READ)
    follows = Follow.objects.filter(reader=reader).select_related("topic")
    return {"items": [_follow_json(f) for f in follows]}


@router.post(
    "/follows", response=answers({200: FollowOut, 201: FollowOut}), summary="Follow a topic"
)
def add_follow(request: HttpRequest, payload: FollowIn) -> Status[dict[str, Any]]:
    """201 for a new follow; 200 when you already followed it (its settings are updated)."""
    reader = need(request, FOLLOW)
    topic = _topic(payload.topic)
    existed = Follow.objects.filter(reader=reader, topic=topic).exists()
    fields: dict[str, object] = {"scope": payload.scope, "muted": payload.muted}
    if payload.cadence is not None:
        fields["cadence"] = payload.cadence
    follow = actions.follow_topic(reader, topic, **fields)
    return Status((200 if existed else 201), _follow_json(follow))


@router.patch("/follows/{slug}", response=answers(FollowOut, 404), summary="Change a follow")
def change_follow(request: HttpRequest, slug: str, payload: FollowPatch) -> dict[str, Any]:
    reader = need(request, FOLLOW)
    follow = _own_follow(reader, slug)
    fields = payload.dict(exclude_unset=True)
    for name in ("cadence", "scope", "muted"):
        if name in fields and fields[name] is None:
            raise ApiError(422, "invalid", f"{name}: may not be null", name)
    if "snoozed_until" in fields:
        fields["snoozed_until"] = aware(fields["snoozed_until"], "snoozed_until")
    if fields:
        follow = actions.update_follow(follow, **fields)
    return _follow_json(follow)


@router.delete("/follows/{slug}", response=answers({204: None}, 404), summary="Unfollow")
def remove_follow(request: HttpRequest, slug: str) -> Status[None]:
    reader = need(request, FOLLOW)
    follow = _own_follow(reader, slug)
    actions.unfollow_topic(reader, follow.topic)
    return Status(204, None)


# --- alerts ----------------------------------------------------------------------------------


class AlertFilters(Schema):
    unread: bool = SchemaField(False, description="only alerts not yet read")
    cursor: str | None = SchemaField(None, max_length=500)
    limit: int = SchemaField(20, ge=1, le=100)


def _reason_json(reason: Reason) -> dict[str, Any]:
    if reason.search is not None:
        search = {"id": reason.search.pk, "query": reason.search.query}
        return {"topic": None, "role": reason.role, "search": search}
    assert reason.topic is not None
    return {"topic": reason.topic.slug, "role": reason.role, "search": None}


def _alert_json(alert: Alert) -> dict[str, Any]:
    story = alert.story
    return {
        "id": alert.pk,
        "story": {
            "id": story.pk,
            "headline": story.headline,
            "url": settings.SITE_URL + story.get_absolute_url(),
        },
        "reasons": [_reason_json(r) for r in alert.reason_list],
        "created_at": alert.created_at,
        "read": alert.read_at is not None,
    }


def _alerts(reader: User) -> Any:
    return (
        Alert.objects.filter(reader=reader)
        .shown()
        .select_related("story")
        .order_by("-created_at", "-id")
    )


@router.get("/alerts", response=answers(AlertPage), summary="Your alerts, newest first")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    reader = need(request, READ)
    alerts = _alerts(reader)
    if filters.unread:
        alerts = alerts.unread()
    if filters.cursor:
        when, last_id = decode_time_cursor(filters.cursor)
        alerts = alerts.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=last_id))
    # A page and one row more, as page_of takes it, with the page's reasons read at once.
    rows = with_reasons(alerts[: filters.limit + 1])
    return page_of(rows, filters.limit, _alert_json, lambda a: (a.created_at.isoformat(), a.pk))


@router.post("/alerts/{alert_id}/read", response=answers(AlertOut, 404), summary="Mark read")
def read_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    reader = need(request, FOLLOW)
    alert = _alerts(reader).filter(pk=alert_id).first()
    if alert is None:
        raise ApiError(404, "not_found", f"you have no alert {alert_id}")
    actions.mark_read(reader, [alert.pk])
    alert.read_at = alert.read_at or timezone.now()
    return _alert_json(alert)


# --- webhooks --------------------------------------------------------------------------------


def _webhook_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
    }


@router.get("/webhooks", response=answers(WebhookList), summary="Your webhook endpoints")
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    reader = need(request, READ)
    return {"items": [_webhook_json(e) for e in WebhookEndpoint.objects.filter(reader=reader)]}


@router.post("/webhooks", response=answers({201: WebhookCreated}), summary="Add an endpoint")
def add_webhook(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    """The answer holds the signing secret, this once (Standard Webhooks: verify the
    `webhook-signature` header of each delivery with it)."""
    reader = need(request, FOLLOW)
    try:
        endpoint = actions.add_webhook(reader, payload.url.strip())
    except SafeHTTPError as exc:
        raise ApiError(422, "refused_address", f"url: {exc}", "url") from None
    except actions.WebhookLimit as exc:
        raise ApiError(422, "limit", str(exc)) from None
    return Status(201, {**_webhook_json(endpoint), "secret": endpoint.secret})


@router.delete("/webhooks/{endpoint_id}", response=answers({204: None}, 404), summary="Remove")
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Status[None]:
    reader = need(request, FOLLOW)
    if not actions.remove_webhook(reader, endpoint_id):
        raise ApiError(404, "not_found", f"you have no webhook endpoint {endpoint_id}")
    return Status(204, None)
