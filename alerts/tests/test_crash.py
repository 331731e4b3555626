"""A worker killed with SIGKILL in the middle of a 10,000-reader fan-out, on real PostgreSQL.

Restarted, the fan-out finishes with every alert written once: none lost, none doubled.
"""

import signal
import time
from pathlib import Path

import pytest

from tidings.postgres_testing import throwaway_postgres

READERS = 10_000

SETUP = f"""
import django; django.setup()
from accounts.models import User
from alerts.models import Event, Follow
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics, ensure_topic
kenya = ensure_topic("Kenya", "place")
User.objects.bulk_create(
    [User(username=f"reader{{i}}", email=f"reader{{i}}@example.com", password="!")
     for i in range({READERS})], batch_size=2000)
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
            "reasons": "SELECT count(*) FROM alerts_alertreason",
            "emails": "SELECT count(*) FROM alerts_delivery WHERE channel = 'email'",
            "email readers": "SELECT count(DISTINCT reader_id) FROM alerts_delivery",
        }
        assert {k: db.scalar(sql) for k, sql in counts.items()} == dict.fromkeys(counts, READERS)
