"""Publish → the first in-app alert and the first email, with the worker idle and under load.

A real `manage.py worker` (the embedded mode, its default 1 s interval) runs on a throwaway
SQLite file and sends to an aiosmtpd server on loopback. Each probe publishes a story on a topic
that PROBE_READERS follow (every tenth takes instant emails at a verified address) and times
how long its first Alert row takes to appear and its first email to arrive. The baseline is the
worker's polling floor in the same wake-ups: a no-op task enqueued just before each publish.

The probes run once with the worker idle, then while another process publishes LOAD_RATE stories
a second on another topic with its own BACKGROUND_READERS followers (every tenth by email): each
is a real fan-out and real deliveries, of which the burst rule sends the first and holds the rest,
as it would for any ten stories a second on one topic. (BACKGROUND_TOPICS > 1 spreads the stories
over that many topics with readers of their own, so that more of the emails are first ones.)
Between probes the probe readers' sent emails are dated two days back, so that neither the caps
nor the burst rule holds the next one: this measures a reader's first email, not a burst's.

Each phase also says where a probe's time went (from the task table: waiting for the worker,
the fan-out, the delivery task) and, under load, how much of its time the worker spent on a
CPU, waiting for one, and blocked. A worker that falls behind the load makes every later probe
slower: the phase then stops after two probes in a row that saw nothing within TIMEOUT.

It runs on a throwaway SQLite database (bench/__main__.py points DATABASE_URL at it).
"""

import contextlib
import datetime as dt
import email.parser
import email.policy
import math
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from alerts.models import Alert, Delivery, Event, Follow
from stories.actions import ensure_publisher, publish_story, save_story
from stories.models import Story
from tidings.test import SMTPSink
from topics.actions import article_of, attach_ranked_topics, current_tagger, ensure_topic
from topics.models import StoryTopic
from topics.tagging import Article

GOAL = 1.0  # seconds, p50, for both the in-app alert and the email
PROBE_READERS = 300
LOAD_RATE = 10.0  # background publishes a second
BACKGROUND_TOPICS = 1
BACKGROUND_READERS = 300  # per background topic
WARM_UP = 2.0  # seconds of load before the first probe under it
TIMEOUT = 10.0  # a probe that sees nothing by then counts as missing
SETTLE = 5.0  # seconds a probe's other emails may take before the next probe goes anyway
PENDING = (Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.RETRYING)


@task()
def noop() -> None:
    """The polling floor's probe: a task with nothing to do."""


