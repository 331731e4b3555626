import datetime as dt
import logging
import random
import zoneinfo
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Cadence, User
from alerts.channels.base import DeliveryError, Item, Message
from alerts.fanout import fan_out_event
from alerts.models import (
    Alert,
    AlertReason,
    Delivery,
    Digest,
    Event,
    Follow,
    Schedule,
    WebhookEndpoint,
)
from alerts.tokens import one_click_url
from search.actions import apply_to_searches, record_matches
from stories.models import Story
from tidings.db import lock_row, save_fields
from tidings.safehttp import SafeHTTPError, allowed_by, check_url, system_resolver
from tidings.shutdown import stop_requested
from topics.models import Topic

if TYPE_CHECKING:
    from comments.models import Comment

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
# Waits after the 1st, 2nd… failed attempt; after the last one the delivery is dead-lettered.
BACKOFF = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 1440)]
BURST_WINDOW = dt.timedelta(minutes=10)
SNOOZE = dt.timedelta(days=7)


# --- schedules -------------------------------------------------------------------------------


def tick_schedules(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every due schedule's task once; returns the names this call claimed."""
    now = now or timezone.now()
    claimed = []
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__lte=now):
        # The claim and the enqueue commit together, so a worker stopped between them loses
        # no run (the database task backend writes to this database).
        with transaction.atomic():
            won = Schedule.objects.filter(id=schedule.id, next_run_at=schedule.next_run_at).update(
                next_run_at=now + schedule.every, last_run_at=now
            )
            if won:
                import_string(schedule.task).enqueue()
                claimed.append(schedule.name)
    return claimed


# --- follows ---------------------------------------------------------------------------------


@transaction.atomic
def follow_topic(reader: User, topic: Topic, **settings_: object) -> Follow:
    follow, created = Follow.objects.get_or_create(
        reader=reader, topic=topic, defaults={"cadence": reader.default_cadence, **settings_}
    )
    if not created and settings_:
        update_follow(follow, **settings_)
    return follow


@transaction.atomic
def unfollow_topic(reader: User, topic: Topic) -> None:
    Follow.objects.filter(reader=reader, topic=topic).delete()


@transaction.atomic
def update_follow(follow: Follow, **fields: object) -> Follow:
    return save_fields(follow, **fields)


class WebhookLimit(ValueError):
    pass


def add_webhook(reader: User, url: str) -> WebhookEndpoint:
    """Refuses (SafeHTTPError) an address that the webhook channel would refuse to post to, and
    (WebhookLimit) an endpoint past the reader's WEBHOOKS_PER_READER."""
    allow = list(settings.WEBHOOK_ALLOW)
    try:
        host, address, port = check_url(url, system_resolver, allow)
    except SafeHTTPError as exc:
        if exc.rule == "address":
            # Which address a name resolves to here is ours to know, not the caller's.
            raise SafeHTTPError("address", "it is not a public address") from None
        raise
    if urlsplit(url).scheme != "https" and not allowed_by(host, address, port, allow):
        # Alerts are signed but not secret-free: they travel encrypted, except to receivers
        # the operator named (a test receiver, a trusted private network).
        raise SafeHTTPError("scheme", "webhook endpoints must use https")
    with transaction.atomic():
        lock_row(User, reader.pk)  # two requests at once must not both fit under the limit
        limit = settings.WEBHOOKS_PER_READER
        if WebhookEndpoint.objects.filter(reader=reader).count() >= limit:
            raise WebhookLimit(
                f"You have {limit} webhook endpoints, the most a reader may have; remove one first."
            )
        return WebhookEndpoint.objects.create(reader=reader, url=url)


def remove_webhook(reader: User, endpoint_id: int) -> bool:
    """False when the reader has no such endpoint (someone else's is as good as none)."""
    return WebhookEndpoint.objects.filter(reader=reader, id=endpoint_id).delete()[0] > 0


