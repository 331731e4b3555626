import datetime as dt
import logging
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Cadence, User
from alerts.channels.base import DeliveryError, Item, Message
from alerts.fanout import fan_out_event
from alerts.models import (
    Alert,
    Delivery,
    Digest,
    Event,
    Follow,
    ReasonKey,
    Schedule,
    WebhookEndpoint,
    resolve_reasons,
    unpack_reasons,
    with_reasons,
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

# How long a claimed delivery is a worker's: one that dies mid-send has it sent again after this.
LEASE = dt.timedelta(seconds=settings.ALERTS_DELIVERY_LEASE)
# Waits after the 1st, 2nd… failed attempt; after the last one the delivery is dead-lettered.
BACKOFF = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 1440)]
BURST_WINDOW = dt.timedelta(minutes=10)
SNOOZE = dt.timedelta(days=7)


# --- schedules -------------------------------------------------------------------------------

# The clocks of the machines that tick schedules may disagree by less than this.
CLOCK_STEP = dt.timedelta(minutes=5)


def tick_schedules(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every due schedule's task once; returns the names this call claimed.

    A schedule whose last run lies more than CLOCK_STEP in the future is due too: the clock was
    stepped back, and waiting for its old slot would stall it for as long as the step."""
    now = now or timezone.now()
    claimed = []
    for schedule in Schedule.objects.filter(enabled=True):
        stepped_back = schedule.last_run_at is not None and schedule.last_run_at > now + CLOCK_STEP
        if schedule.next_run_at > now and not stepped_back:
            continue
        # The claim and the enqueue commit together, so a worker stopped between them loses
        # no run (the database task backend writes to this database).
        try:
            with transaction.atomic():
                won = Schedule.objects.filter(
                    id=schedule.id, next_run_at=schedule.next_run_at
                ).update(next_run_at=now + schedule.every, last_run_at=now)
                if won:
                    import_string(schedule.task).enqueue()
        except Exception:  # the broker is unreachable, say: the claim went back with it
            log.exception(
                "schedule %s could not be enqueued; the next tick tries again", schedule.name
            )
            continue
        if won:
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
    # robust: with the broker unreachable the story is still published and the editor's request
    # still succeeds; the sweeper enqueues the event once it is stale.
    transaction.on_commit(lambda: fan_out_task.enqueue(event.id), robust=True)
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
    stale = timezone.now() - dt.timedelta(seconds=settings.ALERTS_EVENT_STALE)
    events = Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=stale)
    return list(events.values_list("id", flat=True))


# Deliveries one call of deliver_due_task sends at most.
DELIVER_LIMIT = 1000


def more_due_than(count: int) -> bool:
    return Delivery.objects.due().values("id")[count : count + 1].exists()


def ring_doorbell() -> None:
    # A lost ring costs only time: the sweeper delivers whatever is due.
    transaction.on_commit(_ring, robust=True)


def _ring() -> None:
    from alerts.tasks import deliver_due_task

    if settings.TASKS_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        # One waiting is enough: it starts after this commit, so it sees these rows too; and
        # each task costs a claim of SQLite's one write lock.
        waiting = DBTaskResult.objects.ready().filter(task_path=deliver_due_task.module_path)
        if waiting.exists():
            return
    deliver_due_task.enqueue()


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


def deliver_due(limit: int = 1000) -> int:
    """Send what is due; any number of workers may run this at once.

    Emails of alerts and digests go in batches over one SMTP connection (see "email in
    batches"). Webhooks are posted concurrently (WEBHOOK_CONCURRENCY at a time, each within its
    own deadline), so a slow or hostile receiver holds up nobody else's deliveries.
    """
    from alerts.channels import CHANNELS

    sent = 0
    at, table = _at(timezone.now()), Delivery._meta.db_table
    # Delivery.objects.due(), the oldest first, as a statement per state that reads its index
    # in order and stops at `limit`: their OR would sort every due row (millions after a storm)
    # to return the first few.
    due = [
        ("pending", "next_attempt_at"),
        ("retrying", "next_attempt_at"),
        ("sending", "lease_until"),
    ]
    parts = " UNION ALL ".join(
        f"""SELECT * FROM (SELECT id, channel, reply_id, next_attempt_at FROM {table}
            WHERE state = %s AND {column} <= %s ORDER BY next_attempt_at, id LIMIT %s) AS {state}"""  # noqa: S608
        for state, column in due
    )
    rows = _fetch(
        f"SELECT id, channel, reply_id FROM ({parts}) AS due ORDER BY next_attempt_at, id LIMIT %s",  # noqa: S608
        [*(value for state, _ in due for value in (state, at, limit)), limit],
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
    """Post every prepared webhook delivery (network only, no database in the threads), and
    record each outcome here as it comes: a worker killed mid-way has at most
    WEBHOOK_CONCURRENCY posts made but not recorded, which go again after their lease."""
    if not attempts:
        return 0
    workers = min(settings.WEBHOOK_CONCURRENCY, len(attempts))
    sent = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        posts = {pool.submit(_send, attempt): attempt for attempt in attempts}
        for post in as_completed(posts):
            sent += _finish(posts[post], post.result())
    return sent


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
    """Claim a webhook delivery or a reply's email and build its message; None when it is not
    ours. (Emails of alerts and digests go in batches, under noise control: _deliver_emails.)"""
    now = timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("reader", "alert", "endpoint").get(id=delivery_id)
    try:
        message = build_message(delivery, [])
    except Exception as exc:
        log.exception("delivery %s: the message could not be built", delivery.id)
        _failed(delivery, [], f"the message could not be built: {exc}", permanent=False)
        return None
    return _Attempt(delivery, message, [])


def _finish(attempt: _Attempt, error: Exception | None) -> bool:
    """Record one attempt's outcome; True when it was sent."""
    delivery = attempt.delivery
    if error is not None:
        if isinstance(error, DeliveryError):
            _failed(
                delivery,
                attempt.merged,
                str(error),
                permanent=error.permanent,
                retry_after=error.retry_after,
            )
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


def _give_back(ids: list[int], lease: dt.datetime, **update: object) -> None:
    """Undo claims without counting an attempt (a stopping worker's untried emails): what rode
    along with them waits again for its own turn. Only rows still under this claim's lease: a
    row whose lease ran out may be another worker's now, or already sent by it."""
    with transaction.atomic():
        ours = list(
            Delivery.objects.filter(
                id__in=ids, state=Delivery.State.SENDING, lease_until=lease
            ).values_list("id", flat=True)
        )
        Delivery.objects.filter(id__in=ours).update(
            lease_until=None, attempts=F("attempts") - 1, **update
        )
        _unmerge(ours)


def _unmerge(carriers: list[int]) -> None:
    # merged_into is set only while a delivery is MERGED.
    Delivery.objects.filter(merged_into_id__in=carriers).update(
        state=Delivery.State.PENDING, merged_into=None, sent_at=None
    )


_Wait = tuple[str, dt.datetime | None]  # a held delivery's new state, and when it is due again


def _hold(
    quiet_end: dt.datetime | None,
    caps: tuple[int, int],
    counts: tuple[int, int],
    recent: dt.datetime | None,
    now: dt.datetime,
) -> _Wait | None:
    """Noise control for one instant email: None when it may go now, else how it waits (or
    moves to the digest). Given when the reader's quiet hours end if they are in them, their
    hourly and daily caps, what went to them this hour and today (`counts`), and when the last
    email on this one's topics or searches went (`recent`)."""
    if quiet_end is not None:
        return Delivery.State.PENDING, quiet_end
    if counts[0] >= caps[0] or counts[1] >= caps[1]:
        return Delivery.State.ROLLED, None
    # A burst on one topic (or search): the first story goes at once, the rest gather for one
    # message.
    if recent is not None and recent > now - BURST_WINDOW:
        return Delivery.State.PENDING, recent + BURST_WINDOW
    return None


_Subject = tuple[str, int]  # ("topic", id) or ("search", id): what makes emails one burst


def _subject(topic: int | None, search: int | None) -> _Subject:
    return ("topic", topic) if topic is not None else ("search", search or 0)


def _subjects(reasons: str) -> set[_Subject]:
    """The topics and searches of an alert's packed reasons."""
    return {_subject(topic, search) for _, topic, search in unpack_reasons(reasons)}


@dataclass
class _Due:
    """A due email of a batch, as read for it."""

    id: int
    reader: int
    alert: int | None
    digest: int | None
    state: str


def _email_counts(
    readers: list[int], about: set[_Subject], now: dt.datetime
) -> tuple[dict[int, tuple[int, int]], dict[tuple[int, _Subject], dt.datetime]]:
    """What noise control needs to know of the instant emails sent to these readers, in two
    statements: how many went to each this hour and today, and when the last on each of these
    topics or searches went, within the burst window."""
    t = _tables()
    sent = f"""d.reader_id IN ({_marks(readers)}) AND d.state = 'sent' AND d.channel = 'email'
               AND d.alert_id IS NOT NULL AND d.sent_at > %s"""
    hour, day = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    counts = {
        reader: (int(this_hour), int(today))
        for reader, this_hour, today in _fetch(
            f"""SELECT d.reader_id, SUM(CASE WHEN d.sent_at > %s THEN 1 ELSE 0 END), COUNT(*)
                FROM {t["delivery"]} d WHERE {sent} GROUP BY d.reader_id""",  # noqa: S608
            [_at(hour), *readers, _at(day)],
        )
    }
    recent: dict[tuple[int, _Subject], dt.datetime] = {}
    when: dict[Any, dt.datetime] = {}  # a batch's emails went at a few moments: parse each once
    # What went to these readers within the burst window: a few emails each, at most their
    # hourly cap.
    for reader, reasons, last in _fetch(
        f"""SELECT d.reader_id, a.reasons, MAX(d.sent_at)
            FROM {t["delivery"]} d JOIN {t["alert"]} a ON a.id = d.alert_id
            WHERE {sent} GROUP BY d.reader_id, a.reasons""",  # noqa: S608
        [*readers, _at(now - BURST_WINDOW)],
    ):
        for subject in _subjects(reasons) & about:
            if last not in when:
                when[last] = _aware(last)
            key = (reader, subject)
            if key not in recent or recent[key] < when[last]:
                recent[key] = when[last]
    return counts, recent


def _held(
    due: list[_Due],
    subjects: dict[int, set[_Subject]],
    limits: dict[int, tuple[int, int, bool]],
    now: dt.datetime,
) -> tuple[dict[int, list[int]], list[tuple[int, _Wait]]]:
    """Noise control for a batch of due instant emails, in order, with the facts read once for
    the batch and each reader's emails judged one after another: which go now, each with the
    batch's others that ride along with it (its burst), and which wait or roll over, and how.
    `limits`: each reader's hourly and daily caps, and whether they keep quiet hours."""
    mine: dict[int, list[_Due]] = defaultdict(list)
    for delivery in due:
        mine[delivery.reader].append(delivery)
    if not mine:
        return {}, []
    topics = {subject for delivery in due if delivery.alert for subject in subjects[delivery.alert]}
    counts, recent = _email_counts(list(mine), topics, now)
    quiet = User.objects.filter(id__in=[r for r, (_, _, q) in limits.items() if q and r in mine])
    quiet_ends = {reader.id: quiet_hours_end(reader, now) for reader in quiet}
    going: dict[int, list[int]] = {}
    waits: dict[int, _Wait] = {}
    for reader_id, deliveries in mine.items():
        per_hour, per_day, _ = limits[reader_id]
        sent, today = counts.get(reader_id, (0, 0))
        riding: set[int] = set()
        for delivery in deliveries:
            if delivery.id in riding:
                continue
            assert delivery.alert is not None
            about = subjects[delivery.alert]
            latest = max(
                (recent[k] for s in about if (k := (reader_id, s)) in recent), default=None
            )
            wait = _hold(quiet_ends.get(reader_id), (per_hour, per_day), (sent, today), latest, now)
            if wait is not None:
                waits[delivery.id] = wait
                continue
            sent, today = sent + 1, today + 1
            recent.update({(reader_id, s): now for s in about})
            # What waits on the same topics rides along, as it would have had each been tried
            # on its own: not what went to the digest, nor a retry or another worker's.
            riders = [
                other.id
                for other in deliveries
                if other.id != delivery.id
                and other.state == Delivery.State.PENDING
                and other.id not in going
                and other.id not in riding
                and waits.get(other.id, (Delivery.State.PENDING,))[0] == Delivery.State.PENDING
                and other.alert is not None
                and about & subjects[other.alert]
            ]
            riding.update(riders)
            for other_id in riders:
                waits.pop(other_id, None)
            going[delivery.id] = riders
    position = {delivery.id: n for n, delivery in enumerate(due)}
    return dict(sorted(going.items(), key=lambda g: position[g[0]])), list(waits.items())


def _put_off(waits: list[tuple[int, _Wait]], abandoned: set[int], now: dt.datetime) -> None:
    """Make these due deliveries wait or roll over, one statement per kind of wait; what
    another worker took meanwhile is theirs. A rolled-over alert joins the next daily digest;
    a burst a dead worker had gathered into one of the `abandoned` waits again on its own."""
    kinds: dict[_Wait, list[int]] = defaultdict(list)
    for delivery_id, wait in waits:
        kinds[wait].append(delivery_id)
    with transaction.atomic():
        for (state, until), ids in kinds.items():
            changes, values = "state = %s, lease_until = NULL", [state]
            if until is not None:
                changes, values = changes + ", next_attempt_at = %s", [state, _at(until)]
            taken = _take_due(ids, now, changes, values)
            if state == Delivery.State.ROLLED and taken:
                alerts = [alert for _, alert in taken]
                _execute(
                    f"""UPDATE {Alert._meta.db_table} SET cadence = %s
                        WHERE id IN ({_marks(alerts)}) AND digest_id IS NULL""",  # noqa: S608
                    [Cadence.DAILY, *alerts],
                )
        if again := [d for d, _ in waits if d in abandoned]:
            _unmerge(again)


def _gather_burst(
    going: dict[int, list[int]],
    carriers: dict[int, tuple[int, int]],
    subjects: dict[int, set[_Subject]],
    catalogue: "_Catalogue",
    now: dt.datetime,
) -> dict[int, list[int]]:
    """The bursts of these claimed instant emails (delivery → reader and alert): the batch's
    riders that _held chose, and each reader's other waiting emails on the same topics or
    searches, which go with the first of the reader's emails that shares one. One conditional
    update per burst claims its riders: what another worker took first is not ours. Returns each
    email's riders' alerts (any a dead worker had gathered into it already included), and puts
    them in the catalogue."""
    riders = {carrier: list(ids) for carrier, ids in going.items()}
    chosen = {d for ids in going.values() for d in ids} | set(going)
    by_reader: dict[int, list[int]] = defaultdict(list)
    for carrier in going:
        by_reader[carriers[carrier][0]].append(carrier)
    t = _tables()
    pool: dict[int, tuple[int, int]] = {}
    found: dict[int, set[_Subject]] = defaultdict(set)
    for delivery_id, reader, alert, reasons in _fetch(
        f"""SELECT d.id, d.reader_id, d.alert_id, a.reasons
            FROM {t["delivery"]} d JOIN {t["alert"]} a ON a.id = d.alert_id
            WHERE d.reader_id IN ({_marks(by_reader)}) AND {t["off"]}d.state = 'pending'
              AND d.channel = 'email' AND d.alert_id IS NOT NULL
            ORDER BY d.id""",  # noqa: S608
        list(by_reader),
    ):
        if delivery_id not in chosen:
            pool[delivery_id] = (reader, alert)
            found[alert] |= _subjects(reasons)
    for delivery_id, (reader, alert) in pool.items():
        for carrier in by_reader[reader]:
            if found[alert] & subjects[carriers[carrier][1]]:
                riders[carrier].append(delivery_id)
                break
    with transaction.atomic():
        for carrier, ids in riders.items():
            if ids:
                _execute(
                    f"""UPDATE {t["delivery"]} SET state = 'merged', merged_into_id = %s,
                            sent_at = %s
                        WHERE id IN ({_marks(ids)}) AND {t["off"]}state = 'pending'""",  # noqa: S608
                    [carrier, _at(now), *ids],
                )
    rows = _fetch(
        f"""SELECT d.merged_into_id, d.alert_id, a.story_id, a.reasons
            FROM {t["delivery"]} d JOIN {t["alert"]} a ON a.id = d.alert_id
            WHERE d.merged_into_id IN ({_marks(going)})""",  # noqa: S608
        list(going),
    )
    catalogue.add(row[1:] for row in rows)
    gathered: dict[int, list[int]] = defaultdict(list)
    for carrier, alert, _, _ in rows:
        gathered[carrier].append(alert)
    return gathered


def _failed(
    delivery: Delivery,
    merged: list[Delivery],
    error: str,
    *,
    permanent: bool,
    retry_after: dt.timedelta | None = None,
) -> None:
    """`retry_after` (the receiver's Retry-After, bounded by DeliveryError) can postpone the
    retry, never hasten it: "Retry-After: 0" must not spend the schedule in seconds."""
    attempts = delivery.attempts  # loaded after the claim, so it counts this attempt
    dead = permanent or attempts > len(BACKOFF)
    with transaction.atomic():
        if dead:
            update: dict[str, object] = {"state": Delivery.State.DEAD}
        else:
            wait = BACKOFF[attempts - 1] * random.uniform(0.8, 1.2)
            if retry_after is not None and retry_after > wait:
                # Spread after the time asked for, so deliveries told the same date do not all
                # come back in the same second.
                wait = retry_after * random.uniform(1.0, 1.1)
            update = {"state": Delivery.State.RETRYING, "next_attempt_at": timezone.now() + wait}
        Delivery.objects.filter(id=delivery.id).update(
            lease_until=None, last_error=error[:2000], **update
        )
        # What rode along goes back to wait for its own turn.
        Delivery.objects.filter(id__in=[m.id for m in merged]).update(
            state=Delivery.State.PENDING, merged_into=None, sent_at=None
        )
        if delivery.channel == "webhook" and permanent and delivery.endpoint_id:
            # The first reason stays: the endpoint's other deliveries then fail as "disabled".
            WebhookEndpoint.objects.filter(id=delivery.endpoint_id, enabled=True).update(
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
    reasons = alert.reason_list
    known = stories.get(story.pk) if stories is not None else None
    if known is not None:
        return replace(
            known,
            alert_id=alert.id,
            topics=[r.label for r in reasons],
            reasons=[str(r) for r in reasons],
        )
    item = _story_item(
        story,
        alert_id=alert.id,
        standfirst=story.standfirst,
        url=settings.SITE_URL + story.get_absolute_url(),
        published_at=story.published_at.isoformat() if story.published_at else "",
        topics=[r.label for r in reasons],
        reasons=[str(r) for r in reasons],
    )
    if stories is not None:
        stories[story.pk] = item
    return item


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
        alerts = _alerts_for(digest.alerts.all())
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
    alerts = _alerts_for(Alert.objects.filter(id__in=ids))
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


def _alerts_for(alerts: QuerySet[Alert]) -> list[Alert]:
    return with_reasons(
        alerts.select_related("story__lead_image", "story__publisher").order_by(
            "-story__published_at"
        )
    )


def _links(
    reader_id: int, alerts: list[Alert], follows: dict[tuple[int, int], int] | None = None
) -> dict[str, str]:
    """One-click links for the follows and saved searches that brought these alerts."""
    reasons = [r for a in alerts for r in a.reason_list]
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
# Every email of an alert or a digest goes this way, in set-based statements over the whole
# batch: noise control reads its facts once and judges each reader's emails in order; what
# must wait or roll over does so in one statement per kind of wait, unclaimed; what goes is
# claimed in one statement and gathers its burst in one more; the messages are made from values
# read once (a story's item, a reason's words), each distinct one rendered once, and one SMTP
# connection carries them all while the next is being built. The statements that take a list of
# ids are SQL: the ORM spends microseconds on each id, and a storm has millions.

EMAIL_BATCH = 1000
RECORD_EVERY = 50  # sent emails recorded together; a worker killed mid-batch resends ≤ this
# Delivery.objects.due(), beside a list of ids: kept off the state index (see _tables).
_DUE = """(({off}d.state IN ('pending', 'retrying') AND d.next_attempt_at <= %s)
           OR ({off}d.state = 'sending' AND d.lease_until <= %s))"""


def _tables() -> dict[str, str]:
    return {
        "delivery": Delivery._meta.db_table,
        "alert": Alert._meta.db_table,
        "user": User._meta.db_table,
        # Beside a list of ids, SQLite (which keeps no statistics) would read the state index
        # for `state = …`, every row in that state; a unary plus keeps the term off the index.
        "off": "+" if connection.vendor == "sqlite" else "",
    }


def _marks(values: Collection[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _at(moment: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _aware(value: Any) -> dt.datetime:
    """A datetime read by SQL: PostgreSQL's is aware, SQLite's naive in the database's zone."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, connection.timezone)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _take_due(
    ids: list[int], now: dt.datetime, changes: str, values: list[Any]
) -> list[tuple[int, int | None]]:
    """One statement makes `changes` (SQL assignments with `values` as their parameters) to
    the still-due rows of `ids` and returns their (id, alert); others are someone else's. On
    PostgreSQL, rows another worker is taking right now are skipped, not waited for."""
    if not ids:
        return []
    table, due = Delivery._meta.db_table, _DUE.format(**_tables())
    chosen = f"SELECT d.id FROM {table} d WHERE d.id IN ({_marks(ids)}) AND {due}"  # noqa: S608
    if connection.vendor == "postgresql":
        chosen += " FOR UPDATE SKIP LOCKED"
    # Only the table name and the caller's assignments are interpolated.
    return [
        (row[0], row[1])
        for row in _fetch(
            f"UPDATE {table} SET {changes} WHERE id IN ({chosen}) RETURNING id, alert_id",  # noqa: S608
            [*values, *ids, _at(now), _at(now)],
        )
    ]


def _claim_many(ids: list[int], now: dt.datetime) -> list[int]:
    """One statement makes the still-due rows of `ids` ours for LEASE."""
    changes = "state = 'sending', lease_until = %s, attempts = attempts + 1"
    return [row[0] for row in _take_due(ids, now, changes, [_at(now + LEASE)])]


def _batchable(rows: list[tuple[int, str, int | None]]) -> tuple[list[int], list[int]]:
    """(ids for the batch path, ids for the one-by-one path) of due (id, channel, reply) rows:
    emails of alerts and digests go in batches; replies and webhooks one by one."""
    batch = [r[0] for r in rows if r[1] == "email" and r[2] is None]
    chosen = set(batch)
    return batch, [r[0] for r in rows if r[0] not in chosen]


_OWN = {"alert_id", "topics", "reasons"}  # what an item does not share with its story's others


class _Catalogue:
    """What a batch's messages are made of, read as values: each alert's story and reasons (as
    `add`ed), then once each (`complete`) a story's item with its address and rights and a
    reason's label and sentence. An alert becomes an item without being loaded as an object, a
    burst or a digest of hundreds included."""

    def __init__(self) -> None:
        self.alerts: dict[int, tuple[int, str]] = {}
        self.digests: dict[int, list[int]] = defaultdict(list)
        self.periods: dict[int, str] = {}
        # A story's item but for alert_id, topics and reasons; and when it was published.
        self.stories: dict[int, tuple[dict[str, Any], dt.datetime | None]] = {}
        # An alert's packed reasons → its item's topics and reasons, in Reason.order.
        self.said: dict[str, tuple[list[str], list[str]]] = {}
        self.keys: dict[str, list[ReasonKey]] = {}
        self.found: set[ReasonKey] = set()  # reasons whose topic or search still exists

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows of (alert, story, packed reasons)."""
        for alert, story, reasons in rows:
            self.alerts[alert] = (story, reasons)
            if reasons not in self.keys:
                self.keys[reasons] = unpack_reasons(reasons)

    def add_digests(self, digests: list[int]) -> None:
        t = _tables()
        rows = _fetch(
            f"""SELECT a.digest_id, a.id, a.story_id, a.reasons
                FROM {t["alert"]} a
                WHERE a.digest_id IN ({_marks(digests)})""",  # noqa: S608
            list(digests),
        )
        for digest, alert, _, _ in rows:
            self.digests[digest].append(alert)
        self.add(row[1:] for row in rows)
        self.periods.update(Digest.objects.filter(id__in=digests).values_list("id", "period"))

    def complete(self) -> None:
        resolved = resolve_reasons(key for keys in self.keys.values() for key in keys)
        self.found = set(resolved)
        # Each reason's words once; Reason.order first, which decides a digest's groups.
        words = {key: (r.order(), r.label, str(r)) for key, r in resolved.items()}
        for packed, keys in self.keys.items():
            said = sorted(words[key] for key in keys if key in words)
            self.said[packed] = ([label for _, label, _ in said], [text for _, _, text in said])
        stories = Story.objects.filter(id__in={story for story, _ in self.alerts.values()})
        for story in stories.select_related("lead_image", "publisher"):
            item = _story_item(
                story,
                alert_id=0,
                standfirst=story.standfirst,
                url=settings.SITE_URL + story.get_absolute_url(),
                published_at=story.published_at.isoformat() if story.published_at else "",
                topics=[],
                reasons=[],
            )
            shared = {k: v for k, v in vars(item).items() if k not in _OWN}
            self.stories[story.id] = (shared, story.published_at)

    def topics(self) -> set[int]:
        return {t for _, t, _ in self.found if t is not None}

    def items(self, alerts: list[int]) -> list[Item]:
        """Newest story first, as _alerts_for orders them."""
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        newest = sorted(alerts, key=lambda a: self.stories[self.alerts[a][0]][1] or oldest)
        items = []
        for alert in reversed(newest):
            story, reasons = self.alerts[alert]
            topics, said = self.said[reasons]
            items.append(
                Item(alert_id=alert, topics=topics, reasons=said, **self.stories[story][0])
            )
        return items

    def links(
        self, reader_id: int, alerts: list[int], follows: dict[tuple[int, int], int]
    ) -> dict[str, str]:
        """As _links: one-click links for the follows and saved searches behind these alerts."""
        reasons = [
            key for alert in alerts for key in self.keys[self.alerts[alert][1]] if key in self.found
        ]
        topic_ids = {t for _, t, _ in reasons if t is not None}
        search_ids = sorted({s for _, _, s in reasons if s is not None})
        follow_ids = sorted(f for t in topic_ids if (f := follows.get((reader_id, t))) is not None)
        return {
            "unsubscribe": one_click_url("unfollow", reader_id, follow_ids, search_ids),
            "digest": one_click_url("digest", reader_id, follow_ids, search_ids),
            "snooze": one_click_url("snooze", reader_id, follow_ids, search_ids),
            "settings": settings.SITE_URL + reverse("alerts:my_topics"),
        }

    def message(
        self, delivery: Delivery, alerts: list[int], follows: dict[tuple[int, int], int]
    ) -> Message:
        """As build_message: a digest grouped by topic, or one alert, or a burst."""
        if delivery.digest_id is not None:
            alerts = self.digests[delivery.digest_id]
        items = self.items(alerts)
        links = self.links(delivery.reader_id, alerts, follows)
        if delivery.digest_id is None:
            subject = items[0].headline if len(items) == 1 else (
                f"{len(items)} new stories on "
                f"{', '.join(sorted({t for i in items for t in i.topics[:1]}))}"
            )  # fmt: skip
            return Message(
                delivery_id=delivery.id, kind="alert", subject=subject, items=items, links=links
            )
        groups: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            for topic in item.topics[:1] or ["Other"]:
                groups[topic].append(item)
        daily = self.periods[delivery.digest_id] == Digest.Period.DAILY
        period = "Your daily" if daily else "Your weekly"
        return Message(
            delivery_id=delivery.id,
            kind="digest",
            subject=f"{period} {settings.SITE_NAME} digest: {len(items)} new stories",
            items=items,
            groups=dict(sorted(groups.items())),
            links=links,
        )


def _deliver_emails(ids: list[int]) -> int:
    """Send a batch of due emails, of alerts and of digests; returns how many went."""
    from alerts.channels import CHANNELS
    from alerts.channels.email import EmailChannel, Renderer

    now = timezone.now()
    t = _tables()
    due: dict[int, _Due] = {}
    limits: dict[int, tuple[int, int, bool]] = {}
    rows = _fetch(
        f"""SELECT d.id, d.reader_id, d.alert_id, d.digest_id, d.state,
                   a.story_id, a.reasons, u.max_alerts_per_hour,
                   u.max_alerts_per_day, u.quiet_start IS NOT NULL AND u.quiet_end IS NOT NULL
            FROM {t["delivery"]} d
            JOIN {t["user"]} u ON u.id = d.reader_id
            LEFT JOIN {t["alert"]} a ON a.id = d.alert_id
            WHERE d.id IN ({_marks(ids)}) AND {_DUE.format(**t)}
            ORDER BY d.next_attempt_at, d.id""",  # noqa: S608
        [*ids, _at(now), _at(now)],
    )
    subjects: dict[int, set[_Subject]] = defaultdict(set)
    for delivery_id, reader, alert, digest, state, _, reasons, *caps in rows:
        due[delivery_id] = _Due(delivery_id, reader, alert, digest, state)
        limits[reader] = (caps[0], caps[1], bool(caps[2]))
        if alert is not None:
            subjects[alert] = _subjects(reasons)
    instant = [d for d in due.values() if d.alert is not None]
    going, waits = _held(instant, subjects, limits, now)
    _put_off(waits, {d.id for d in instant if d.state == Delivery.State.SENDING}, now)
    claimed = set(_claim_many([*going, *(d.id for d in due.values() if d.digest)], now))
    if not claimed:
        return 0
    going = {carrier: riders for carrier, riders in going.items() if carrier in claimed}
    carriers = {d.id: (d.reader, d.alert) for d in instant if d.id in going and d.alert}
    catalogue = _Catalogue()
    catalogue.add(row[2:3] + row[5:7] for row in rows if row[0] in going)
    riders = _gather_burst(going, carriers, subjects, catalogue, now) if going else {}
    alerts = {d: [alert, *riders.get(d, [])] for d, (_, alert) in carriers.items()}
    if digests := [d.digest for d in due.values() if d.id in claimed and d.digest is not None]:
        catalogue.add_digests(digests)
    catalogue.complete()
    deliveries = Delivery.objects.select_related("reader").in_bulk(list(claimed))
    ready = [deliveries[d] for d in due if d in deliveries]
    follows = _follows(sorted({d.reader_id for d in ready}), catalogue.topics())
    channel = CHANNELS["email"]
    assert isinstance(channel, EmailChannel)
    renderer = Renderer()
    sent: list[int] = []

    def record() -> None:
        Delivery.objects.filter(id__in=sent).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
        )
        sent.clear()

    def build(delivery: Delivery) -> EmailMultiAlternatives | Exception:
        # In a thread of its own, so the next message is ready while the mail server answers
        # this one; it reads only what was loaded above, never the database.
        try:
            message = catalogue.message(delivery, alerts.get(delivery.id, []), follows)
            return channel.build(delivery, message, *renderer.render(message))
        except Exception as exc:
            return exc

    total = 0
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-build")
    try:
        # One message built ahead, not the whole batch: a burst or a digest can be large.
        upcoming = pool.submit(build, ready[0]) if ready else None
        for n, delivery in enumerate(ready):
            assert upcoming is not None
            email = upcoming.result()
            upcoming = pool.submit(build, ready[n + 1]) if n + 1 < len(ready) else None
            if stop_requested():
                # Not tried: due again at once for the next worker, bursts and all.
                _give_back([d.id for d in ready[n:]], now + LEASE, state=Delivery.State.PENDING)
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
                merged = list(Delivery.objects.filter(merged_into=delivery))
                _finish(_Attempt(delivery, None, merged), exc)
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
    many schedulers run this at once, and none for a period before the reader's latest digest
    (a clock stepped back, a reader moving west)."""
    now = now or timezone.now()
    waiting = Alert.objects.filter(digest__isnull=True, cadence__in=[Cadence.DAILY, Cadence.WEEKLY])
    made = 0
    for reader in User.objects.filter(id__in=waiting.values("reader_id")):
        if stop_requested():
            break  # the rest are made on the next tick
        zone = zoneinfo.ZoneInfo(reader.timezone)
        local = now.astimezone(zone)
        day, owed = local.date(), now
        if local.time() < reader.digest_time:
            # Yesterday's digest is still owed if no tick came between its time and midnight (a
            # late digest time, a backlog, a stopped worker): for the alerts waiting by then.
            day -= dt.timedelta(days=1)
            owed = dt.datetime.combine(day, reader.digest_time, tzinfo=zone)
        periods = [Digest.Period.DAILY]
        if day.weekday() == reader.weekly_digest_day:
            periods.append(Digest.Period.WEEKLY)
        for period in periods:
            made += _make_digest(reader, period, day, now, owed)
    if made:
        ring_doorbell()
    return made


def _make_digest(
    reader: User, period: str, day: dt.date, now: dt.datetime, owed: dt.datetime
) -> int:
    """The reader's digest for `day` of the alerts waiting now, if one of them was waiting at
    `owed` and the reader has no digest for this day or a later one."""
    # A daily digest also carries instant alerts that the caps rolled over.
    cadences = [Cadence.DAILY] if period == Digest.Period.DAILY else [Cadence.WEEKLY]
    alerts = Alert.objects.filter(
        reader=reader, digest__isnull=True, cadence__in=cadences, created_at__lte=now
    )
    if not alerts.filter(created_at__lte=owed).exists():
        return 0  # nothing new: no empty digest
    if Digest.objects.filter(reader=reader, period=period, period_start__gte=day).exists():
        return 0  # made already, or a later period's was (the clock went back): they wait
    try:
        with transaction.atomic():
            digest = Digest.objects.create(reader=reader, period=period, period_start=day)
            if not alerts.update(digest=digest):
                # Another scheduler's digest (another day's, on a clock stepped meanwhile)
                # took them first: no empty digest.
                transaction.set_rollback(True)
                return 0
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
