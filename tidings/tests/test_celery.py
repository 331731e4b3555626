"""The scale-out mode for real: PostgreSQL, RabbitMQ and Celery worker processes.

- Publish → Celery fan-out → Celery delivery → an email on a loopback SMTP server.
- A Celery worker killed with SIGKILL in the middle of a fan-out, again and again: the message
  goes back to RabbitMQ (acks_late), the next worker finishes it, and every alert is written
  exactly once.
"""

import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from tidings.postgres_testing import Database, throwaway_postgres
from tidings.test import SMTPSink

AMQP_URL = os.environ.get("TIDINGS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _broker() -> str:
    kombu = pytest.importorskip("kombu")
    try:
        with kombu.Connection(AMQP_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to reach it means: not here
        pytest.skip(
            f"RabbitMQ is not reachable at {AMQP_URL} ({exc.__class__.__name__}); "
            "set TIDINGS_TEST_AMQP_URL to run this test"
        )
    return AMQP_URL


@contextmanager
def scale_out(tmp_path: Path, broker: str | None = None, **env: str) -> Iterator[Database]:
    """A throwaway PostgreSQL database whose tasks go to Celery on a queue of its own."""
    queue = f"tidings-test-{uuid.uuid4().hex[:8]}"
    broker = broker or _broker()
    with throwaway_postgres(
        tmp_path, TASKS_BACKEND="celery", CELERY_BROKER_URL=broker, CELERY_QUEUE=queue, **env
    ) as db:
        db.env["TIDINGS_TEST_QUEUE"] = queue
        yield db


def celery_worker(db: Database) -> subprocess.Popen[bytes]:
    """One Celery worker process (one task at a time), in its own process group."""
    return subprocess.Popen(
        db.command(
            "-m", "celery", "-A", "tidings.celery", "worker", "--concurrency", "1",
            "--pool", "solo", "-Q", db.env["TIDINGS_TEST_QUEUE"], "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ),
        env=db.env, cwd=settings.BASE_DIR, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def wait_for(db: Database, sql: str, expected: int, seconds: float = 90) -> int:
    deadline, value = time.monotonic() + seconds, -1
    while time.monotonic() < deadline:
        value = db.scalar(sql)
        if value == expected:
            break
        time.sleep(0.1)
    return int(value)


SETUP = """
import sys, django; django.setup()
from django.utils import timezone
from accounts.models import User
from alerts.models import Follow
from topics.actions import ensure_topic
readers = int(sys.argv[1])
kenya = ensure_topic("Kenya", "place")
User.objects.bulk_create(
    [User(username=f"reader{i}", email=f"reader{i}@example.com", password="!",
          email_verified_at=timezone.now()) for i in range(readers)], batch_size=5000)
Follow.objects.bulk_create(
    [Follow(reader=u, topic=kenya, cadence="instant" if u.id <= 3 else "daily")
     for u in User.objects.all()], batch_size=5000)
"""

PUBLISH = """
import django; django.setup()
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics
from topics.models import Topic
story = save_story("kenya-votes", headline="Kenya votes", body="Polls open in Kenya.",
                   publisher=ensure_publisher("chronicle", name="Chronicle",
                                              copyright_holder="Chronicle"))
attach_ranked_topics(story, [Topic.objects.get(slug="kenya").id])
publish_story(story)  # the fan-out task goes to RabbitMQ when this commits
"""


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_publish_to_email_through_celery_on_rabbitmq(tmp_path: Path) -> None:
    sink = SMTPSink()
    with (
        sink.running(),
        scale_out(tmp_path, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port)) as db,
    ):
        db.run("-c", SETUP, "3")
        worker = celery_worker(db)
        try:
            db.run("-c", PUBLISH)
            sent = "SELECT count(*) FROM alerts_delivery WHERE state = 'sent'"
            assert wait_for(db, sent, 3) == 3
        finally:
            kill(worker)
    assert sorted(m["To"] for m in sink.messages) == [f"reader{i}@example.com" for i in range(3)]
    assert {m["Subject"] for m in sink.messages} == {"Kenya votes"}


KILLS = 5


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_workers_killed_mid_fan_out_lose_and_double_nothing(tmp_path: Path) -> None:
    readers = 20_000
    # Small batches, so that a kill lands between commits as well as inside one.
    with scale_out(tmp_path, ALERTS_FANOUT_BATCH="250") as db:
        db.run("-c", SETUP, str(readers))
        db.run("-c", PUBLISH)
        alerts = "SELECT count(*) FROM alerts_alert"
        rng = random.Random(15)
        seen = []
        for _ in range(KILLS):
            worker = celery_worker(db)
            target = db.scalar(alerts) + rng.randint(500, 3000)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and db.scalar(alerts) < target:
                time.sleep(0.02)
            kill(worker)  # SIGKILL, mid-batch or between batches
            seen.append(db.scalar(alerts))
        assert 0 < seen[-1] < readers, f"the kills should land mid-way, not after {seen}"
        worker = celery_worker(db)  # the one that survives: RabbitMQ hands it the message again
        try:
            done = "SELECT count(*) FROM alerts_event WHERE fanned_out_at IS NOT NULL"
            assert wait_for(db, done, 1, seconds=180) == 1
        finally:
            kill(worker)
        counts = {
            "alerts": db.scalar(alerts),
            "readers alerted": db.scalar("SELECT count(DISTINCT reader_id) FROM alerts_alert"),
            "alerts with one reason": db.scalar(
                "SELECT count(*) FROM alerts_alert WHERE reasons <> '' AND reasons NOT LIKE '% %'"
            ),
        }
        print(f"{KILLS} SIGKILLs at {seen} alerts; after recovery {counts}")
        assert counts == dict.fromkeys(counts, readers)
        instant = "SELECT count(*) FROM alerts_delivery WHERE channel = 'email'"
        assert db.scalar(instant) == 3, "one email delivery per instant reader, none doubled"


ROLLED_BACK = """
import django; django.setup()
from django.db import transaction
from alerts.actions import sweep
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics
from topics.models import Topic

class Abandoned(Exception):
    pass

try:
    with transaction.atomic():
        story = save_story("kenya-votes", headline="Kenya votes", body="Polls open.",
                           publisher=ensure_publisher("chronicle", name="Chronicle",
                                                      copyright_holder="Chronicle"))
        attach_ranked_topics(story, [Topic.objects.get(slug="kenya").id])
        publish_story(story)
        raise Abandoned  # the editor's request fails after publishing: everything goes back
except Abandoned:
    pass
print(sweep())  # the sweeper finds no event to re-drive: it was never committed
"""


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_a_publication_rolled_back_alerts_nobody(tmp_path: Path) -> None:
    with scale_out(tmp_path) as db:
        db.run("-c", SETUP, "50")
        worker = celery_worker(db)
        try:
            db.run("-c", ROLLED_BACK)
            # A control story published afterwards on the same queue: once its alerts exist,
            # anything the rolled-back one had sent would have run too.
            db.run("-c", PUBLISH)
            assert wait_for(db, "SELECT count(*) FROM alerts_alert", 50) == 50
        finally:
            kill(worker)
        assert db.scalar("SELECT count(*) FROM stories_story") == 1
        assert db.scalar("SELECT count(*) FROM alerts_event") == 1