@transaction.atomic
def apply_one_click(
    action: str, reader_id: int, follow_ids: list[int], search_ids: list[int] | None = None
) -> int:
    """The one-click links in alerts; returns how many follows and saved searches changed."""
    follows = Follow.objects.filter(reader_id=reader_id, id__in=follow_ids)
    changed = apply_to_searches(action, reader_id, search_ids or [], snooze=SNOOZE)
    if action == "unfollow":
        return changed + follows.delete()[0]
    if action == "digest":
        return changed + follows.update(cadence=Cadence.DAILY)
    return changed + follows.update(snoozed_until=timezone.now() + SNOOZE)


# --- fan-out ---------------------------------------------------------------------------------


def queue_fan_out(story: Story, kind: str = Event.Kind.PUBLISHED) -> Event:
    """The outbox write: call inside the publishing transaction. The task runs after commit."""
    from alerts.tasks import fan_out_task

    event = Event.objects.create(story=story, kind=kind)
    transaction.on_commit(lambda: fan_out_task.enqueue(event.id))
    return event


def fan_out(event_id: int, *, pause: float = 0.0) -> int:
    """Turn one outbox event into alerts and deliveries; safe to run twice or after a crash."""
    event = Event.objects.select_related("story").get(id=event_id)
    if event.fanned_out_at is not None:
        return event.alert_count
    record_matches(event.story)
    count = fan_out_event(event, timezone.now(), pause=pause)
    Event.objects.filter(id=event_id).update(fanned_out_at=timezone.now(), alert_count=count)
    ring_doorbell()
    return count


def pending_events() -> list[int]:
    """Events the fan-out has not finished: their task was lost, or its worker died."""
    stale = timezone.now() - dt.timedelta(minutes=2)
    events = Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=stale)
    return list(events.values_list("id", flat=True))


def ring_doorbell() -> None:
    from alerts.tasks import deliver_due_task

    transaction.on_commit(lambda: deliver_due_task.enqueue())


def queue_reply_deliveries(reader: User, reply: "Comment") -> list[Delivery]:
    """A reply to the reader's comment, through the same channels as their alerts: email (when
    they take email alerts) and each enabled webhook. Safe to call twice."""
    now = timezone.now()
    rows = []
    if reader.email_alerts and reader.email and reader.email_verified_at:
        rows.append(Delivery(reader=reader, channel="email", reply=reply, next_attempt_at=now))
    for endpoint in reader.webhook_endpoints.filter(enabled=True):
        rows.append(
            Delivery(
                reader=reader, channel="webhook", reply=reply, endpoint=endpoint,
                next_attempt_at=now,
            )
        )  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        ring_doorbell()
    return rows


# --- in-app ----------------------------------------------------------------------------------


def mark_read(reader: User, alert_ids: list[int] | None = None) -> int:
    alerts = Alert.objects.filter(reader=reader, read_at__isnull=True)
    if alert_ids is not None:
        alerts = alerts.filter(id__in=alert_ids)
    return alerts.update(read_at=timezone.now())


def mark_story_read(reader: User, story: Story) -> None:
    """Reading the story reads its alert. Most views have none to mark, so look before writing:
    a read does not wait for SQLite's write lock."""
    unread = Alert.objects.filter(reader=reader, story=story, read_at__isnull=True)
    alert_id = unread.values_list("id", flat=True).first()
    if alert_id is not None:
        Alert.objects.filter(id=alert_id).update(read_at=timezone.now())


# --- delivery --------------------------------------------------------------------------------


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """The conditional update that makes a delivery ours for LEASE; False if someone else has it."""
    return bool(
        Delivery.objects.due(now)
        .filter(id=delivery_id)
        .update(state=Delivery.State.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1)
    )


@dataclass
class _Attempt:
    delivery: Delivery
    message: Message | None  # None when it failed before it was built
    merged: list[Delivery]


