"""Chaos on the scale-out mode: PostgreSQL, RabbitMQ, Celery workers and a scheduler, for real.

- Workers SIGKILLed five times while one story reaches 100,000 readers, in-app, by email and by
  webhook: no alert lost or doubled; an email or webhook is sent twice only when its worker died
  between sending it and recording it.
- The broker connection cut in the middle of a fan-out, with stories published during the cut:
  once it is back the sweeper re-drives what the broker never got, and nothing is lost.

Each prints its figure. Both skip, saying why, without PostgreSQL or RabbitMQ.
"""

import random
import socket
import subprocess
import threading
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path

import pytest

from tidings.postgres_testing import Database
from tidings.test import Receiver, SMTPSink
from tidings.tests.test_celery import _broker, celery_worker, kill, scale_out, wait_for

# The same for every worker: fast re-drives, so that the test waits seconds, not minutes.
FAST = {
    "ALERTS_DELIVERY_LEASE": "3",
    "ALERTS_EVENT_STALE": "2",
    "WEBHOOK_ALLOW": "127.0.0.1/32",
    "WEBHOOK_CONCURRENCY": "8",
}
# What the fan-out and delivery code promise at most per killed worker (alerts.actions).
RECORD_EVERY = 50
WEBHOOK_CONCURRENCY = int(FAST["WEBHOOK_CONCURRENCY"])

SETUP = """
import sys, django; django.setup()
from alerts.models import Follow, WebhookEndpoint
from bench.fanout_pg import follow, load_readers
from topics.actions import ensure_topic
readers, instant, hooked = (int(n) for n in sys.argv[1:4])
hook_url = sys.argv[4]
# In SQL (generate_series), not Python objects: 100,000 readers in seconds.
follow(ensure_topic("Kenya", "place"), load_readers(readers), instant_every=readers // instant)
WebhookEndpoint.objects.bulk_create(
    [WebhookEndpoint(reader_id=f.reader_id, url=hook_url)
     for f in Follow.objects.filter(cadence="instant").order_by("reader_id")[:hooked]])
"""

PUBLISH = """
import sys, django; django.setup()
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics
from topics.models import Topic
slug = sys.argv[1]
story = save_story(slug, headline=f"Kenya: {slug}", body="Polls open in Kenya.",
                   publisher=ensure_publisher("chronicle", name="Chronicle",
                                              copyright_holder="Chronicle"))
attach_ranked_topics(story, [Topic.objects.get(slug="kenya").id])
publish_story(story)  # the fan-out task goes to the broker when this commits, if it can
"""

# The sweeper every second, and nothing else periodic to muddle the figures.
FAST_SWEEP = """
UPDATE alerts_schedule SET enabled = (name = 'sweep-alerts'),
       every = interval '1 second', next_run_at = now()
"""


def scheduler(db: Database) -> subprocess.Popen[bytes]:
    return db.popen("manage.py", "scheduler", "--tick-interval", "0.3")


