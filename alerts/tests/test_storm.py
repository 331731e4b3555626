"""Chaos: a storm of 500 matching stories in 10 minutes for 10,000 instant readers, through a
real SMTP server on loopback. No reader gets more instant emails in any rolling hour than their
cap, and every story reaches every reader exactly once: in an instant email (its own or a
burst's) or in the next morning's digest.

What "matching" means here: every story has a topic each reader follows. Everyone follows two
places; reader n also follows four world themes (n % 3 == 0), four market themes (n % 3 == 1) or
both (n % 3 == 2). A story is on one place, or on a world theme and a market theme (and perhaps a
place), so it reaches readers through different follows, and their bursts gather different
stories.
"""

import datetime as dt
import email.parser
import email.policy
import multiprocessing
import os
import quopri
import re
import time
import unittest
from array import array
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import time_machine
from django.conf import settings
from django.db import transaction

from accounts.models import User
from alerts.actions import deliver_due, fan_out, send_due_digests
from alerts.models import Alert, Delivery, Event, Follow
from stories.actions import publish_story, save_story
from tidings.test import BaseTestCase, SMTPSink
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import Topic

# Tuesday 10 March 2026 from 14:00 UTC (the readers' zone); their digests go at 07:00 next day.
START = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
STORM = dt.timedelta(minutes=10)
DIGESTS = dt.datetime(2026, 3, 11, 7, 5, tzinfo=dt.UTC)

PLACES = ["Kenya", "Uganda"]
WORLD = ["Climate", "Energy", "Health", "Transport"]
MARKETS = ["Shares", "Elections", "Sport", "Culture"]
GROUPS = [PLACES + WORLD, PLACES + MARKETS, PLACES + WORLD + MARKETS]
# The stories' topics in the editor's order (the first is primary), in turn.
PATTERN = [
    ["Kenya"],
    ["Climate", "Shares"],
    ["Uganda"],
    ["Energy", "Elections"],
    ["Health", "Sport", "Kenya"],
    ["Transport", "Culture"],
    ["Shares", "Climate", "Uganda"],
    ["Elections", "Energy"],
]
LINK = re.compile(re.escape(settings.SITE_URL).encode() + rb"/stories/storm-bulletin-(\d+)/")