def deliver_due(limit: int = 500) -> int:
    """Send what is due; any number of workers may run this at once.

    Emails go one after another over one SMTP connection. Webhooks are posted concurrently
    (WEBHOOK_CONCURRENCY at a time, each within its own deadline), so a slow or hostile
    receiver holds up nobody else's deliveries.
    """
    from alerts.channels import CHANNELS

    sent = 0
    due = Delivery.objects.due().order_by("next_attempt_at")
    rows: list[tuple[int, str, int, int | None]] = list(
        due.values_list("id", "channel", "reader_id", "alert_id")[:limit]
    )
    batch, one_by_one = _batchable(rows)
    channels = {row[0]: row[1] for row in rows}
    hooks: list[_Attempt] = []
    try:
        for start in range(0, len(batch), EMAIL_BATCH):
            if stop_requested():
                break
            sent += _deliver_emails(batch[start : start + EMAIL_BATCH])
        for delivery_id in one_by_one:
            channel = channels[delivery_id]
            if stop_requested():
                break  # the rest stay due, unclaimed, for the next worker
            if channel != "webhook":
                sent += deliver(delivery_id)
            elif (attempt := _prepare(delivery_id)) is not None:
                hooks.append(attempt)
        sent += _send_concurrently(hooks)
    finally:
        for channel_object in CHANNELS.values():
            channel_object.close()
    return sent


def _send_concurrently(attempts: list[_Attempt]) -> int:
    """Post every prepared webhook delivery (network only, no database in the threads), then
    record the outcomes here, one by one."""
    if not attempts:
        return 0
    workers = min(settings.WEBHOOK_CONCURRENCY, len(attempts))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        outcomes = list(pool.map(_send, attempts))
    return sum(_finish(attempt, error) for attempt, error in zip(attempts, outcomes, strict=True))


def deliver(delivery_id: int) -> bool:
    attempt = _prepare(delivery_id)
    return False if attempt is None else _finish(attempt, _send(attempt))


def _send(attempt: _Attempt) -> Exception | None:
    """Hand the message to its channel; a failure, whatever it is, is this delivery's alone."""
    from alerts.channels import CHANNELS

    assert attempt.message is not None
    try:
        CHANNELS[attempt.delivery.channel].send(attempt.delivery, attempt.message)
    except Exception as exc:
        return exc
    return None


def _prepare(delivery_id: int) -> _Attempt | None:
    """Claim a delivery and build its message; None when it is not ours or must wait."""
    now = timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("reader", "alert", "endpoint").get(id=delivery_id)
    merged: list[Delivery] = []
    if delivery.channel == "email" and delivery.alert_id is not None:
        reasons = AlertReason.objects.filter(alert_id=delivery.alert_id)
        subject = _about(
            [r for r in reasons.values_list("topic_id", flat=True) if r is not None],
            [r for r in reasons.values_list("search_id", flat=True) if r is not None],
        )
        if _held(delivery, subject, now):
            return None
        merged = _gather_burst(delivery, subject)
    try:
        message = build_message(delivery, merged)
    except Exception as exc:
        log.exception("delivery %s: the message could not be built", delivery.id)
        _failed(delivery, merged, f"the message could not be built: {exc}", permanent=False)
        return None
    return _Attempt(delivery, message, merged)


def _finish(attempt: _Attempt, error: Exception | None) -> bool:
    """Record one attempt's outcome; True when it was sent."""
    delivery = attempt.delivery
    if error is not None:
        if isinstance(error, DeliveryError):
            _failed(delivery, attempt.merged, str(error), permanent=error.permanent)
        else:
            # Not a channel's judgement but a bug or a surprise: retried, and dead-lettered at
            # the end of the schedule like any other failure.
            log.error("delivery %s failed unexpectedly: %r", delivery.id, error)
            _failed(delivery, attempt.merged, f"{type(error).__name__}: {error}", permanent=False)
        return False
    with transaction.atomic():
        Delivery.objects.filter(id=delivery.id).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
        )
    return True


