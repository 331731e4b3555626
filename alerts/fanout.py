"""Fan-out: one event → Alert, AlertReason and Delivery rows, in set-based SQL.

Readers are taken in batches of consecutive ids, each batch in its own transaction. Every insert
skips rows that exist (the unique constraints), so a worker killed mid-way and run again finishes
the job without losing or doubling an alert.
"""

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from accounts.models import User
from alerts.models import Alert, AlertReason, Delivery, Event, Follow, WebhookEndpoint
from search.models import SavedSearch, SearchMatch
from topics.models import StoryTopic

# A follow matches a story topic when it is live and its scope admits the topic's role.
_LIVE_FOLLOW = """
    st.story_id = %(story)s
    AND f.cadence <> 'off' AND NOT f.muted
    AND (f.snoozed_until IS NULL OR f.snoozed_until <= %(now)s)
    AND (f.scope = 'mention'
         OR (f.scope = 'about' AND st.role IN ('primary', 'about'))
         OR (f.scope = 'primary' AND st.role = 'primary')
         OR (f.scope = 'quoted' AND st.quoted))
    AND f.reader_id > %(after)s AND f.reader_id <= %(upto)s
"""
# ... and its reader may hear of it.
_MATCH = _LIVE_FOLLOW + " AND u.is_active AND f.reader_id <> %(author)s"
# A saved search matches when the percolator said so (SearchMatch) and it is live.
_SEARCH_MATCH = """
    sm.story_id = %(story)s
    AND s.cadence <> 'off' AND NOT s.muted
    AND (s.snoozed_until IS NULL OR s.snoozed_until <= %(now)s)
    AND u.is_active AND s.reader_id <> %(author)s
    AND s.reader_id > %(after)s AND s.reader_id <= %(upto)s
"""
_EAGER = "CASE {}.cadence WHEN 'instant' THEN 0 WHEN 'daily' THEN 1 ELSE 2 END"
# Implied by the joins, but said outright: a planner whose statistics predate this event's
# alerts would otherwise read all of them for every batch of readers. (The alert is found by
# (event, reader) alone: the event fixes the story, and naming the story too let PostgreSQL's
# planner AND two indexes, reading every alert of the story per batch.)
_ALERT_RANGE = "a.reader_id > %(after)s AND a.reader_id <= %(upto)s"


def _tables() -> dict[str, str]:
    return {
        "alert": Alert._meta.db_table,
        "reason": AlertReason._meta.db_table,
        "delivery": Delivery._meta.db_table,
        "follow": Follow._meta.db_table,
        "storytopic": StoryTopic._meta.db_table,
        "user": User._meta.db_table,
        "endpoint": WebhookEndpoint._meta.db_table,
        "search": SavedSearch._meta.db_table,
        "match": SearchMatch._meta.db_table,
    }


