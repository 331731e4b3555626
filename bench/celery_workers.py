"""Fan-out and email delivery with 1, 2 and 4 Celery workers on RabbitMQ, beside the embedded
database worker, in one run on one throwaway PostgreSQL database.

Each round publishes STORIES stories at once (one transaction, so their fan-out tasks are queued
together), each on a topic of its own that every reader follows; a few readers take each
instantly by email, to a real SMTP server on loopback. The figures come from the rows' own
timestamps: publication → every alert written, and the span in which the emails went. Rounds
use different topics, so no burst or cap of one round holds the next. The baselines: the
embedded worker, and the SMTP server's line speed for the same messages over one connection.

It skips, saying so, without PostgreSQL or RabbitMQ.
"""

import email.policy
import os
import smtplib
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings

from tidings.postgres_testing import Database
from tidings.test import SMTPSink

STORIES = 4
ROUNDS = [("embedded", 0), ("celery", 1), ("celery", 2), ("celery", 4)]

SETUP = """
import sys, django; django.setup()
from accounts.models import User
from bench.fanout_pg import follow, load_readers, vacuum
from topics.actions import ensure_topic
readers, instant, rounds, stories = (int(n) for n in sys.argv[1:5])
ids = load_readers(readers)
# Every round's emails are new to their readers: no cap or burst rule holds them.
User.objects.update(max_alerts_per_hour=1000, max_alerts_per_day=1000)
for r in range(rounds):
    for s in range(stories):
        follow(ensure_topic(f"Round {r} topic {s}", "theme"), ids,
               instant_every=readers // instant)
vacuum()
"""

PUBLISH = """
import sys, django; django.setup()
from django.db import transaction
from stories.actions import ensure_publisher, publish_story, save_story
from topics.actions import attach_ranked_topics
from topics.models import Topic
publisher = ensure_publisher("bench", name="Bench", copyright_holder="Bench Ltd")
with transaction.atomic():
    for topic in Topic.objects.filter(slug__startswith=f"round-{sys.argv[1]}-topic-"):
        story = save_story(f"bench-{topic.slug}", headline="Polls open", body="Polls open.",
                           publisher=publisher)
        attach_ranked_topics(story, [topic.id])
        publish_story(story)
"""