def _give_back(delivery: Delivery, **update: object) -> None:
    """Undo a claim without counting an attempt: to wait (`next_attempt_at`) or to roll over."""
    Delivery.objects.filter(id=delivery.id).update(
        lease_until=None, attempts=F("attempts") - 1, **update
    )


def _about(topics: list[int], searches: list[int]) -> Q | None:
    """Alerts that share a followed topic or a saved search with these: one burst."""
    if not topics and not searches:
        return None
    return Q(alert__reasons__topic_id__in=topics) | Q(alert__reasons__search_id__in=searches)


def _sent_emails(readers: list[int]) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        reader_id__in=readers, channel="email", alert__isnull=False, state=Delivery.State.SENT
    )


def _email_counts(readers: list[int], now: dt.datetime) -> dict[int, tuple[int, int]]:
    """Instant emails sent to each reader in the last hour and the last day, in one query."""
    rows = (
        _sent_emails(readers)
        .filter(sent_at__gt=now - dt.timedelta(days=1))
        .values("reader_id")
        .annotate(
            day=Count("id"), hour=Count("id", filter=Q(sent_at__gt=now - dt.timedelta(hours=1)))
        )
    )
    return {row["reader_id"]: (row["hour"], row["day"]) for row in rows}


def _hold(
    delivery: Delivery, counts: tuple[int, int], recent: dt.datetime | None, now: dt.datetime
) -> bool:
    """Noise control for instant email: quiet hours, caps and bursts, given what was sent to
    the reader (`counts`: this hour, today) and when the last email on this delivery's topics
    or searches went (`recent`). True when it must wait (or has moved to the digest)."""
    reader = delivery.reader
    quiet_end = quiet_hours_end(reader, now)
    if quiet_end is not None:
        _give_back(delivery, state=Delivery.State.PENDING, next_attempt_at=quiet_end)
        return True
    hour, day = counts
    if hour >= reader.max_alerts_per_hour or day >= reader.max_alerts_per_day:
        with transaction.atomic():
            _give_back(delivery, state=Delivery.State.ROLLED)
            Alert.objects.filter(deliveries=delivery, digest__isnull=True).update(
                cadence=Cadence.DAILY
            )
        return True
    # A burst on one topic (or search): the first story goes at once, the rest gather for one
    # message.
    if recent is not None and recent > now - BURST_WINDOW:
        _give_back(delivery, state=Delivery.State.PENDING, next_attempt_at=recent + BURST_WINDOW)
        return True
    return False