class _Sink(SMTPSink):
    """Keeps when the first message of each subject arrived, not the message: under load it
    takes hundreds a second, and parsing each in full would slow the probes beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}
        self.received = 0
        self._parser = email.parser.BytesHeaderParser(policy=email.policy.default)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        subject = str(self._parser.parsebytes(envelope.content)["subject"])
        self.arrivals.setdefault(subject, at)
        self.received += 1
        return "250 Message accepted for delivery"


@dataclass
class _Probe:
    publish: float  # publish_story itself
    alert: float | None  # publish → its first Alert row visible
    email: float | None  # publish → its first email at the sink
    floor: float | None  # the no-op task: enqueued → finished
    pickup: float | None  # commit → the fan-out task started
    fan_out: float | None  # the fan-out task's run
    queued: float | None  # fan-out finished → the delivery task that sends its emails started
    to_email: float | None  # that task started → the first email at the sink
    backlog: int  # tasks ready and waiting when the probe was published


def _readers(prefix: str, count: int) -> list[User]:
    verified = timezone.now()
    User.objects.bulk_create(
        # "!" is Django's unusable password: these readers never sign in.
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password="!",  # noqa: S106
              email_verified_at=verified if i % 10 == 0 else None) for i in range(count)],
        batch_size=2000,
    )  # fmt: skip
    return list(User.objects.filter(username__startswith=prefix).order_by("id"))


def _setup(probes: int, background: int) -> list[Story]:
    """The probe readers and their drafts (returned), and the background's topics, their
    readers and their drafts."""
    publisher = ensure_publisher("bench", name="Bench", copyright_holder="Bench Ltd")
    with transaction.atomic():
        lakeside = ensure_topic("Lakeside", "place")
        Follow.objects.bulk_create(
            [Follow(reader=r, topic=lakeside) for r in _readers("probe", PROBE_READERS)]
        )
        drafts = []
        for n in range(probes):
            # Nothing in the text names a topic: the tagger adds none to the editor's.
            story = save_story(f"probe-{n}", headline=f"Water main repairs, notice {n}",
                               body="Works begin on Monday.", publisher=publisher)  # fmt: skip
            attach_ranked_topics(story, [lakeside.id])
            drafts.append(story)
    readers = _readers("load", BACKGROUND_TOPICS * BACKGROUND_READERS)
    with transaction.atomic():
        parishes = [ensure_topic(f"Parish {n}", "place") for n in range(BACKGROUND_TOPICS)]
        Follow.objects.bulk_create(
            [Follow(reader=r, topic=parishes[n // BACKGROUND_READERS])
             for n, r in enumerate(readers)], batch_size=2000,
        )  # fmt: skip
        # Hundreds of drafts: in bulk, as no editor would, but publish_story takes them as any.
        stories = Story.objects.bulk_create(
            [Story(slug=f"load-{n}", headline=f"Background story {n}", body="Council notice.",
                   publisher=publisher) for n in range(background)], batch_size=500,
        )  # fmt: skip
        StoryTopic.objects.bulk_create(
            [StoryTopic(story=story, topic=parishes[n % BACKGROUND_TOPICS], salience=1.0,
                        role=StoryTopic.Role.PRIMARY, origin=StoryTopic.Origin.EDITOR)
             for n, story in enumerate(stories)], batch_size=500,
        )  # fmt: skip
    return drafts


def publish_in_background(rate: float, seconds: float) -> None:
    """The load, run by run() in a process of its own (`manage.py shell -c`): after "ready",
    publish the load- drafts `rate` a second from one line on stdin until the next, or until
    `seconds` pass or the drafts run out."""
    # Loads the model (and reads nothing the setup, which runs meanwhile, is still writing).
    current_tagger().tag_with_quotes([Article(headline="Warming up", body=["Nothing yet."])])
    print("ready", flush=True)
    sys.stdin.readline()
    drafts = list(
        Story.objects.filter(slug__startswith="load-", status=Story.Status.DRAFT).order_by("id")
    )
    stop = threading.Event()

    def listen() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=listen, daemon=True).start()
    start = time.perf_counter()
    took = []
    for n, story in enumerate(drafts):
        if stop.wait(max(start + n / rate - time.perf_counter(), 0)):
            break
        if time.perf_counter() - start > seconds:
            break
        before = time.perf_counter()
        publish_story(story)
        took.append(time.perf_counter() - before)
    print(
        f"published {len(took)} in {time.perf_counter() - start:.1f} s, each publish_story "
        f"taking {statistics.median(took) if took else math.nan:.2f} s (p50)",
        flush=True,
    )


def _lines(stream: IO[str]) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _said(lines: "queue.Queue[str]", seconds: float) -> str:
    try:
        return lines.get(timeout=seconds)
    except queue.Empty:
        return f"(said nothing in {seconds:.0f} s)"


def _tell(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(line + "\n")
        process.stdin.flush()
    except BrokenPipeError:
        raise SystemExit("latency: the load process ended early; see load.log") from None


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"latency: timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def _task_times(
    story: Story, committed_at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None]:
    """When the story's fan-out task started and finished, and when the delivery task that
    sent its emails started, as the task table recorded them."""
    event = Event.objects.get(story=story, kind=Event.Kind.PUBLISHED)
    fan_outs = DBTaskResult.objects.filter(
        task_path="alerts.tasks.fan_out_task",
        enqueued_at__gte=committed_at - dt.timedelta(seconds=5),
    )
    fan_out = next((r for r in fan_outs if r.args_kwargs["args"] == [event.id]), None)
    if fan_out is None or fan_out.finished_at is None:
        return (None if fan_out is None else fan_out.started_at), None, None
    # One worker runs one task at a time: the first delivery run to start after the fan-out
    # finished is the one that found its emails due.
    deliver = (
        DBTaskResult.objects.filter(
            task_path="alerts.tasks.deliver_due_task", started_at__gte=fan_out.finished_at
        )
        .order_by("started_at")
        .first()
    )
    return fan_out.started_at, fan_out.finished_at, None if deliver is None else deliver.started_at


def _probe(story: Story, sink: _Sink) -> _Probe:
    backlog = DBTaskResult.objects.ready().count()
    floor = noop.enqueue()
    start = time.perf_counter()
    publish_story(story)
    committed_at, published = timezone.now(), time.perf_counter() - start
    alert_seen = email_seen = None
    while time.perf_counter() - start < TIMEOUT and (alert_seen is None or email_seen is None):
        if alert_seen is None and Alert.objects.filter(story=story).exists():
            alert_seen = time.perf_counter()
        if email_seen is None:
            email_seen = sink.arrivals.get(story.headline)
        time.sleep(0.01)
    # The rest of its emails go before the next probe, which then finds the worker as it was.
    emails = Delivery.objects.filter(alert__story=story, channel="email", state__in=PENDING)
    settled = time.perf_counter() + SETTLE
    while emails.exists() and time.perf_counter() < settled:
        time.sleep(0.05)
    # Dated back, so that neither the caps nor the burst rule holds the next probe's emails.
    Delivery.objects.filter(reader__username__startswith="probe", state=Delivery.State.SENT).update(
        sent_at=timezone.now() - dt.timedelta(days=2)
    )
    noop_row = DBTaskResult.objects.get(id=floor.id)
    fan_out_start, fan_out_end, deliver_start = _task_times(story, committed_at)
    email_at = None
    if email_seen is not None:
        email_at = committed_at + dt.timedelta(seconds=email_seen - start - published)
    return _Probe(
        publish=published,
        alert=None if alert_seen is None else alert_seen - start,
        email=None if email_seen is None else email_seen - start,
        floor=_seconds(noop_row.enqueued_at, noop_row.finished_at),
        pickup=_seconds(committed_at, fan_out_start),
        fan_out=_seconds(fan_out_start, fan_out_end),
        queued=_seconds(fan_out_end, deliver_start),
        to_email=_seconds(deliver_start, email_at),
        backlog=backlog,
    )


def _probes(
    label: str, drafts: list[Story], sink: _Sink, budget: float, worker: subprocess.Popen[bytes]
) -> list[_Probe]:
    probes: list[_Probe] = []
    end = time.monotonic() + budget
    for n, story in enumerate(drafts):
        if worker.poll() is not None:
            raise SystemExit(f"latency: the worker exited ({worker.returncode}); see worker.log")
        if len(probes) >= 2 and all(p.alert is None for p in probes[-2:]):
            print(f"  {label}: stopped after {n} probes: two in a row saw nothing", flush=True)
            break
        if time.monotonic() > end:
            print(f"  {label}: stopped after {n} probes, at the {budget:.0f} s budget", flush=True)
            break
        # A random moment of the worker's sleep, as a publish would come at.
        time.sleep(random.uniform(0.05, 1.0))
        probe = _probe(story, sink)
        probes.append(probe)

        def show(value: float | None) -> str:
            return "missing" if value is None else f"{value:.2f} s"

        print(
            f"  {label} {n + 1}/{len(drafts)}: alert {show(probe.alert)}, "
            f"email {show(probe.email)}, no-op {show(probe.floor)}, "
            f"{probe.backlog} tasks waiting",
            flush=True,
        )
    return probes


def _rank(values: list[float | None], share: float) -> float:
    """The nearest-rank percentile; a probe that saw nothing within TIMEOUT counts as slower
    than any that did (infinite), so an overloaded worker cannot look fast."""
    ordered = sorted(math.inf if v is None else v for v in values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)] if ordered else math.nan


def _seconds_text(value: float) -> str:
    return f"> {TIMEOUT:.0f} s" if math.isinf(value) else f"{value:.2f} s"


def _typical(values: list[float | None]) -> str:
    """The p50 of the parts of a probe that were seen at all."""
    seen = [v for v in values if v is not None]
    return "–" if not seen else f"{_rank(list(seen), 0.5):.2f} s"


def _spread(values: list[float | None]) -> str:
    return f"p50 {_seconds_text(_rank(values, 0.5))} p90 {_seconds_text(_rank(values, 0.9))}"


def _report(title: str, probes: list[_Probe]) -> str:
    alert, email_ = [p.alert for p in probes], [p.email for p in probes]
    print(f"{title} ({len(probes)} probes)")
    print(f"  no-op task, enqueued → run:  {_spread([p.floor for p in probes])}  [baseline]")
    print(f"  first in-app alert:          {_spread(alert)}")
    print(f"  first email:                 {_spread(email_)}")
    print(
        f"  where the time goes (p50s): publish_story {_typical([p.publish for p in probes])}, "
        f"waiting for the worker {_typical([p.pickup for p in probes])}, fan-out "
        f"{_typical([p.fan_out for p in probes])}, delivery task waiting "
        f"{_typical([p.queued for p in probes])}, its start → first email "
        f"{_typical([p.to_email for p in probes])}",
        flush=True,
    )
    verdict = "met" if max(_rank(alert, 0.5), _rank(email_, 0.5)) < GOAL else "MISSED"
    return (
        f"first in-app alert {_spread(alert)}; first email {_spread(email_)}; "
        f"goal p50 < {GOAL:.0f} s {verdict}"
    )


def _times(pid: int) -> tuple[float, float]:
    """Seconds a process has run on a CPU (all its threads) and its main thread has waited for
    one, from Linux's /proc; zeros elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        waited = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK"), waited