def _reachable() -> str | None:
    """Why this cannot run here, or None."""
    import kombu
    import pytest

    from tidings.postgres_testing import SERVER_URL, connect

    try:
        connect(SERVER_URL).close()
    except pytest.skip.Exception as exc:
        return str(exc)
    broker = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    try:
        with kombu.Connection(broker, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to reach it means: not here
        return f"RabbitMQ is not reachable at {broker} ({exc.__class__.__name__})"
    return None


def _line_speed(sink: SMTPSink, count: int) -> float:
    """Emails/s the server accepts over one connection: the first one sent, again and again."""
    message = sink.messages[0].as_bytes(policy=email.policy.SMTP)
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        for i in range(count):
            smtp.sendmail("alerts@localhost", [f"line{i}@example.com"], message)
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> None:
    why = _reachable()
    if why:
        print(f"skipped: {why}", flush=True)
        return
    from tidings.postgres_testing import throwaway_postgres

    readers, instant = (5_000, 100) if quick else (20_000, 500)
    sink = SMTPSink()
    queue = f"tidings-bench-{uuid.uuid4().hex[:8]}"
    results: list[tuple[str, float, float]] = []
    with (
        tempfile.TemporaryDirectory(prefix="tidings-bench-") as media,
        sink.running(),
        throwaway_postgres(
            Path(media), TASKS_BACKEND="celery", CELERY_QUEUE=queue, EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(sink.port), EMAIL_TIMEOUT="10",
        ) as db,
    ):  # fmt: skip
        start = time.perf_counter()
        db.run("-c", SETUP, str(readers), str(instant), str(len(ROUNDS)), str(STORIES))
        print(f"set up {readers} readers following {len(ROUNDS) * STORIES} topics "
              f"({instant} instantly by email) in {time.perf_counter() - start:.1f} s",
              flush=True)  # fmt: skip
        for number, (mode, workers) in enumerate(ROUNDS):
            env = {**db.env, "TASKS_BACKEND": "database" if mode == "embedded" else "celery"}
            if mode == "embedded":
                command = [db.command("manage.py", "worker", "--interval", "0.1")]
            else:
                command = [
                    db.command(
                        "-m",
                        "celery",
                        "-A",
                        "tidings.celery",
                        "worker",
                        "--pool",
                        "solo",
                        "--concurrency",
                        "1",
                        "-Q",
                        queue,
                        "--loglevel",
                        "WARNING",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "-n",
                        f"bench{n}@%h",
                    )
                    for n in range(workers)
                ]
            processes = [
                subprocess.Popen(c, env=env, cwd=settings.BASE_DIR,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for c in command
            ]  # fmt: skip
            try:
                time.sleep(4)  # the workers connect and wait
                subprocess.run(db.command("-c", PUBLISH, str(number)), env=env, check=True,
                               timeout=120)  # fmt: skip
                label = "embedded worker" if mode == "embedded" else f"{workers} Celery worker(s)"
                results.append((label, *_wait(db, number, readers, instant)))
                fan, mail = results[-1][1:]
                print(f"  {label}: {STORIES} stories fanned out to {readers} readers in "
                      f"{STORIES * readers / fan:.2f} s ({fan:.0f} alerts/s); "
                      f"{STORIES * instant} emails at {mail:.0f}/s", flush=True)  # fmt: skip
            finally:
                for process in processes:
                    process.kill()
                    process.wait(timeout=10)
        line = _line_speed(sink, STORIES * instant)
    base_fan, base_mail = results[0][1:]
    print(f"{'':24} {'alerts/s':>10} {'x embedded':>11} {'emails/s':>10} {'x line':>8}")
    for label, fan, mail in results:
        print(f"{label:24} {fan:10.0f} {fan / base_fan:10.2f}x {mail:10.0f} {mail / line:7.2f}x")
    print(f"{'SMTP line speed':24} {'':10} {'':11} {line:10.0f}  [baseline: one connection]")
    print(f"(embedded delivery: {base_mail / line:.2f}x line speed; this machine has "
          f"{os.cpu_count()} cores, shared by the workers, PostgreSQL, RabbitMQ and the SMTP "
          "server)")  # fmt: skip


def _wait(db: Database, number: int, readers: int, instant: int) -> tuple[float, float]:
    """(alerts/s from publication to the last alert, emails/s across the span they went in)."""
    # Only this round's number, an int, is interpolated.
    events = f"""FROM alerts_event e JOIN stories_story s ON s.id = e.story_id
                 WHERE s.slug LIKE 'bench-round-{int(number)}-topic-%'"""
    deliveries = f"""FROM alerts_delivery d JOIN alerts_alert a ON a.id = d.alert_id
                     WHERE a.event_id IN (SELECT e.id {events})"""
    deadline, done, sent = time.monotonic() + 600, 0, 0
    while time.monotonic() < deadline:
        done = db.scalar(f"SELECT count(fanned_out_at) {events}")
        sent = db.scalar(f"SELECT count(*) {deliveries} AND d.state = 'sent'")
        if done == STORIES and sent == STORIES * instant:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"round {number} did not finish in 600 s ({done} fan-outs, {sent} sent)")
    fan = db.scalar(f"SELECT extract(epoch FROM max(e.fanned_out_at) - min(e.created_at)) {events}")  # noqa: S608
    mail = db.scalar(f"SELECT extract(epoch FROM max(d.sent_at) - min(d.sent_at)) {deliveries}")  # noqa: S608
    return STORIES * readers / float(fan), STORIES * instant / max(float(mail), 1e-3)