def _held(delivery: Delivery, subject: Q | None, now: dt.datetime) -> bool:
    """_hold, with its facts read for one delivery."""
    readers = [delivery.reader_id]
    recent = None
    if subject is not None:
        recent = (
            _sent_emails(readers)
            .filter(subject, sent_at__gt=now - BURST_WINDOW)
            .order_by("-sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
    counts = _email_counts(readers, now).get(delivery.reader_id, (0, 0))
    return _hold(delivery, counts, recent, now)


def _gather_burst(delivery: Delivery, subject: Q | None) -> list[Delivery]:
    """Other waiting instant emails to this reader on the same topics or searches: they ride
    along. One conditional update claims them all; whatever another worker took first is not
    ours."""
    if subject is None:
        return []
    waiting = (
        Delivery.objects.filter(
            subject,
            reader=delivery.reader,
            channel="email",
            state=Delivery.State.PENDING,
        )
        .exclude(id=delivery.id)
        .values_list("id", flat=True)
    )
    Delivery.objects.filter(id__in=list(waiting), state=Delivery.State.PENDING).update(
        state=Delivery.State.MERGED, merged_into=delivery, sent_at=timezone.now()
    )
    return list(Delivery.objects.filter(merged_into=delivery, state=Delivery.State.MERGED))


def _failed(delivery: Delivery, merged: list[Delivery], error: str, *, permanent: bool) -> None:
    attempts = delivery.attempts  # loaded after the claim, so it counts this attempt
    dead = permanent or attempts > len(BACKOFF)
    with transaction.atomic():
        if dead:
            update: dict[str, object] = {"state": Delivery.State.DEAD}
        else:
            wait = BACKOFF[attempts - 1] * random.uniform(0.8, 1.2)
            update = {"state": Delivery.State.RETRYING, "next_attempt_at": timezone.now() + wait}
        Delivery.objects.filter(id=delivery.id).update(
            lease_until=None, last_error=error[:2000], **update
        )
        # What rode along goes back to wait for its own turn.
        Delivery.objects.filter(id__in=[m.id for m in merged]).update(
            state=Delivery.State.PENDING, merged_into=None, sent_at=None
        )
        if delivery.channel == "webhook" and permanent and delivery.endpoint_id:
            WebhookEndpoint.objects.filter(id=delivery.endpoint_id).update(
                enabled=False, disabled_reason=error[:300]
            )
    log.warning("delivery %s failed (%s): %s", delivery.id, "dead" if dead else "retrying", error)


@transaction.atomic
def retry_delivery(delivery: Delivery) -> None:
    """The admin's "retry": a dead or waiting delivery goes again now, with a fresh schedule."""
    Delivery.objects.filter(id=delivery.id).exclude(state=Delivery.State.SENT).update(
        state=Delivery.State.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    ring_doorbell()


def quiet_hours_end(reader: User, now: dt.datetime) -> dt.datetime | None:
    """When the reader's quiet hours end, if `now` falls inside them."""
    if reader.quiet_start is None or reader.quiet_end is None:
        return None
    local = now.astimezone(zoneinfo.ZoneInfo(reader.timezone))
    start, end, t = reader.quiet_start, reader.quiet_end, local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, tzinfo=local.tzinfo)


# --- messages --------------------------------------------------------------------------------


def _item(alert: Alert, stories: dict[int, Item] | None = None) -> Item:
    """The alert as a message item; `stories` keeps what one story's items share across a
    batch (its address and rights), so each is worked out once."""
    story = alert.story
    reasons = list(alert.reasons.all())
    known = stories.get(story.pk) if stories is not None else None
    if known is not None:
        return replace(
            known,
            alert_id=alert.id,
            topics=[_reason_label(r) for r in reasons],
            reasons=[str(r) for r in reasons],
        )
    item = _story_item(
        story,
        alert_id=alert.id,
        standfirst=story.standfirst,
        url=settings.SITE_URL + story.get_absolute_url(),
        published_at=story.published_at.isoformat() if story.published_at else "",
        topics=[_reason_label(r) for r in reasons],
        reasons=[str(r) for r in reasons],
    )
    if stories is not None:
        stories[story.pk] = item
    return item


def _reason_label(reason: AlertReason) -> str:
    """What groups an alert in a digest: its topic, or the search that found it."""
    if reason.topic is not None:
        return reason.topic.name
    assert reason.search is not None
    return f"Search: {reason.search.query}"


def _story_item(story: Story, **fields: Any) -> Item:
    """An Item with the story's headline and the rights that travel with it everywhere."""
    return Item(
        headline=story.headline,
        photo_credit=story.photo_credit,
        copyright=story.copyright_line,
        licence=story.licence_label,
        **fields,
    )


def _reply_message(delivery: Delivery) -> Message:
    from comments.actions import stop_replies_url

    reply = delivery.reply
    assert reply is not None and reply.parent is not None
    story = reply.story
    who = reply.author.display_name or reply.author.username
    excerpt = " ".join(reply.body.split())
    excerpt = excerpt if len(excerpt) <= 280 else excerpt[:279] + "…"
    item = _story_item(
        story,
        alert_id=0,
        standfirst=f"{who} replied to your comment: “{excerpt}”",
        url=settings.SITE_URL + reply.get_absolute_url(),
        published_at=reply.created_at.isoformat(),
        topics=[],
        reasons=["you asked to hear of replies to your comment"],
    )
    return Message(
        delivery_id=delivery.id,
        kind="reply",
        subject=f"{who} replied to your comment on “{story.headline}”",
        items=[item],
        links={
            "unsubscribe": stop_replies_url(reply.parent),
            "settings": settings.SITE_URL + reverse("accounts:settings"),
        },
    )


def build_message(delivery: Delivery, merged: list[Delivery]) -> Message:
    reader_id = delivery.reader_id
    if delivery.reply_id is not None:
        return _reply_message(delivery)
    if delivery.digest_id is not None:
        digest = delivery.digest
        assert digest is not None
        alerts = list(_alerts_for(digest.alerts.all()))
        groups: dict[str, list[Item]] = defaultdict(list)
        items = [_item(a) for a in alerts]
        for item in items:
            for topic in item.topics[:1] or ["Other"]:
                groups[topic].append(item)
        period = "Your daily" if digest.period == Digest.Period.DAILY else "Your weekly"
        return Message(
            delivery_id=delivery.id,
            kind="digest",
            subject=f"{period} {settings.SITE_NAME} digest: {len(items)} new stories",
            items=items,
            groups=dict(sorted(groups.items())),
            links=_links(reader_id, alerts),
        )
    ids = [delivery.alert_id, *(m.alert_id for m in merged)]
    alerts = list(_alerts_for(Alert.objects.filter(id__in=ids)))
    return _alert_message(delivery, alerts)


def _alert_message(
    delivery: Delivery,
    alerts: list[Alert],
    follows: dict[tuple[int, int], int] | None = None,
    stories: dict[int, Item] | None = None,
) -> Message:
    """One alert, or a burst on one topic, as a message; `follows` (reader and topic → follow
    id) and `stories` (see _item) when the caller works through a whole batch."""
    items = [_item(a, stories) for a in alerts]
    subject = items[0].headline if len(items) == 1 else (
        f"{len(items)} new stories on {', '.join(sorted({t for i in items for t in i.topics[:1]}))}"
    )  # fmt: skip
    return Message(
        delivery_id=delivery.id,
        kind="alert",
        subject=subject,
        items=items,
        links=_links(delivery.reader_id, alerts, follows),
    )


def _alerts_for(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return (
        alerts.select_related("story__lead_image", "story__publisher")
        .prefetch_related("reasons__topic", "reasons__search")
        .order_by("-story__published_at")
    )


def _links(
    reader_id: int, alerts: list[Alert], follows: dict[tuple[int, int], int] | None = None
) -> dict[str, str]:
    """One-click links for the follows and saved searches that brought these alerts."""
    reasons = [r for a in alerts for r in a.reasons.all()]
    topic_ids = {r.topic_id for r in reasons if r.topic_id is not None}
    search_ids = sorted({r.search_id for r in reasons if r.search_id is not None})
    if follows is None:
        follows = _follows([reader_id], topic_ids)
    follow_ids = sorted(f for (r, t), f in follows.items() if r == reader_id and t in topic_ids)
    return {
        "unsubscribe": one_click_url("unfollow", reader_id, follow_ids, search_ids),
        "digest": one_click_url("digest", reader_id, follow_ids, search_ids),
        "snooze": one_click_url("snooze", reader_id, follow_ids, search_ids),
        "settings": settings.SITE_URL + reverse("alerts:my_topics"),
    }


def _follows(readers: list[int], topics: set[int]) -> dict[tuple[int, int], int]:
    rows = Follow.objects.filter(reader_id__in=readers, topic_id__in=topics)
    return {(r, t): f for r, t, f in rows.values_list("reader_id", "topic_id", "id")}


# --- email in batches ------------------------------------------------------------------------
#
# The common case, one instant alert for a reader with nothing else waiting, goes at line
# speed: one statement claims a batch, the facts noise control needs are read for the whole
# batch, each distinct message is rendered once, one SMTP connection carries them all, and the
# outcomes are recorded together. Everything else (bursts to merge, digests, replies) takes the
# one-by-one path above, with the same rules.

EMAIL_BATCH = 200
RECORD_EVERY = 50  # sent emails recorded together; a worker killed mid-batch resends ≤ this


def _claim_many(ids: list[int], now: dt.datetime) -> list[int]:
    """One statement makes the still-due rows of `ids` ours for LEASE; others are someone
    else's. On PostgreSQL, rows another worker is claiming right now are skipped, not waited for."""
    if not ids:
        return []
    table = Delivery._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    due = """((state IN ('pending', 'retrying') AND next_attempt_at <= %s)
              OR (state = 'sending' AND lease_until <= %s))"""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        chosen = f"SELECT id FROM {table} WHERE id IN ({marks}) AND {due} FOR UPDATE SKIP LOCKED"  # noqa: S608
    else:
        chosen = f"SELECT id FROM {table} WHERE id IN ({marks}) AND {due}"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        # Only the table name is interpolated; ids and times are parameters.
        cursor.execute(
            f"""UPDATE {table} SET state = 'sending', lease_until = %s, attempts = attempts + 1
                WHERE id IN ({chosen}) RETURNING id""",  # noqa: S608
            [adapt(now + LEASE), *ids, adapt(now), adapt(now)],
        )
        return [row[0] for row in cursor.fetchall()]


def _batchable(rows: list[tuple[int, str, int, int | None]]) -> tuple[list[int], list[int]]:
    """(ids for the batch path, ids for the one-by-one path) of due (id, channel, reader,
    alert) rows: a batch email is a plain alert to a reader with nothing else to merge."""
    emails = [r for r in rows if r[1] == "email" and r[3] is not None]
    per_reader: dict[int, int] = defaultdict(int)
    for _, _, reader, _ in emails:
        per_reader[reader] += 1
    waiting = set(
        Delivery.objects.filter(
            reader_id__in=list(per_reader), channel="email", state=Delivery.State.PENDING,
            alert__isnull=False,
        )
        .exclude(id__in=[r[0] for r in emails])
        .values_list("reader_id", flat=True)
    )  # fmt: skip
    batch = [r[0] for r in emails if per_reader[r[2]] == 1 and r[2] not in waiting]
    chosen = set(batch)
    return batch, [r[0] for r in rows if r[0] not in chosen]


def _subjects(alert: Alert) -> set[tuple[str, int]]:
    return {
        ("topic", r.topic_id) if r.topic_id is not None else ("search", r.search_id or 0)
        for r in alert.reasons.all()
    }


def _deliver_emails(ids: list[int]) -> int:
    """Send a batch of plain instant alert emails; returns how many went."""
    from alerts.channels import CHANNELS
    from alerts.channels.email import EmailChannel, Renderer

    now = timezone.now()
    claimed = _claim_many(ids, now)
    deliveries = list(
        Delivery.objects.filter(id__in=claimed)
        .select_related("reader", "alert__story__lead_image", "alert__story__publisher")
        .prefetch_related("alert__reasons__topic", "alert__reasons__search")
        .order_by("id")
    )
    readers = sorted({d.reader_id for d in deliveries})
    counts = _email_counts(readers, now)
    recent: dict[tuple[int, tuple[str, int]], dt.datetime] = {}
    lately = _sent_emails(readers).filter(sent_at__gt=now - BURST_WINDOW)
    for reader, topic, search, at in lately.values_list(
        "reader_id", "alert__reasons__topic_id", "alert__reasons__search_id", "sent_at"
    ):
        key = (reader, ("topic", topic) if topic is not None else ("search", search or 0))
        if at is not None and (key not in recent or at > recent[key]):
            recent[key] = at
    ready = []
    for delivery in deliveries:
        assert delivery.alert is not None
        latest = [
            recent[k] for s in _subjects(delivery.alert) if (k := (delivery.reader_id, s)) in recent
        ]
        if not _hold(
            delivery, counts.get(delivery.reader_id, (0, 0)), max(latest, default=None), now
        ):
            ready.append(delivery)
    topics = {t for d in ready if d.alert for kind, t in _subjects(d.alert) if kind == "topic"}
    follows = _follows(readers, topics)
    channel = CHANNELS["email"]
    assert isinstance(channel, EmailChannel)
    renderer = Renderer()
    stories: dict[int, Item] = {}
    sent: list[int] = []

    def record() -> None:
        Delivery.objects.filter(id__in=sent).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
        )
        sent.clear()

    def build(delivery: Delivery) -> EmailMultiAlternatives | Exception:
        # In a thread of its own, so the next message is ready while the mail server answers
        # this one; it reads only what was loaded above, never the database.
        assert delivery.alert is not None
        try:
            message = _alert_message(delivery, [delivery.alert], follows, stories)
            return channel.build(delivery, message, *renderer.render(message))
        except Exception as exc:
            return exc

    total = 0
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-build")
    try:
        for n, (delivery, email) in enumerate(zip(ready, pool.map(build, ready), strict=True)):
            if stop_requested():
                for left in ready[n:]:  # not tried: due again at once for the next worker
                    _give_back(left, state=Delivery.State.PENDING)
                break
            try:
                if isinstance(email, Exception):
                    raise email
                channel.transmit(delivery, email)
            except Exception as exc:
                if not isinstance(exc, DeliveryError):
                    log.error(
                        "delivery %s: the message could not be sent", delivery.id, exc_info=exc
                    )
                _finish(_Attempt(delivery, None, []), exc)
                continue
            sent.append(delivery.id)
            total += 1
            if len(sent) >= RECORD_EVERY:
                record()
    finally:
        pool.shutdown(cancel_futures=True)
        record()
    return total


# --- digests ---------------------------------------------------------------------------------


def send_due_digests(now: dt.datetime | None = None) -> int:
    """Make each reader's digest whose local time has come; one per reader per period, however
    many schedulers run this at once."""
    now = now or timezone.now()
    waiting = Alert.objects.filter(digest__isnull=True, cadence__in=[Cadence.DAILY, Cadence.WEEKLY])
    made = 0
    for reader in User.objects.filter(id__in=waiting.values("reader_id")):
        local = now.astimezone(zoneinfo.ZoneInfo(reader.timezone))
        if local.time() < reader.digest_time:
            continue
        periods = [Digest.Period.DAILY]
        if local.weekday() == reader.weekly_digest_day:
            periods.append(Digest.Period.WEEKLY)
        for period in periods:
            made += _make_digest(reader, period, local.date(), now)
    if made:
        ring_doorbell()
    return made


def _make_digest(reader: User, period: str, day: dt.date, now: dt.datetime) -> int:
    # A daily digest also carries instant alerts that the caps rolled over.
    cadences = [Cadence.DAILY] if period == Digest.Period.DAILY else [Cadence.WEEKLY]
    alerts = Alert.objects.filter(
        reader=reader, digest__isnull=True, cadence__in=cadences, created_at__lte=now
    )
    if not alerts.exists():
        return 0  # nothing new: no empty digest
    try:
        with transaction.atomic():
            digest = Digest.objects.create(reader=reader, period=period, period_start=day)
            alerts.update(digest=digest)
            if reader.email_alerts and reader.email and reader.email_verified_at:
                Delivery.objects.create(reader=reader, channel="email", digest=digest)
    except IntegrityError:
        return 0  # another scheduler made this period's digest first
    return 1


def sweep() -> dict[str, int]:
    """Re-drive whatever was lost: fan-outs not finished, deliveries due or with expired leases."""
    from alerts.tasks import fan_out_task

    events = pending_events()
    for event_id in events:
        fan_out_task.enqueue(event_id)
    return {"events": len(events), "deliveries": deliver_due()}