def _stop(process: subprocess.Popen[Any], name: str, grace: float = 0.0) -> None:
    """Give it `grace` seconds to end by itself, then SIGTERM, then SIGKILL."""
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the worker finishes the task in hand
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print(f"  {name} did not stop in 20 s: killed", flush=True)
            process.kill()
            process.wait()


def run(quick: bool = False) -> None:
    database = Path(settings.DATABASES["default"]["NAME"])
    if not database.parent.name.startswith("tidings-bench-"):
        raise SystemExit("latency: run it as `python -m bench latency` (a throwaway database)")
    probes = 8 if quick else 20
    budget = 15.0 if quick else 30.0  # seconds per phase, at most
    # Enough drafts for the longest the loaded phase can last: its last probe may start at the
    # budget and take TIMEOUT and SETTLE.
    load_for = WARM_UP + budget + TIMEOUT + SETTLE + 5
    background = int(LOAD_RATE * load_for)
    started = time.monotonic()
    print(
        f"setting up {PROBE_READERS} probe readers, {background} background drafts on "
        f"{BACKGROUND_TOPICS} topic(s) with {BACKGROUND_READERS} readers each…",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    folder = database.parent
    sink = _Sink()
    env = {
        **os.environ,
        "TIDINGS_VAR_DIR": str(folder),
        "TASKS_BACKEND": "database",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
    }
    worker_log = folder / "worker.log"
    load_log = folder / "load.log"
    interval = 1.0  # `manage.py worker`'s default, stated so the report can name it
    with sink.running(), worker_log.open("w") as worker_out, load_log.open("w") as load_err:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", str(interval)],
            cwd=settings.BASE_DIR, env=env, stdout=worker_out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        load = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c",
             "from bench.latency import publish_in_background as p; "
             f"p({LOAD_RATE}, {load_for})"],
            cwd=settings.BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=load_err, text=True,
        )  # fmt: skip
        assert load.stdin is not None and load.stdout is not None
        said = _lines(load.stdout)
        try:
            # While the worker and the load process start (Django, the tagger's model).
            drafts = _setup(probes * 2 + 1, background)
            current_tagger().tag_with_quotes([article_of(drafts[0])])  # the model, beforehand
            _wait_for(lambda: "started" in worker_log.read_text(), 60, "the worker to start")
            if _said(said, 60) != "ready":
                raise SystemExit(f"latency: the load process failed; see {load_log}")
            print(
                f"set up, with the worker and the load process, after "
                f"{time.monotonic() - started:.0f} s; one probe to warm the worker up…",
                flush=True,
            )
            _probe(drafts.pop(), sink)
            idle = _probes("idle", drafts[:probes], sink, budget, worker)
            print(f"starting the load: {LOAD_RATE:.0f} publishes/s", flush=True)
            _tell(load, "go")
            time.sleep(WARM_UP)
            emails_before, events_before = (
                sink.received,
                Event.objects.filter(fanned_out_at__isnull=False).count(),
            )
            loaded_from, worker_from = time.perf_counter(), _times(worker.pid)
            loaded = _probes("loaded", drafts[probes:], sink, budget, worker)
            loaded_for = time.perf_counter() - loaded_from
            ran, waited = (b - a for a, b in zip(worker_from, _times(worker.pid), strict=True))
            emails = sink.received - emails_before
            fanned = Event.objects.filter(fanned_out_at__isnull=False).count() - events_before
            _tell(load, "stop")
            done = _said(said, 30)
            left = DBTaskResult.objects.ready().count()
        finally:
            with contextlib.suppress(BrokenPipeError):
                load.stdin.close()  # the load process stops at the end of its input
            _stop(load, "the load process", grace=10)
            _stop(worker, "the worker")

    print(
        f"worker: `manage.py worker`, waiting {interval:.0f} s after each look that finds "
        f"nothing; {time.monotonic() - started:.0f} s in all"
    )
    idle_line = _report("idle", idle)
    loaded_line = _report(f"under {LOAD_RATE:.0f} publishes/s", loaded)
    backlog = [p.backlog for p in loaded]
    print(
        f"  the load: {done}; the worker finished {fanned / loaded_for:.1f} fan-outs/s and the "
        f"sink took {emails / loaded_for:.0f} emails/s; tasks waiting at the probes "
        f"{backlog[0] if backlog else 0} → {backlog[-1] if backlog else 0}, {left} at the end"
    )
    print(
        f"  the worker: {ran / loaded_for:.0%} of the time on a CPU "
        f"({1000 * ran / max(fanned, 1):.0f} ms a fan-out with its deliveries), "
        f"{waited / loaded_for:.0%} waiting for one, the rest blocked "
        "(SQLite's write lock, SMTP replies, its sleep)"
    )
    print(f"idle: {idle_line}")
    print(f"under {LOAD_RATE:.0f} publishes/s: {loaded_line}")