class StormSink(SMTPSink):
    """The real SMTP server, in a process of its own so that its parsing takes the other core,
    keeping of each message what the checks need (ten thousand digests of hundreds of stories
    would not fit in memory parsed): its Message-ID, its recipient and the stories its text
    part links to."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        head, _, body = envelope.content.partition(b"\r\n\r\n")
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(head)
        boundary = headers.get_boundary()
        assert boundary is not None, "every email has a text part and an HTML one"
        part_head, _, text = body.split(b"--" + boundary.encode())[1].partition(b"\r\n\r\n")
        assert b"text/plain" in part_head
        if b"quoted-printable" in part_head:
            text = quopri.decodestring(text)
        stories = array("H", (int(n) for n in LINK.findall(text)))
        self.seen.append((str(headers["Message-ID"]), str(headers["To"]), stories.tobytes()))
        return "250 Message accepted for delivery"

    @contextmanager
    def running(self) -> Iterator["StormSink"]:
        ours, theirs = multiprocessing.Pipe()
        # Forked before the test has threads or a moved clock: it only serves SMTP.
        server = multiprocessing.get_context("fork").Process(target=self._serve, args=(theirs,))
        server.start()
        try:
            assert ours.recv() == "listening"
            yield self
        finally:
            ours.send("stop")
            self.seen = ours.recv()
            server.join()

    def _serve(self, pipe: Connection) -> None:
        self.start()
        pipe.send("listening")
        pipe.recv()
        self.stop()
        pipe.send(self.seen)


def work() -> None:
    """A delivery worker: deliver_due until nothing is due."""
    while Delivery.objects.due().exists():
        deliver_due()


class StormTests(BaseTestCase):
    @unittest.skipUnless(
        os.environ.get("TIDINGS_STORM_FULL"),
        "5,000,000 alerts take longer than the suite's budget: TIDINGS_STORM_FULL=1 runs it",
    )
    def test_a_storm_of_500_stories_for_10_000_readers(self) -> None:
        self.storm(readers=10_000, stories=500)

    def test_a_storm_of_500_stories_for_200_readers(self) -> None:
        self.storm(readers=200, stories=500)

    def test_a_small_storm(self) -> None:
        self.storm(readers=60, stories=100)

    def storm(self, readers: int, stories: int) -> None:
        topics = {name: ensure_topic(name, Topic.Kind.PLACE) for name in PLACES}
        topics.update({name: ensure_topic(name, Topic.Kind.THEME) for name in WORLD + MARKETS})
        with transaction.atomic():
            User.objects.bulk_create(
                [
                    User(
                        username=f"reader{n}",
                        email=f"reader{n}@example.com",
                        password="!",  # unusable: these readers never sign in
                        email_verified_at=START - dt.timedelta(days=30),
                    )
                    for n in range(readers)
                ],
                batch_size=2000,
            )
            people = list(
                User.objects.filter(username__startswith="reader")
                .order_by("id")
                .values_list("id", "email")
            )
            Follow.objects.bulk_create(
                [
                    Follow(reader_id=reader, topic=topics[name])
                    for n, (reader, _) in enumerate(people)
                    for name in GROUPS[n % len(GROUPS)]
                ],
                batch_size=5000,
            )
        drafts = []
        for n in range(stories):
            # No topic's name in the text: the tagger adds no topic of its own.
            story = save_story(
                f"storm-bulletin-{n}",
                publisher=self.publisher,
                headline=f"Storm bulletin number {n}",
                standfirst="Winds of a hundred kilometres an hour are expected tonight.",
                body="First paragraph of the bulletin.\n\nSecond paragraph.",
                created_by=self.bob,
            )
            attach_ranked_topics(story, [topics[t].id for t in PATTERN[n % len(PATTERN)]])
            drafts.append(story)
        sink = StormSink()
        began = time.perf_counter()
        clock = time_machine.travel(START, tick=False)
        with sink.running(), self.settings(**sink.settings()), clock as traveller:
            spent: defaultdict[str, float] = defaultdict(float)
            for n, story in enumerate(drafts):
                traveller.move_to(START + STORM * n / stories)
                at = time.perf_counter()
                publish_story(story)
                fan_out(Event.objects.get(story=story).id)
                spent["publish and fan out"] += time.perf_counter() - at
                work()
                spent["deliver"] += time.perf_counter() - at
            spent["deliver"] -= spent["publish and fan out"]
            # Past the burst windows, a minute at a time, until nothing waits.
            at, moment = time.perf_counter(), START + STORM
            waiting = [Delivery.State.PENDING, Delivery.State.RETRYING]
            while Delivery.objects.filter(state__in=waiting).exists():
                moment += dt.timedelta(minutes=1)
                self.assertLess(moment, START + dt.timedelta(hours=2), "still waiting")
                traveller.move_to(moment)
                work()
            spent["bursts"] = time.perf_counter() - at
            at = time.perf_counter()
            traveller.move_to(DIGESTS)
            digests = send_due_digests()
            work()
            spent["digests"] = time.perf_counter() - at
        took = time.perf_counter() - began
        print(
            f"storm: {took:.0f} s: "
            + ", ".join(f"{part} {seconds:.0f} s" for part, seconds in spent.items())
        )
        self.check(people, stories, sink, digests)

    def check(
        self, people: list[tuple[int, str]], stories: int, sink: StormSink, digests: int
    ) -> None:
        sent = {
            f"<delivery-{d}@127.0.0.1>": (reader, alert, at)
            for d, reader, alert, at in Delivery.objects.filter(
                state=Delivery.State.SENT
            ).values_list("id", "reader_id", "alert_id", "sent_at")
        }
        ids = [message_id for message_id, _, _ in sink.seen]
        self.assertEqual(len(ids), len(set(ids)), "an email went twice")
        self.assertEqual(set(ids), set(sent), "the emails sent are the deliveries recorded")
        address = dict(people)
        row = {reader: n for n, (reader, _) in enumerate(people)}
        got = [bytearray(stories) for _ in people]  # reader, story → emails that carried it
        instant: dict[int, list[dt.datetime]] = defaultdict(list)
        for message_id, to, numbers in sink.seen:
            reader, alert, at = sent[message_id]
            self.assertEqual(to, address[reader])
            if alert is not None:
                assert at is not None, "a sent delivery has its time"
                instant[reader].append(at)
            carried = got[row[reader]]
            for n in set(array("H", numbers)):
                carried[n] += 1
        worst = 0
        for times in instant.values():
            times.sort()
            for n, first in enumerate(times):
                worst = max(worst, sum(1 for t in times[n:] if t - first < dt.timedelta(hours=1)))
        cap = User._meta.get_field("max_alerts_per_hour").get_default()
        self.assertLessEqual(worst, cap, "a reader got more instant emails in an hour than the cap")
        lost = sum(carried.count(0) for carried in got)
        twice = sum(len(carried) - carried.count(0) - carried.count(1) for carried in got)
        self.assertEqual((lost, twice), (0, 0), "(reader, story) pairs lost, sent twice")
        # And in the database: every alert went by email, rode along with one or is in a digest
        # that went.
        alerts = Alert.objects.count()
        self.assertEqual(alerts, len(people) * stories)
        done = [Delivery.State.SENT, Delivery.State.MERGED, Delivery.State.ROLLED]
        self.assertFalse(Delivery.objects.exclude(state__in=done).exists())
        merged = Delivery.objects.filter(state=Delivery.State.MERGED)
        self.assertFalse(merged.exclude(merged_into__state=Delivery.State.SENT).exists())
        rolled = Delivery.objects.filter(state=Delivery.State.ROLLED)
        self.assertFalse(rolled.filter(alert__digest__isnull=True).exists())
        print(
            f"storm: {stories} stories × {len(people):,} readers: {alerts:,} alerts; "
            f"{sum(map(len, instant.values())):,} instant emails (max {worst}/hour/reader), "
            f"{digests:,} digests; every story reached every reader",
            flush=True,
        )
