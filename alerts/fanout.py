"""Fan-out: one event → Alert, AlertReason and Delivery rows, in set-based SQL.

Readers are taken in batches of consecutive ids, each batch in its own transaction. Every insert
skips rows that exist (the unique constraints), so a worker killed mid-way and run again finishes
the job without losing or doubling an alert.
"""

import contextlib
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
_LIVE_SEARCH = """
    sm.story_id = %(story)s
    AND s.cadence <> 'off' AND NOT s.muted
    AND (s.snoozed_until IS NULL OR s.snoozed_until <= %(now)s)
    AND s.reader_id > %(after)s AND s.reader_id <= %(upto)s
"""
_SEARCH_MATCH = _LIVE_SEARCH + " AND u.is_active AND s.reader_id <> %(author)s"
_EAGER = "CASE {}.cadence WHEN 'instant' THEN 0 WHEN 'daily' THEN 1 ELSE 2 END"
# This event's alert of a reader, found by the (story, reader) index. An update's fan-out
# checks the event on the row, so that it reaches only the alerts it wrote. The publishing
# event (one per story) does not: it comes first, and should an update's task overtake it,
# the unique keys keep it from adding a second delivery to what the update wrote.
_ALERT_OF = "a.story_id = %(story)s AND a.reader_id = {}.reader_id"
_WRITTEN_BY = " AND a.event_id = %(event)s"
# Implied by the joins, but said outright: a planner whose statistics predate this event's
# alerts would otherwise read all of them for every batch of readers.
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


def _statements(searched: bool = True, update: bool = False) -> list[str]:
    """The batch's statements; without `searched` (no saved search matched the story), those
    of saved searches are left out; with `update`, the event is not the story's first."""
    t = _tables()
    alert_of = _ALERT_OF + (_WRITTEN_BY if update else "")
    matched = f"""
        FROM {t["storytopic"]} st
        JOIN {t["follow"]} f ON f.topic_id = st.topic_id
        JOIN {t["user"]} u ON u.id = f.reader_id
    """
    searched_from = f"""
        FROM {t["match"]} sm
        JOIN {t["search"]} s ON s.id = sm.search_id
        JOIN {t["user"]} u ON u.id = s.reader_id
    """
    search_branch = f"""
            UNION ALL
            SELECT s.reader_id, {_EAGER.format("s")}
            {searched_from} WHERE {_SEARCH_MATCH}
    """ if searched else ""  # fmt: skip
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
            {search_branch}
        ) m
        WHERE true
        GROUP BY m.reader_id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (table names from model metadata; values are parameters)
    # This event's alert stands for the reader checks: it exists only where they passed.
    # CROSS JOIN keeps SQLite's order (PostgreSQL reorders it as any join): from the story's
    # topics to their followers, a range of readers, to each one's alert. Started from the
    # alerts, it would read all of each reader's follows to find the story's topics among them.
    reasons = f"""
        INSERT INTO {t["reason"]} (alert_id, topic_id, search_id, role)
        SELECT a.id, st.topic_id, NULL,
               CASE WHEN f.scope = 'quoted' THEN 'quoted' ELSE st.role END
        FROM {t["storytopic"]} st
        CROSS JOIN {t["follow"]} f
        CROSS JOIN {t["alert"]} a
        WHERE f.topic_id = st.topic_id AND {alert_of.format("f")}
          AND {_LIVE_FOLLOW} AND {_ALERT_RANGE}
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    # The same order: from the story's matches, never from each alert to its reader's searches.
    search_reasons = f"""
        INSERT INTO {t["reason"]} (alert_id, topic_id, search_id, role)
        SELECT a.id, NULL, s.id, 'search'
        FROM {t["match"]} sm
        CROSS JOIN {t["search"]} s
        CROSS JOIN {t["alert"]} a
        WHERE s.id = sm.search_id AND {alert_of.format("s")}
          AND {_LIVE_SEARCH} AND {_ALERT_RANGE}
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    instant = """
        WHERE a.story_id = %(story)s AND a.cadence = 'instant'
          AND a.reader_id > %(after)s AND a.reader_id <= %(upto)s
    """ + (_WRITTEN_BY if update else "")
    columns = (
        "reader_id, channel, alert_id, endpoint_id, state, attempts, next_attempt_at, "
        "last_error, created_at"
    )
    emails = f"""
        INSERT INTO {t["delivery"]} ({columns})
        SELECT a.reader_id, 'email', a.id, NULL, 'pending', 0, %(now)s, '', %(now)s
        FROM {t["alert"]} a JOIN {t["user"]} u ON u.id = a.reader_id
        {instant} AND u.email_alerts AND u.email <> '' AND u.email_verified_at IS NOT NULL
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    webhooks = f"""
        INSERT INTO {t["delivery"]} ({columns})
        SELECT a.reader_id, 'webhook', a.id, e.id, 'pending', 0, %(now)s, '', %(now)s
        FROM {t["alert"]} a JOIN {t["endpoint"]} e ON e.reader_id = a.reader_id
        {instant} AND e.enabled
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    if not searched:
        return [alerts, reasons, emails, webhooks]
    return [alerts, reasons, search_reasons, emails, webhooks]


