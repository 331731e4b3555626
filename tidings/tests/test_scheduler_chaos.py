"""Three schedulers, clock steps and a kill during a digest slot: exactly one digest per reader
per period.

Real processes on one database (a SQLite file, and PostgreSQL): three `manage.py scheduler` and
two `manage.py worker`, each on a wall clock the test steps (tidings/tests/fakeclock.py), never
today's date. Readers in ten time zones wait for daily digests whose times spread over 84
minutes, so a slot takes many `send-digests` ticks. The clock walks through the slot of 14 May
2030, steps forward across the day boundary to the next slot, steps back six hours (a story is
published and fanned out then, when it is still the day before west of Greenwich) and forward
again to a third slot. A worker is SIGKILLed in the middle of a digest task, a scheduler in the
middle of the second slot. A step forward outlasts every delivery lease, so an email in flight
then may go twice (its delivery counts the attempts); a digest must not.
"""

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import Cadence
from alerts.actions import fan_out, follow_topic, send_due_digests, tick_schedules
from alerts.models import Digest, Event
from tidings.postgres_testing import connect, throwaway_postgres
from tidings.test import BaseTestCase, SMTPSink
from tidings.tests.fakeclock import set_clock
from topics.actions import ensure_topic
from topics.models import Topic

READERS = 300
ZONES = [
    "UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
    "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland",
    "Pacific/Honolulu",
]  # fmt: skip
UTC = dt.UTC
DAY = dt.date(2030, 5, 14)  # a Tuesday, weeks from any of these zones' DST changes
# Reader i's digest comes at 08:00 UTC + (i % 15) × 6 minutes, in their own zone's time: no
# zone's midnight falls between 07:56 and 09:30 UTC, so a slot makes one digest per reader.
SLOT_START, SLOT_END = dt.time(7, 56), dt.time(9, 30)
SPREAD, STEP = 15, dt.timedelta(minutes=6)
# What the readers' follows bring: a story before the first slot, one between the first two,
# and one published on the stepped-back clock.
FIRST = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(20, 0), UTC)
SECOND = dt.datetime.combine(DAY, dt.time(14, 0), UTC)
STORIES = ["kenya-votes", "kenya-counts", "kenya-recount"]
# The workers' log says who they are; a lease of six hours is seconds of the test's time.
PROCESS_ENV = {"LOG_LEVEL": "INFO", "ALERTS_DELIVERY_LEASE": "21600"}


def late(i: int) -> bool:
    """One reader in seven, in every zone, follows only after the first story."""
    return i % 7 == 3


def zone(i: int) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(ZONES[i % len(ZONES)])


def moment(i: int, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8, 0), UTC) + (i % SPREAD) * STEP


def slot(day: dt.date, readers: Iterable[int], story: str) -> dict[tuple[int, str], str]:
    """(reader, the local date of their digest in the UTC day `day`) → the story it carries."""
    return {(i, moment(i, day).astimezone(zone(i)).date().isoformat()): story for i in readers}


def at(day: int, time_: dt.time) -> dt.datetime:
    return dt.datetime.combine(DAY + dt.timedelta(days=day), time_, UTC)


SETUP = f"""
import datetime as dt, json, sys
import django
django.setup()
import time_machine
from django.utils import timezone
from accounts.models import User
from alerts.models import Follow
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics, ensure_topic

readers = json.loads(sys.argv[1])

def publish(slug):
    story = save_story(slug, headline=slug, body="Polls in Kenya.", publisher=publisher)
    attach_ranked_topics(story, [kenya.id])
    publish_story(story)  # the immediate task backend fans it out on commit, at this time

def follow(late):
    Follow.objects.bulk_create(
        [Follow(reader_id=users[name], topic=kenya, cadence="daily")
         for name, _, _, late_ in readers if late_ is late])

with time_machine.travel(dt.datetime.fromisoformat("{FIRST.isoformat()}"), tick=False):
    kenya = ensure_topic("Kenya", "place")
    publisher = ensure_publisher("chronicle", name="Chronicle", copyright_holder="Chronicle")
    User.objects.bulk_create(
        [User(username=name, email=f"{{name}}@example.com", password="!", timezone=zone,
              digest_time=dt.time.fromisoformat(at), email_verified_at=timezone.now())
         for name, zone, at, _ in readers])
    users = dict(User.objects.values_list("username", "id"))
    follow(False)
    publish("{STORIES[0]}")
with time_machine.travel(dt.datetime.fromisoformat("{SECOND.isoformat()}"), tick=False):
    follow(True)
    publish("{STORIES[1]}")
"""