def _statements() -> list[str]:
    t = _tables()
    matched = f"""
        FROM {t["storytopic"]} st
        JOIN {t["follow"]} f ON f.topic_id = st.topic_id
        JOIN {t["user"]} u ON u.id = f.reader_id
    """
    searched = f"""
        FROM {t["match"]} sm
        JOIN {t["search"]} s ON s.id = sm.search_id
        JOIN {t["user"]} u ON u.id = s.reader_id
    """
    # One alert per reader however many follows and searches match; the most eager of them
    # decides: instant beats a daily digest beats a weekly one.
    alerts = f"""
        INSERT INTO {t["alert"]} (reader_id, story_id, event_id, cadence, created_at)
        SELECT m.reader_id, %(story)s, %(event)s,
               CASE MIN(m.eager) WHEN 0 THEN 'instant' WHEN 1 THEN 'daily' ELSE 'weekly' END,
               %(now)s
        FROM (
            SELECT f.reader_id AS reader_id, {_EAGER.format("f")} AS eager
            {matched} WHERE {_MATCH}
            UNION ALL
            SELECT s.reader_id, {_EAGER.format("s")}
            {searched} WHERE {_SEARCH_MATCH}
        ) m
        WHERE true
        GROUP BY m.reader_id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (table names from model metadata; values are parameters)
    # This event's alert stands for the reader checks: it exists only where they passed.
    reasons = f"""
        INSERT INTO {t["reason"]} (alert_id, topic_id, search_id, role)
        SELECT a.id, st.topic_id, NULL,
               CASE WHEN f.scope = 'quoted' THEN 'quoted' ELSE st.role END
        FROM {t["storytopic"]} st
        JOIN {t["follow"]} f ON f.topic_id = st.topic_id
        JOIN {t["alert"]} a ON a.event_id = %(event)s AND a.reader_id = f.reader_id
        WHERE {_LIVE_FOLLOW} AND {_ALERT_RANGE}
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    search_reasons = f"""
        INSERT INTO {t["reason"]} (alert_id, topic_id, search_id, role)
        SELECT a.id, NULL, s.id, 'search'
        {searched}
        JOIN {t["alert"]} a ON a.event_id = %(event)s AND a.reader_id = s.reader_id
        WHERE {_SEARCH_MATCH} AND {_ALERT_RANGE}
        ON CONFLICT DO NOTHING
    """
    instant = """
        FROM {alert} a JOIN {user} u ON u.id = a.reader_id
        WHERE a.event_id = %(event)s AND a.cadence = 'instant'
          AND a.reader_id > %(after)s AND a.reader_id <= %(upto)s
    """.format(**t)
    columns = (
        "reader_id, channel, alert_id, endpoint_id, state, attempts, next_attempt_at, "
        "last_error, created_at"
    )
    emails = f"""
        INSERT INTO {t["delivery"]} ({columns})
        SELECT a.reader_id, 'email', a.id, NULL, 'pending', 0, %(now)s, '', %(now)s
        {instant} AND u.email_alerts AND u.email <> '' AND u.email_verified_at IS NOT NULL
        ON CONFLICT DO NOTHING
    """
    webhooks = f"""
        INSERT INTO {t["delivery"]} ({columns})
        SELECT a.reader_id, 'webhook', a.id, e.id, 'pending', 0, %(now)s, '', %(now)s
        {instant.replace("WHERE", f"JOIN {t['endpoint']} e ON e.reader_id = a.reader_id WHERE", 1)}
          AND e.enabled
        ON CONFLICT DO NOTHING
    """
    return [alerts, reasons, search_reasons, emails, webhooks]


def _reader_batches(event: Event, params: dict[str, Any]) -> list[tuple[int, int]]:
    """(after, upto] ranges of reader ids holding at most ALERTS_FANOUT_BATCH readers each."""
    size = settings.ALERTS_FANOUT_BATCH
    t = _tables()
    with connection.cursor() as cursor:
        # Only table names (from model metadata) are interpolated; values go as parameters.
        cursor.execute(
            f"""SELECT f.reader_id
                FROM {t["storytopic"]} st
                JOIN {t["follow"]} f ON f.topic_id = st.topic_id
                JOIN {t["user"]} u ON u.id = f.reader_id
                WHERE {_MATCH}
                UNION
                SELECT s.reader_id
                FROM {t["match"]} sm
                JOIN {t["search"]} s ON s.id = sm.search_id
                JOIN {t["user"]} u ON u.id = s.reader_id
                WHERE {_SEARCH_MATCH}
                ORDER BY 1""",  # noqa: S608
            {**params, "after": 0, "upto": 2**62},
        )
        ids = [row[0] for row in cursor.fetchall()]
    bounds, after = [], 0
    for start in range(0, len(ids), size):
        upto = ids[min(start + size, len(ids)) - 1]
        bounds.append((after, upto))
        after = upto
    return bounds


def fan_out_event(event: Event, now: dt.datetime, *, pause: float = 0.0) -> int:
    """Write the alerts of one event; returns how many alert rows the event now has.

    `pause` (seconds between batches) exists for the crash test, which kills a worker mid-way.
    """
    params: dict[str, Any] = {
        "story": event.story_id,
        "event": event.id,
        "now": connection.ops.adapt_datetimefield_value(now),
        "author": event.story.created_by_id or 0,
    }
    statements = _statements()
    for after, upto in _reader_batches(event, params):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # A batch lost to a crash is written again (the event is marked done only
                # after the last batch, and commits become durable in order): no need to wait
                # for each one's flush to disk.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for statement in statements:
                cursor.execute(statement, {**params, "after": after, "upto": upto})
        if pause:
            time.sleep(pause)
    return Alert.objects.filter(event=event).count()