KILLS = 5


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_five_kills_during_a_fan_out_to_100k_with_email_and_webhooks(tmp_path: Path) -> None:
    readers, instant, hooked = 100_000, 2_000, 500
    sink, hooks = SMTPSink(), Receiver()
    rng = random.Random(1515)
    with (
        sink.running(),
        hooks.running() as hook_base,
        scale_out(
            tmp_path, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port),
            ALERTS_FANOUT_BATCH="1000", **FAST,
        ) as db,
    ):  # fmt: skip
        db.run("-c", SETUP, str(readers), str(instant), str(hooked), f"{hook_base}/hook")
        db.scalar(FAST_SWEEP + " RETURNING 1")
        ticker = scheduler(db)
        try:
            db.run("-c", PUBLISH, "kenya-votes")
            alerts = "SELECT count(*) FROM alerts_alert"
            sent = "SELECT count(*) FROM alerts_delivery WHERE state = 'sent'"
            kills = []
            # Three kills while the alerts are written, two while they are sent: each at a
            # random point past the last one's.
            for n in range(KILLS):
                worker = celery_worker(db)
                probe, total = (alerts, readers) if n < 3 else (sent, instant + hooked)
                start = db.scalar(probe)
                target = min(total - 1, start + rng.randint(total // 40, total // 8))
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and db.scalar(probe) < target:
                    time.sleep(0.01)
                kill(worker)
                kills.append(("alerts" if n < 3 else "sent", db.scalar(probe)))
            worker = celery_worker(db)
            try:
                assert wait_for(db, sent, instant + hooked, seconds=240) == instant + hooked
            finally:
                kill(worker)
        finally:
            ticker.kill()
            ticker.wait(timeout=10)
        counts = {
            "alerts": db.scalar(alerts),
            "readers alerted": db.scalar("SELECT count(DISTINCT reader_id) FROM alerts_alert"),
            "alerts with one reason": db.scalar(
                "SELECT count(*) FROM alerts_alert WHERE reasons <> '' AND reasons NOT LIKE '% %'"
            ),
        }
        deliveries = db.scalar("SELECT count(*) FROM alerts_delivery")
    emailed = Counter(m["To"] for m in sink.messages)
    assert all(to.startswith("bench") for to in emailed)
    doubled_emails = sum(emailed.values()) - len(emailed)
    posted = Counter(headers["webhook-id"] for headers, _ in hooks.requests)
    doubled_hooks = sum(posted.values()) - len(posted)
    print(
        f"\n{KILLS} SIGKILLs at {kills}: alerts {counts['alerts']}/{readers}, "
        f"{len(emailed)}/{instant} readers emailed ({doubled_emails} twice), "
        f"{len(posted)}/{hooked} webhooks ({doubled_hooks} twice); "
        f"bound {KILLS} kills x {RECORD_EVERY} emails / {WEBHOOK_CONCURRENCY} posts in flight"
    )
    assert counts == dict.fromkeys(counts, readers), "every alert exactly once"
    assert deliveries == instant + hooked, "one delivery per instant reader and endpoint"
    assert len(emailed) == instant and len(posted) == hooked, "no email or webhook lost"
    assert doubled_emails <= KILLS * RECORD_EVERY
    assert doubled_hooks <= KILLS * WEBHOOK_CONCURRENCY


class FlakyBroker:
    """A TCP proxy on loopback in front of RabbitMQ, whose connections can be cut (and new ones
    refused) and then let through again: the network between workers and broker failing."""

    def __init__(self, target: str) -> None:
        host, port = target.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
        self.target = (host, int(port))
        self.credentials = target.split("@", 1)[0]
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self.credentials}@127.0.0.1:{self.port}//"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up.is_set():
                client.close()  # refused while the network is down
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            for sock in self.open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_broker_connection_cut_mid_run_and_restored_loses_nothing(tmp_path: Path) -> None:
    readers, instant = 60_000, 3
    broker = FlakyBroker(_broker())
    try:
        with scale_out(tmp_path, broker=broker.url, ALERTS_FANOUT_BATCH="250", **FAST) as db:
            db.run("-c", SETUP, str(readers), str(instant), "0", "http://127.0.0.1:9/unused")
            db.scalar(FAST_SWEEP + " RETURNING 1")
            workers = [celery_worker(db), celery_worker(db)]
            ticker = scheduler(db)
            alerts = "SELECT count(*) FROM alerts_alert"
            try:
                db.run("-c", PUBLISH, "before-the-cut")
                deadline = time.monotonic() + 60
                # Cut at the first batch written: on a busy machine this poll may be starved
                # while a whole fan-out of 60,000 is written (a tenth was seen to be too late).
                while time.monotonic() < deadline and (cut_at := db.scalar(alerts)) < 1:
                    time.sleep(0.005)
                # The worker goes on writing (its database is there); its acknowledgement is
                # what the cut loses, so RabbitMQ hands the message out again.
                broker.cut()
                started = time.monotonic()
                # The editors' requests succeed: the stories are published, their fan-outs
                # wait in the outbox for the sweeper.
                for slug in ("during-the-cut-1", "during-the-cut-2"):
                    db.run("-c", PUBLISH, slug, timeout=60)
                time.sleep(max(0.0, 3 - (time.monotonic() - started)))
                cut_for = time.monotonic() - started
                broker.restore()
                restored = time.monotonic()
                done = "SELECT count(*) FROM alerts_event WHERE fanned_out_at IS NOT NULL"
                assert wait_for(db, done, 3, seconds=120) == 3
                settled = time.monotonic() - restored
            finally:
                for worker in workers:
                    kill(worker)
                ticker.kill()
                ticker.wait(timeout=10)
            per_story = dict(
                db.scalar(
                    "SELECT json_object_agg(s.slug, (SELECT count(*) FROM alerts_alert a "
                    "WHERE a.story_id = s.id)) FROM stories_story s"
                )
            )
            deliveries = db.scalar("SELECT count(*) FROM alerts_delivery")
    finally:
        broker.close()
    print(
        f"\nbroker cut for {cut_for:.1f} s at {cut_at}/{readers} alerts of the first story, two "
        f"stories published during the cut; all three fanned out {settled:.1f} s after it came "
        f"back: alerts {per_story}, email deliveries {deliveries}/{3 * instant}"
    )
    assert 0 < cut_at < readers, "the cut landed in the middle of the fan-out"
    assert per_story == {
        "before-the-cut": readers,
        "during-the-cut-1": readers,
        "during-the-cut-2": readers,
    }
    assert deliveries == 3 * instant
