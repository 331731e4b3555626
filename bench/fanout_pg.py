"""Fan-out on PostgreSQL: 100,000 followers, `fan_out` against bulk_create (as bench/alerts.py
does on SQLite), and the helpers bench/fanout_1m.py shares.

It runs on a throwaway database (tidings.postgres_testing: made, migrated, dropped afterwards
whatever happens) in a child process: DATABASE_URL is read once, by django.setup(), and `make
bench` has pointed this process at SQLite by then. It skips, saying so, when no server answers.
Readers and follows are written by INSERT … SELECT over generate_series, not Python objects.
"""

import math
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import Max, Min, Model

from accounts.models import User
from alerts.actions import fan_out
from alerts.models import Alert, Delivery, Event, Follow
from bench.alerts import _naive
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import StoryTopic, Topic

# Two, not bench/alerts.py's three: a bulk_create round takes half a minute on PostgreSQL.
ROUNDS = 2


def on_throwaway_postgres(call: str, *, timeout: float) -> None:
    """Run `call` (Python, after django.setup()) in a child process on a new database."""
    import pytest  # tidings.postgres_testing skips through pytest when no server answers

    from tidings.postgres_testing import SERVER_URL, connect, throwaway_postgres

    try:
        connect(SERVER_URL).close()
    except pytest.skip.Exception:
        print(f"skipped: no PostgreSQL server answers at {SERVER_URL} "
              "(TIDINGS_TEST_POSTGRES_URL names one)", flush=True)  # fmt: skip
        return
    script = f"import django; django.setup(); {call}"
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="tidings-bench-") as media,
        throwaway_postgres(Path(media)) as db,
    ):
        print(f"throwaway database {db.url.rsplit('/', 1)[1]} migrated in "
              f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        # Not captured, so that progress shows as it happens; a run that overstays is killed,
        # and the database dropped all the same.
        try:
            subprocess.run(db.command("-c", script), env=db.env, check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"stopped: still running after {timeout:.0f} s", flush=True)
        except subprocess.CalledProcessError as exc:
            print(f"failed: the measuring process exited with {exc.returncode}", flush=True)
    print("throwaway database dropped", flush=True)


def _insert_select(model: type[Model], source: str, values: dict[str, str]) -> int:
    """INSERT one row per row of `source` (a FROM clause): `values` maps columns to SQL
    expressions, every other column takes its field's default (a unique one a random value), so
    that a new field with a default needs no change here."""
    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in values:
            exprs.append(values[field.column])
        elif field.primary_key:
            continue
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            exprs.append("now()")
        elif field.unique and isinstance(field, models.CharField):
            # A token made per row by its default (the feed's): any distinct value will do.
            exprs.append(f"left(replace(gen_random_uuid()::text, '-', ''), {field.max_length})")
        else:
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        columns.append(field.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (names from model metadata)
            f"SELECT {', '.join(exprs)} FROM {source}",
            params,
        )
        return cursor.rowcount


@contextmanager
def bulk_load(*tables: type[Model]) -> Iterator[None]:
    """These tables' secondary indexes, unique and foreign-key constraints dropped while they
    fill and made again after: an index built from sorted rows, and a foreign key checked by
    one join, cost a fraction of a million of each done a row at a time."""
    again: list[str] = []
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            # The rest but the primary key (constraints' indexes are theirs to make).
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                again.append(definition)
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for statement in again:
            cursor.execute(statement)
        cursor.execute("RESET maintenance_work_mem")


def load_readers(count: int) -> range:
    """`count` readers, bench1…benchN, each with a confirmed email address; their ids."""
    _insert_select(
        User,
        f"generate_series(1, {int(count)}) g",
        {
            "username": "'bench' || g",
            "email": "'bench' || g || '@example.com'",
            "password": "'!'",  # Django's unusable password: these readers never sign in
            "email_verified_at": "now()",
        },
    )
    bench = User.objects.filter(username__startswith="bench")
    low, high = bench.aggregate(low=Min("id"), high=Max("id")).values()
    # One INSERT numbers its rows in order: the follows below rely on it.
    assert high - low + 1 == count, (low, high, count)
    return range(low, high + 1)


def follow(topic: Topic, readers: range, *, instant_every: int) -> None:
    """These readers follow `topic`: every `instant_every`-th instantly, the others in the
    daily digest."""
    _insert_select(
        Follow,
        f"generate_series(1, {len(readers)}) g",
        {
            "reader_id": f"{readers.start - 1} + g",
            "topic_id": str(int(topic.id)),
            "cadence": f"CASE WHEN g %% {int(instant_every)} = 0 THEN 'instant' ELSE 'daily' END",
        },
    )


def story_about(topic: Topic) -> Event:
    """One published story whose only topic is `topic`; its outbox event is not fanned out."""
    publisher = ensure_publisher("bench", name="Bench", copyright_holder="Bench Ltd")
    story = save_story(f"bench-{topic.slug}", headline=f"{topic.name} votes",
                       body="Polls open.", publisher=publisher)  # fmt: skip
    attach_ranked_topics(story, [topic.id])
    publish_story(story)
    assert StoryTopic.objects.filter(story=story).count() == 1
    return Event.objects.get(story=story)


def vacuum() -> None:
    """Statistics for the planner, and hint bits and the visibility map set, as on a server
    whose rows were not all written a minute ago."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def clear(event: Event) -> None:
    """No alerts at all, and the event not yet fanned out.

    TRUNCATE, not DELETE as bench/alerts.py does: on PostgreSQL deleted rows stay behind until
    a vacuum, and the next round's inserts would step over dead index entries for the very
    same (reader, story) keys, work no real fan-out does.
    """
    tables = ", ".join(m._meta.db_table for m in (Alert, Delivery))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        cursor.execute(f"ANALYZE {tables}")
        # Every round starts just after a checkpoint, so that each writes the full-page images
        # of the pages it touches (their first change after one): what a round costs does not
        # hang on when the last checkpoint happened. It needs a superuser (or pg_checkpoint).
        with suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    Event.objects.filter(id=event.id).update(fanned_out_at=None, alert_count=0)


def wal_position() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return str(cursor.fetchone()[0])


def wal_since(position: str) -> int:
    """Bytes of write-ahead log written since `position`, by anyone on the server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [position])
        return int(cursor.fetchone()[0])