# Started early (Django takes seconds to load); publishes once its clock has been stepped back.
PUBLISH_WHEN_STEPPED_BACK = f"""
import datetime as dt, time
from django.utils import timezone
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics
from topics.models import Topic
while timezone.now() > dt.datetime.fromisoformat("{at(1, dt.time(7, 0)).isoformat()}"):
    time.sleep(0.02)
story = save_story("{STORIES[2]}", headline="Kenya recounts", body="A recount in Kenya.",
                   publisher=ensure_publisher("chronicle"))
attach_ranked_topics(story, [Topic.objects.get(slug="kenya").id])
publish_story(story)  # the workers fan it out, on their clocks
"""


class Probe:
    """The test's own connection to the shared database: plain SQL, no Django."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql).fetchall())

    def scalar(self, sql: str) -> int:
        return int(self.rows(sql)[0][0])

    def made(self) -> int:
        return self.scalar("SELECT count(*) FROM alerts_digest")

    def digests(self) -> dict[tuple[int, str], str]:
        """(reader number, local date) → the stories of that digest, comma-separated."""
        stories: dict[tuple[int, str], list[str]] = {}
        for name, day, slug in self.rows(
            "SELECT u.username, d.period || ' ' || d.period_start, s.slug FROM alerts_digest d "
            "JOIN accounts_user u ON u.id = d.reader_id "
            "LEFT JOIN alerts_alert a ON a.digest_id = d.id "
            "LEFT JOIN stories_story s ON s.id = a.story_id"
        ):
            key = (int(name.removeprefix("reader")), str(day).removeprefix("daily "))
            stories.setdefault(key, []).extend([slug] if slug else [])
        return {key: ",".join(sorted(slugs)) for key, slugs in stories.items()}

    def digest_tasks(self) -> list[tuple[str, str, list[str]]]:
        """(id, status, worker ids) of every digest task."""
        rows = self.rows(
            "SELECT id, status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'alerts.tasks.send_due_digests_task'"
        )
        return [(str(t), s, json.loads(w) if isinstance(w, str) else w) for t, s, w in rows]

    def digest_runs(self) -> int:
        return sum(1 for _, status, _ in self.digest_tasks() if status == "SUCCESSFUL")

    def running_digest_tasks(self) -> list[tuple[str, str]]:
        """(task id, worker id) of the digest tasks running now."""
        return [(t, w[-1]) for t, status, w in self.digest_tasks() if status == "RUNNING"]

    def status(self, task_id: str) -> str:
        return next(status for t, status, _ in self.digest_tasks() if t == task_id)


class Cluster:
    """The processes, their clock and their logs; whatever it started dies with it."""

    def __init__(self, directory: Path, env: dict[str, str], start: dt.datetime) -> None:
        self.directory = directory
        self.env = env
        self.clock = directory / "clock"
        self.now = start
        set_clock(self.clock, start)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: list[IO[bytes]] = []

    def start(self, name: str, *args: str) -> None:
        log = (self.directory / f"{name}.log").open("wb")
        self.logs.append(log)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "tidings.tests.fakeclock", str(self.clock), "manage.py", *args],
            cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def scheduler(self, name: str) -> None:
        self.start(name, "scheduler", "--tick-interval", "0.5")

    def worker(self, name: str) -> None:
        self.start(name, "worker", "--interval", "0.2", "--tick-interval", "1")

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def wait_started(self, seconds: float = 60) -> None:
        """Until every scheduler and worker has said so (Django takes seconds to load)."""
        deadline = time.monotonic() + seconds
        for name, process in self.processes.items():
            while name != "publish" and "started" not in self.log(name):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(f"{name} did not start:\n{self.log(name)}")
                time.sleep(0.05)

    def worker_names(self) -> dict[str, str]:
        """django-tasks worker id → the name this test gave the process."""
        names = {}
        for name in self.processes:
            if found := re.search(r"worker (\w+) started", self.log(name)):
                names[found[1]] = name
        return names

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def set(self, when: dt.datetime) -> None:
        self.now = when
        set_clock(self.clock, when)

    def walk(
        self,
        until: dt.datetime,
        step: dt.timedelta = dt.timedelta(minutes=3),
        pause: float = 0.12,
        during: Callable[[], object] = lambda: None,
    ) -> None:
        """Move every clock forward `step` at a time, `pause` real seconds apart."""
        while self.now < until:
            self.set(min(self.now + step, until))
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline:
                during()
                time.sleep(0.01)

    def walk_until(self, check: Callable[[], bool], what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what}")
            self.walk(self.now + dt.timedelta(minutes=1), dt.timedelta(minutes=1))

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for log in self.logs:
            log.close()

    def tails(self) -> str:
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(self.log(name).splitlines()[-15:])
            for name in self.processes
        )


@dataclass
class Findings:
    expected: dict[tuple[int, str], str]
    digests: dict[tuple[int, str], str] = field(default_factory=dict)
    deliveries: list[tuple[Any, ...]] = field(default_factory=list)
    steps: int = 0
    kills: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def figure(self, backend: str, emails: int) -> str:
        doubled = len(self.digests.keys() - self.expected.keys())
        missing = len(self.expected.keys() - self.digests.keys())
        return (
            f"schedulers: 3 schedulers, 2 workers, {self.steps} clock steps, {len(self.kills)} "
            f"kills mid-slot ({', '.join(self.kills)}): {READERS} readers, {len(self.digests)} "
            f"digests, {doubled} doubled, {missing} missing; {emails} emails "
            f"({backend}, {self.seconds:.0f} s)"
        )


def chaos(directory: Path, env: dict[str, str], probe: Probe) -> Findings:
    started = time.monotonic()
    everyone = range(READERS)
    slots = [
        slot(DAY, [i for i in everyone if not late(i)], STORIES[0]),
        slot(DAY + dt.timedelta(days=1), everyone, STORIES[1]),
        slot(DAY + dt.timedelta(days=2), everyone, STORIES[2]),
    ]
    found = Findings(expected={})
    cluster = Cluster(directory, env, at(0, SLOT_START))
    try:
        for n in range(3):
            cluster.scheduler(f"scheduler{n}")
        for n in range(2):
            cluster.worker(f"worker{n}")
        readers = [
            [f"reader{i}", ZONES[i % len(ZONES)], f"{moment(i, DAY).astimezone(zone(i)):%H:%M}",
             late(i)] for i in everyone
        ]  # fmt: skip
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, json.dumps(readers)],
            cwd=settings.BASE_DIR, env={**env, "TASKS_BACKEND": "immediate"},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert setup.returncode == 0, setup.stderr
        cluster.wait_started()

        # Slot 1: a worker is killed while it runs a digest task, some digests made, not all.
        def kill_a_digest_worker() -> None:
            if "a worker mid-digest" in found.kills or not 0 < probe.made() < len(slots[0]):
                return
            running = probe.running_digest_tasks()
            names = cluster.worker_names() if running else {}
            for task, worker in running:
                if worker in names:
                    cluster.kill(names[worker])
                    cluster.worker(f"worker{len(cluster.processes)}")
                    # Still RUNNING with its worker dead: the kill landed inside the task.
                    if probe.status(task) == "RUNNING":
                        found.kills.append("a worker mid-digest")
                    else:
                        found.kills.append("a worker between tasks")
                    return

        cluster.walk(at(0, SLOT_END), during=kill_a_digest_worker)
        assert "a worker mid-digest" in found.kills, "no worker was killed inside a digest task"
        found.expected |= slots[0]
        cluster.walk_until(lambda: probe.made() >= len(found.expected), "the first slot")
        assert probe.digests() == found.expected

        # Across the day boundary to slot 2; a scheduler is killed in the middle of it.
        cluster.set(at(1, SLOT_START))
        found.steps += 1
        cluster.start("publish", "shell", "-c", PUBLISH_WHEN_STEPPED_BACK)

        def kill_a_scheduler() -> None:
            made = probe.made() - len(found.expected)
            if "a scheduler" not in found.kills and 0 < made < len(slots[1]):
                cluster.kill("scheduler0")
                found.kills.append("a scheduler")
                cluster.scheduler("scheduler3")

        cluster.walk(at(1, SLOT_END), during=kill_a_scheduler)
        assert "a scheduler" in found.kills, "the scheduler was not killed mid-slot"
        found.expected |= slots[1]
        cluster.walk_until(lambda: probe.made() >= len(found.expected), "the second slot")
        assert probe.digests() == found.expected

        # Six hours back: from New York to Honolulu it is the first slot's local day again. A
        # story is published and fanned out on the stepped-back clocks; it waits for slot 3.
        cluster.set(cluster.now - dt.timedelta(hours=6))
        found.steps += 1
        alerts = len(found.expected) + READERS
        cluster.walk_until(
            lambda: probe.scalar("SELECT count(*) FROM alerts_alert") == alerts,
            "the fan-out of the story published on the stepped-back clock",
        )
        runs = probe.digest_runs()
        cluster.walk_until(
            lambda: probe.digest_runs() >= runs + 2,
            "two digest runs on the stepped-back clock (did the step stall the schedules?)",
        )
        assert probe.digests() == found.expected, (
            "no digest for an earlier period after a later one"
        )

        # Forward again, to slot 3.
        cluster.set(at(2, SLOT_START))
        found.steps += 1
        cluster.walk(at(2, SLOT_END))
        found.expected |= slots[2]
        unsent = "SELECT count(*) FROM alerts_delivery WHERE state != 'sent'"
        cluster.walk_until(
            lambda: probe.made() >= len(found.expected) and probe.scalar(unsent) == 0,
            "the third slot's digests to be made and sent",
        )
        found.digests = probe.digests()
        found.deliveries = probe.rows(
            "SELECT digest_id, channel, state, attempts FROM alerts_delivery"
        )
    except BaseException:
        print(cluster.tails())
        raise
    finally:
        cluster.stop()
    found.seconds = time.monotonic() - started
    return found


def check(found: Findings, probe: Probe, sink: SMTPSink, backend: str) -> None:
    print(found.figure(backend, len(sink.messages)))
    assert found.digests == found.expected, "one digest per reader per period, of its stories"
    assert "" not in found.digests.values(), "no empty digest"
    assert probe.scalar("SELECT count(*) FROM alerts_alert WHERE digest_id IS NULL") == 0
    assert probe.scalar("SELECT count(*) FROM alerts_alert") == len(found.expected)
    per_digest = Counter(row[0] for row in found.deliveries)
    assert None not in per_digest, "only digest deliveries"
    assert len(per_digest) == len(found.expected) and set(per_digest.values()) == {1}
    assert {(channel, state) for _, channel, state, _ in found.deliveries} == {("email", "sent")}
    # An email goes twice only where a second worker claimed its delivery after the lease.
    retried = sum(attempts - 1 for *_, attempts in found.deliveries)
    subjects = Counter(m["Subject"].split(":")[0] for m in sink.messages)
    assert subjects.keys() == {"Your daily tidings digest"}
    assert len(found.expected) <= len(sink.messages) <= len(found.expected) + retried
    failed = probe.rows(
        "SELECT task_path, traceback FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'FAILED'"
    )
    assert not failed, failed


@contextmanager
def running_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    with sink.running():
        yield sink


# The processes run on a clock of their own (fakeclock, time-machine); under libfaketime (CI's
# pass with the system clock moved ahead) the two clocks fight, and the kill's timing with them.
# The date cannot matter: the clock they run on is the test's.
own_clock = pytest.mark.skipif(
    "faketime" in os.environ.get("LD_PRELOAD", ""),
    reason="its processes run on the test's own clock; libfaketime would step it as well",
)


@own_clock
def test_one_digest_per_reader_per_period_through_clock_steps_and_kills_on_sqlite(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tidings.sqlite3"
    with ExitStack() as stack:
        sink = stack.enter_context(running_sink())
        env = {
            **os.environ,
            "TIDINGS_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{db}",
            "TASKS_BACKEND": "database",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            **PROCESS_ENV,
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=settings.BASE_DIR, env=env, check=True, timeout=120, capture_output=True,
        )  # fmt: skip
        connection = sqlite3.connect(db, timeout=10, isolation_level=None)
        stack.callback(connection.close)
        probe = Probe(connection)
        check(chaos(tmp_path, env, probe), probe, sink, "SQLite")


@own_clock
@pytest.mark.postgres
def test_one_digest_per_reader_per_period_through_clock_steps_and_kills_on_postgres(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        sink = stack.enter_context(running_sink())
        db = stack.enter_context(
            throwaway_postgres(
                tmp_path, TASKS_BACKEND="database", EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(sink.port), **PROCESS_ENV,
            )
        )  # fmt: skip
        probe = Probe(stack.enter_context(connect(db.url)))
        check(chaos(tmp_path, db.env, probe), probe, sink, "PostgreSQL")


# The rules the processes above found missing, one at a time and in-process.

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KENYA = ("Kenya", Topic.Kind.PLACE)


def new_york(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 5, day, hour, minute, tzinfo=NEW_YORK)


class ClockTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.alice.timezone = "America/New_York"
        self.alice.save(update_fields=["timezone"])
        follow_topic(self.alice, ensure_topic(*KENYA), cadence=Cadence.DAILY)
        self.n = 0

    def publish_at(self, when: dt.datetime) -> None:
        self.n += 1
        with time_machine.travel(when, tick=False):
            story = self.make_story(f"Kenya story number {self.n}", topics=(KENYA,))
            fan_out(Event.objects.get(story=story).id)

    def digests(self) -> list[tuple[dt.date, int]]:
        return [(d.period_start, d.alerts.count()) for d in Digest.objects.order_by("id")]

    def test_a_clock_stepped_back_does_not_stall_the_schedules(self) -> None:
        now = timezone.now()
        self.assertIn("sweep-alerts", tick_schedules(now))
        self.assertNotIn("sweep-alerts", tick_schedules(now - dt.timedelta(minutes=4)), "a skew")
        back = now - dt.timedelta(hours=6)
        self.assertIn("sweep-alerts", tick_schedules(back), "six hours back: due now, not then")
        self.assertNotIn("sweep-alerts", tick_schedules(back), "and once")
        self.assertIn("sweep-alerts", tick_schedules(back + dt.timedelta(minutes=1)))

    def test_no_digest_for_a_day_before_the_latest_one(self) -> None:
        self.publish_at(new_york(15, 6))
        self.assertEqual(send_due_digests(new_york(15, 8)), 1)
        # The clock goes back to the evening before (or alice moves west): it is the 14th again,
        # after her digest time, and something new has come.
        self.publish_at(new_york(14, 20))
        self.assertEqual(send_due_digests(new_york(14, 21)), 0)
        self.assertEqual(send_due_digests(new_york(16, 7, 5)), 1, "it waits for the next one")
        self.assertEqual(self.digests(), [(dt.date(2030, 5, 15), 1), (dt.date(2030, 5, 16), 1)])

    def test_a_digest_whose_tick_comes_after_midnight_is_still_made_for_its_day(self) -> None:
        self.alice.digest_time = dt.time(23, 30)
        self.alice.save(update_fields=["digest_time"])
        self.publish_at(new_york(14, 5))
        self.assertEqual(send_due_digests(new_york(14, 23)), 0, "before her digest time")
        # No tick between 23:30 and midnight (a backlog, a stopped worker); a story comes.
        self.publish_at(new_york(15, 0, 5))
        self.assertEqual(send_due_digests(new_york(15, 0, 10)), 1, "the 14th's, with both")
        self.publish_at(new_york(15, 1))
        self.assertEqual(send_due_digests(new_york(15, 2)), 0, "the 15th's comes at 23:30")
        self.assertEqual(send_due_digests(new_york(15, 23, 35)), 1)
        self.assertEqual(self.digests(), [(dt.date(2030, 5, 14), 2), (dt.date(2030, 5, 15), 1)])

    def test_what_came_after_midnight_alone_waits_for_the_days_digest_time(self) -> None:
        self.publish_at(new_york(15, 0, 5))
        self.assertEqual(send_due_digests(new_york(15, 0, 10)), 0)
        self.assertEqual(send_due_digests(new_york(15, 7, 5)), 1)
        self.assertEqual(self.digests(), [(dt.date(2030, 5, 15), 1)])
