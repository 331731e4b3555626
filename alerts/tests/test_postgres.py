"""Crashes and races on real PostgreSQL, with real processes.

- A worker killed with SIGKILL in the middle of a 10,000-reader fan-out: restarted, the fan-out
  finishes with every alert written once, none lost, none doubled.
- Three schedulers making digests at once: exactly one digest per reader.
"""

import signal
import time
from pathlib import Path

import pytest

from tidings.postgres_testing import throwaway_postgres

READERS = 10_000

SETUP = f"""
import django; django.setup()
from django.utils import timezone
from accounts.models import User
from alerts.models import Event, Follow
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics, ensure_topic
kenya = ensure_topic("Kenya", "place")
User.objects.bulk_create(
    [User(username=f"reader{{i}}", email=f"reader{{i}}@example.com", password="!",
          email_verified_at=timezone.now()) for i in range({READERS})], batch_size=2000)
Follow.objects.bulk_create(
    [Follow(reader=u, topic=kenya) for u in User.objects.all()], batch_size=2000)
story = save_story("kenya-votes", headline="Kenya votes", body="Polls open.",
                   publisher=ensure_publisher("chronicle", name="Chronicle",
                                              copyright_holder="Chronicle"))
attach_ranked_topics(story, [kenya.id])
publish_story(story)
print(Event.objects.get(story=story).id)
"""

FAN_OUT = """
import sys, django; django.setup()
from alerts.actions import fan_out
print(fan_out(int(sys.argv[1])))
"""


@pytest.mark.postgres
def test_sigkill_mid_fan_out_loses_and_doubles_nothing(tmp_path: Path) -> None:
    # Small batches, so that the kill lands between commits as well as inside one.
    with throwaway_postgres(tmp_path, ALERTS_FANOUT_BATCH="200") as db:
        event_id = db.run("-c", SETUP).split()[-1]
        worker = db.popen("-c", FAN_OUT, event_id)
        deadline = time.monotonic() + 60
        written = 0
        while time.monotonic() < deadline and written < 1000:
            written = db.scalar("SELECT count(*) FROM alerts_alert")
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        partial = db.scalar("SELECT count(*) FROM alerts_alert")
        assert 0 < partial < READERS, f"the kill should land mid-way, not after {partial}"
        assert db.scalar("SELECT count(*) FROM alerts_event WHERE fanned_out_at IS NULL") == 1

        assert db.run("-c", FAN_OUT, event_id).strip() == str(READERS)  # the restarted worker

        counts = {
            "alerts": "SELECT count(*) FROM alerts_alert",
            "readers": "SELECT count(DISTINCT reader_id) FROM alerts_alert",
            "alerts with one reason": (
                "SELECT count(*) FROM alerts_alert WHERE reasons <> '' AND reasons NOT LIKE '% %'"
            ),
            "emails": "SELECT count(*) FROM alerts_delivery WHERE channel = 'email'",
            "email readers": "SELECT count(DISTINCT reader_id) FROM alerts_delivery",
        }
        assert {k: db.scalar(sql) for k, sql in counts.items()} == dict.fromkeys(counts, READERS)


DIGEST_SETUP = """
import datetime as dt, django; django.setup()
from django.utils import timezone
from accounts.models import User
from alerts.actions import fan_out, follow_topic
from alerts.models import Event
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics, ensure_topic
kenya = ensure_topic("Kenya", "place")
User.objects.bulk_create(
    [User(username=f"reader{i}", email=f"reader{i}@example.com", password="!",
          digest_time=dt.time(0, 0), email_verified_at=timezone.now()) for i in range(300)])
for user in User.objects.all():
    follow_topic(user, kenya, cadence="daily")
story = save_story("kenya-votes", headline="Kenya votes", body="Polls open.",
                   publisher=ensure_publisher("c", name="C", copyright_holder="C"))
attach_ranked_topics(story, [kenya.id])
publish_story(story)
fan_out(Event.objects.get().id)
"""

DIGESTS = """
import django; django.setup()
from alerts.actions import send_due_digests
print(send_due_digests())
"""


@pytest.mark.postgres
def test_schedulers_racing_make_exactly_one_digest_per_reader(tmp_path: Path) -> None:
    with throwaway_postgres(tmp_path) as db:
        db.run("-c", DIGEST_SETUP)
        schedulers = [db.popen("-c", DIGESTS) for _ in range(3)]
        for scheduler in schedulers:
            assert scheduler.wait(timeout=120) == 0
        assert db.scalar("SELECT count(*) FROM alerts_digest") == 300
        assert db.scalar("SELECT count(DISTINCT reader_id) FROM alerts_digest") == 300
        assert db.scalar("SELECT count(*) FROM alerts_delivery WHERE digest_id IS NOT NULL") == 300
        assert db.scalar("SELECT count(*) FROM alerts_alert WHERE digest_id IS NULL") == 0