def count_batches(report: Callable[[int], None]) -> Callable[..., Any]:
    """A connection.execute_wrapper calling `report(done)` as each batch but the last is done:
    when the next one writes its first alerts (a batch ends at its commit, which is no query).
    """
    insert = f"INSERT INTO {Alert._meta.db_table} "
    started = 0

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        nonlocal started
        if sql.lstrip().startswith(insert):
            if started:
                report(started)
            started += 1
        return execute(sql, *args)

    return wrapper


def batches_for(readers: int) -> int:
    return math.ceil(readers / settings.ALERTS_FANOUT_BATCH)


def measure(readers: int) -> None:
    """In the child: the same readers as bench/alerts.py (all instant, all with a confirmed
    address: an alert with its reason and an email delivery each), fanned out against the same rows
    bulk_created, in turn, ROUNDS times; the best of each."""
    start = time.perf_counter()
    kenya = ensure_topic("Kenya", "place")
    with bulk_load(User, Follow):
        follow(kenya, load_readers(readers), instant_every=1)
    event = story_about(kenya)
    vacuum()
    print(f"set up {readers} readers following one topic in {time.perf_counter() - start:.1f} s",
          flush=True)  # fmt: skip

    fan_times, naive_times, wal = [], [], []
    for round_ in range(ROUNDS):
        clear(event)
        start, position = time.perf_counter(), wal_position()
        count = fan_out(event.id)
        fan_times.append(time.perf_counter() - start)
        wal.append(wal_since(position))
        assert count == readers, count
        assert Delivery.objects.filter(alert__event=event).count() == readers
        clear(event)
        start = time.perf_counter()
        _naive(event)
        naive_times.append(time.perf_counter() - start)
        print(f"  round {round_ + 1}/{ROUNDS}: fan_out {fan_times[-1]:.2f} s "
              f"({wal[-1] / readers:.0f} bytes of WAL per reader), "
              f"bulk_create {naive_times[-1]:.2f} s", flush=True)  # fmt: skip
    fan, naive = min(fan_times), min(naive_times)
    print(f"fan-out:      {readers / fan:8.0f} readers/s  ({fan:.2f} s for {readers}, PostgreSQL)")
    print(f"bulk_create:  {readers / naive:8.0f} readers/s  ({naive:.2f} s)  [baseline]")
    print(f"ratio:        {naive / fan:.2f}x the baseline's throughput", flush=True)
    # What a follower costs on disk, for the capacity model in docs/deploy.md.
    clear(event)
    fan_out(event.id)
    with connection.cursor() as cursor:
        sizes = []
        for model in (Alert, Delivery):
            cursor.execute("VACUUM ANALYZE " + model._meta.db_table)
            cursor.execute("SELECT pg_total_relation_size(%s)", [model._meta.db_table])
            sizes.append(f"{model.__name__.lower()} {cursor.fetchone()[0] / readers:.0f} B")
    print(f"per follower: {', '.join(sizes)} (heap and indexes)", flush=True)


def run(quick: bool = False) -> None:
    readers = 10_000 if quick else 100_000
    on_throwaway_postgres(f"from bench.fanout_pg import measure; measure({readers})", timeout=600)
