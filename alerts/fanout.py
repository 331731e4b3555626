"""Fan-out: one event → Alert rows (their reasons on them) and Delivery rows, in set-based SQL.

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
from alerts.models import Alert, Delivery, Event, Follow, WebhookEndpoint
from search.models import SavedSearch, SearchMatch
from topics.models import StoryTopic

# A follow matches a story topic when it is live, its scope admits the topic's role, and its
# reader may hear of it.
_MATCH = """
    st.story_id = %(story)s
    AND f.cadence <> 'off' AND NOT f.muted
    AND (f.snoozed_until IS NULL OR f.snoozed_until <= %(now)s)
    AND (f.scope = 'mention'
         OR (f.scope = 'about' AND st.role IN ('primary', 'about'))
         OR (f.scope = 'primary' AND st.role = 'primary')
         OR (f.scope = 'quoted' AND st.quoted))
    AND f.reader_id > %(after)s AND f.reader_id <= %(upto)s
    AND u.is_active AND f.reader_id <> %(author)s
"""
# A saved search matches when the percolator said so (SearchMatch) and it is live.
_SEARCH_MATCH = """
    sm.story_id = %(story)s
    AND s.cadence <> 'off' AND NOT s.muted
    AND (s.snoozed_until IS NULL OR s.snoozed_until <= %(now)s)
    AND s.reader_id > %(after)s AND s.reader_id <= %(upto)s
    AND u.is_active AND s.reader_id <> %(author)s
"""
_EAGER = "CASE {}.cadence WHEN 'instant' THEN 0 WHEN 'daily' THEN 1 ELSE 2 END"
# An update's fan-out gives deliveries only to the alerts it wrote. The publishing event (one
# per story) needs no such check: it comes first, and should an update's task overtake it, the
# unique keys keep it from adding a second delivery to what the update wrote.
_WRITTEN_BY = " AND a.event_id = %(event)s"


def _tables() -> dict[str, str]:
    return {
        "alert": Alert._meta.db_table,
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
    # A reason as packed on the alert (models.pack_reasons): role's letter and the id.
    topic_reason = (
        "CASE WHEN f.scope = 'quoted' THEN 'q' ELSE substr(st.role, 1, 1) END"
        " || CAST(st.topic_id AS TEXT)"
    )
    matches = f"""
            SELECT f.reader_id AS reader_id, {_EAGER.format("f")} AS eager,
                   {topic_reason} AS reason
            FROM {t["storytopic"]} st
            JOIN {t["follow"]} f ON f.topic_id = st.topic_id
            JOIN {t["user"]} u ON u.id = f.reader_id
            WHERE {_MATCH}
    """  # noqa: S608 (table names from model metadata; values are parameters)
    if searched:
        matches += f"""
            UNION ALL
            SELECT s.reader_id, {_EAGER.format("s")}, 's' || CAST(s.id AS TEXT)
            FROM {t["match"]} sm
            JOIN {t["search"]} s ON s.id = sm.search_id
            JOIN {t["user"]} u ON u.id = s.reader_id
            WHERE {_SEARCH_MATCH}
        """  # noqa: S608
    cadence = "CASE {} WHEN 0 THEN 'instant' WHEN 1 THEN 'daily' ELSE 'weekly' END"
    # One alert per reader however many follows and searches match, with all of them as its
    # reasons; the most eager of them decides: instant beats a daily digest beats a weekly one.
    # Run again (after a crash, or by the sweeper), the fan-out adds to this event's alerts the
    # reasons that have come to match since, each once, and leaves their cadence as it was: a
    # digest may hold the alert already, and its email must not go twice.
    if connection.vendor == "sqlite":
        # Row by row, a reader's next match joining the alert their first wrote (in this run:
        # the same created_at): SQLite would sort every batch to group it, a third of the
        # statement's time.
        more_eager = f"{_EAGER.format('excluded')} < {_EAGER.format(t['alert'])}"
        alerts = f"""
            INSERT INTO {t["alert"]} (reader_id, story_id, event_id, cadence, created_at, reasons)
            SELECT m.reader_id, %(story)s, %(event)s, {cadence.format("m.eager")}, %(now)s,
                   m.reason
            FROM ({matches}) m
            WHERE true
            ON CONFLICT (story_id, reader_id) DO UPDATE SET
                reasons = reasons || ' ' || excluded.reasons,
                cadence = CASE WHEN created_at = excluded.created_at AND {more_eager}
                               THEN excluded.cadence ELSE cadence END
            WHERE event_id = excluded.event_id
              AND instr(' ' || reasons || ' ', ' ' || excluded.reasons || ' ') = 0
        """  # noqa: S608
    else:
        # PostgreSQL refuses to update one row twice in a statement: grouped first, so only a
        # run again meets its alerts, and takes from its reasons the ones they lack.
        new = """(SELECT string_agg(r, ' ') FROM unnest(string_to_array(excluded.reasons, ' ')) r
                  WHERE r <> ALL(string_to_array(a.reasons, ' ')))"""
        alerts = f"""
            INSERT INTO {t["alert"]} AS a
                (reader_id, story_id, event_id, cadence, created_at, reasons)
            SELECT m.reader_id, %(story)s, %(event)s, {cadence.format("MIN(m.eager)")},
                   %(now)s, string_agg(m.reason, ' ')
            FROM ({matches}) m
            GROUP BY m.reader_id
            ON CONFLICT (story_id, reader_id) DO UPDATE SET reasons = a.reasons || ' ' || {new}
            WHERE a.event_id = excluded.event_id AND {new} IS NOT NULL
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
    return [alerts, emails, webhooks]


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
                {searchers}""",  # noqa: S608
            params,
        )
        # Sorted here: SQLite would sort them in a temporary b-tree, at twice the cost of
        # Python's sort of what is already a few sorted runs (one per topic).
        ids = sorted(row[0] for row in cursor)
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