def _reader_batches(params: dict[str, Any], searched: bool) -> list[tuple[int, int]]:
    """(after, upto] ranges of reader ids holding at most ALERTS_FANOUT_BATCH readers each.

    It counts every follower and searcher, live or not, from the indexes alone: a batch bound
    only has to keep a transaction small, and reading each follow to skip the muted ones would
    cost as much as the batch's first statement."""
    size = settings.ALERTS_FANOUT_BATCH
    t = _tables()
    searchers = f"""
        UNION
        SELECT s.reader_id FROM {t["match"]} sm JOIN {t["search"]} s ON s.id = sm.search_id
        WHERE sm.story_id = %(story)s""" if searched else ""  # noqa: S608  # fmt: skip
    with connection.cursor() as cursor:
        # Only table names (from model metadata) are interpolated; values go as parameters.
        cursor.execute(
            f"""SELECT f.reader_id
                FROM {t["storytopic"]} st JOIN {t["follow"]} f ON f.topic_id = st.topic_id
                WHERE st.story_id = %(story)s
                {searchers}
                ORDER BY 1""",  # noqa: S608
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
    bounds, after = [], 0
    for start in range(0, len(ids), size):
        upto = ids[min(start + size, len(ids)) - 1]
        if upto > after:  # the same reader twice (two followed topics) ends no batch
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
    searched = SearchMatch.objects.filter(story_id=event.story_id).exists()
    update = event.kind != Event.Kind.PUBLISHED
    statements = _statements(searched, update)
    with _parents_checked_by_joins():
        for after, upto in _reader_batches(params, searched):
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # A batch lost to a crash is written again (the event is marked done only
                    # after the last batch, and commits become durable in order): no need to
                    # wait for each one's flush to disk.
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                for statement in statements:
                    cursor.execute(statement, {**params, "after": after, "upto": upto})
            if pause:
                time.sleep(pause)
    alerts = Alert.objects.filter(story_id=event.story_id)
    return (alerts.filter(event=event) if update else alerts).count()


def _parents_checked_by_joins() -> contextlib.AbstractContextManager[Any]:
    """SQLite's foreign-key checks off for the batches, where they can be (outside any other
    transaction). Every id a batch writes comes from a row its own statements join (the
    reader, the story, the event, the topic, the alert just written), and SQLite has one
    writer: no other connection can delete one of those rows before the batch commits. The
    checks cost a lookup per foreign key per row, a quarter of the batch's time. PostgreSQL has
    concurrent writers, and keeps its checks."""
    if connection.vendor != "sqlite":
        return contextlib.nullcontext()
    return connection.constraint_checks_disabled()
