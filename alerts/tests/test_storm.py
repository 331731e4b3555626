"""Chaos: a storm of matching stories for thousands of instant readers, through a real SMTP
server on loopback. No reader goes over the hourly cap, and every story reaches every reader
once: in an instant email (its own or a burst's) or in the next daily digest."""

import datetime as dt
import email.parser
import email.policy
import os
import quopri
import re
import time
from collections import defaultdict
from typing import Any

import time_machine
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from alerts.actions import deliver_due, fan_out, send_due_digests
from alerts.models import Alert, Delivery, Event, Follow
from stories.actions import publish_story, save_story
from stories.models import Story
from tidings.test import BaseTestCase, SMTPSink
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import Topic

# Tuesday 10 March 2026, 14:00 UTC (the readers' time zone): the storm, then the next morning's
# digests at 07:00.
START = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
STORM = dt.timedelta(minutes=10)
DIGEST_AT = dt.datetime(2026, 3, 11, 7, 5, tzinfo=dt.UTC)

# What "matching" means here: every story has a topic each reader follows. Two places everyone
# follows; four "world" themes and four "market" themes, of which reader n follows the world
# ones (n % 3 == 0), the market ones (n % 3 == 1) or both (n % 3 == 2). A story is on one place,
# or on a world theme and a market theme (and perhaps a place), so it reaches each reader through
# different follows, and each reader's bursts gather different stories.
PLACES = ["Kenya", "Uganda"]
WORLD = ["Climate", "Energy", "Health", "Transport"]
MARKETS = ["Shares", "Elections", "Sport", "Culture"]
GROUPS = [PLACES + WORLD, PLACES + MARKETS, PLACES + WORLD + MARKETS]
# Each story's topics in the editor's order (the first is primary), cycling.
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


class StormSink(SMTPSink):
    """The real SMTP server, keeping of each message only what the checks need (ten thousand
    digests of hundreds of stories would not fit in memory parsed): its Message-ID, recipient,
    subject, and the stories its text part links to."""

    def __init__(self, story_link: re.Pattern[bytes]) -> None:
        super().__init__()
        self.story_link = story_link
        self.seen: list[tuple[str, str, str, list[bytes]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.content
        head, _, body = raw.partition(b"\r\n\r\n")
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(head)
        boundary = headers.get_boundary()
        assert boundary is not None, "alert emails have a text and an HTML part"
        text_part = body.split(b"--" + boundary.encode())[1]
        part_head, _, text = text_part.partition(b"\r\n\r\n")
        assert b"Content-Type: text/plain" in part_head
        if b"quoted-printable" in part_head:
            text = quopri.decodestring(text)
        self.seen.append(
            (
                str(headers["Message-ID"]),
                str(headers["To"]),
                str(headers["Subject"]),
                self.story_link.findall(text),
            )
        )
        return "250 Message accepted for delivery"


def work() -> int:
    """The delivery worker: deliver_due until nothing is due."""
    calls = 0
    while Delivery.objects.due().exists():
        deliver_due()
        calls += 1
    return calls


class StormTests(BaseTestCase):
    def storm(self, readers: int, stories: int) -> None:
        topics = {name: ensure_topic(name, Topic.Kind.PLACE) for name in PLACES}
        topics.update({name: ensure_topic(name, Topic.Kind.THEME) for name in WORLD + MARKETS})
        with time_machine.travel(START - dt.timedelta(hours=1), tick=False) as traveller:
            with transaction.atomic():
                User.objects.bulk_create(
                    [
                        User(
                            username=f"reader{i}",
                            email=f"reader{i}@example.com",
                            password="!",  # unusable: these readers never sign in
                            email_verified_at=timezone.now(),
                        )
                        for i in range(readers)
                    ],
                    batch_size=2000,
                )
                people = list(
                    User.objects.filter(username__startswith="reader").values_list("id", "email")
                )
                Follow.objects.bulk_create(
                    [
                        Follow(reader_id=reader_id, topic=topics[name])
                        for n, (reader_id, _) in enumerate(people)
                        for name in GROUPS[n % len(GROUPS)]
                    ],
                    batch_size=5000,
                )
            drafts = []
            for n in range(stories):
                # No topic's name in the text: the tagger adds no topic of its own.
                story = save_story(
                    f"storm-bulletin-{n:03d}",
                    publisher=self.publisher,
                    headline=f"Storm bulletin number {n}",
                    standfirst="Winds of a hundred kilometres an hour are expected tonight.",
                    body="First paragraph of the bulletin.\n\nSecond paragraph.",
                    created_by=self.bob,
                )
                attach_ranked_topics(story, [topics[t].id for t in PATTERN[n % len(PATTERN)]])
                drafts.append(story)

            path = reverse("stories:detail", args=["SLUG"]).replace("SLUG", r"([a-z0-9-]+)")
            sink = StormSink(re.compile(re.escape(settings.SITE_URL).encode() + path.encode()))
            began = time.perf_counter()
            with sink.running(), self.settings(**sink.settings()):
                spent = defaultdict(float)
                for n, story in enumerate(drafts):
                    traveller.move_to(START + STORM * n / stories)
                    t0 = time.perf_counter()
                    publish_story(story)
                    t1 = time.perf_counter()
                    fan_out(Event.objects.get(story=story).id)
                    t2 = time.perf_counter()
                    work()
                    t3 = time.perf_counter()
                    spent["publish"] += t1 - t0
                    spent["fan_out"] += t2 - t1
                    spent["deliver"] += t3 - t2
                print(dict(spent))
                stormed = time.perf_counter() - began
                # Past the burst windows, a minute at a time, until nothing waits.
                at = START + STORM
                while Delivery.objects.filter(
                    state__in=[Delivery.State.PENDING, Delivery.State.RETRYING]
                ).exists():
                    at += dt.timedelta(minutes=1)
                    self.assertLess(at, START + dt.timedelta(hours=3), "still waiting")
                    traveller.move_to(at)
                    work()
                flushed = time.perf_counter() - began
                traveller.move_to(DIGEST_AT)
                digests = send_due_digests()
                work()
            took = time.perf_counter() - began
        print(
            f"timings: storm {stormed:.1f} s, bursts {flushed - stormed:.1f} s, digests "
            f"{took - flushed:.1f} s",
            flush=True,
        )
        self.check(people, drafts, sink, digests)

    def check(
        self, people: list[tuple[int, str]], drafts: list[Story], sink: StormSink, digests: int
    ) -> None:
        readers, stories = len(people), len(drafts)
        deliveries = {
            f"<delivery-{d}@127.0.0.1>": (d, reader, alert, sent_at)
            for d, reader, alert, sent_at in Delivery.objects.filter(
                state=Delivery.State.SENT
            ).values_list("id", "reader_id", "alert_id", "sent_at")
        }
        emails = dict(people)
        index = {s.slug.encode(): n for n, s in enumerate(drafts)}
        row = {reader_id: n for n, (reader_id, _) in enumerate(people)}
        got = [bytearray(stories) for _ in range(readers)]
        instant: dict[int, list[dt.datetime]] = defaultdict(list)
        ids = [m[0] for m in sink.seen]
        self.assertEqual(len(ids), len(set(ids)), "an email went twice")
        self.assertEqual(set(ids), set(deliveries), "what was sent is what is recorded")
        for message_id, to, _, slugs in sink.seen:
            _, reader, alert, sent_at = deliveries[message_id]
            self.assertEqual(to, emails[reader])
            if alert is not None:
                instant[reader].append(sent_at)
            counts = got[row[reader]]
            for slug in set(slugs):
                counts[index[slug]] += 1
        cap = User._meta.get_field("max_alerts_per_hour").get_default()
        worst = 0
        for times in instant.values():
            times.sort()
            for i, at in enumerate(times):
                within = sum(1 for t in times[i:] if t - at < dt.timedelta(hours=1))
                worst = max(worst, within)
        self.assertLessEqual(worst, cap)
        lost = sum(c.count(0) for c in got)
        twice = sum(sum(1 for x in c if x > 1) for c in got)
        self.assertEqual((lost, twice), (0, 0), "(reader, story) pairs lost, sent twice")
        alerts = Alert.objects.count()
        self.assertEqual(alerts, readers * stories)
        self.assertFalse(
            Delivery.objects.exclude(
                state__in=[Delivery.State.SENT, Delivery.State.MERGED, Delivery.State.ROLLED]
            ).exists()
        )
        print(
            f"storm: {stories} stories × {readers:,} readers: {alerts:,} alerts; "
            f"{sum(map(len, instant.values())):,} instant emails (max {worst}/hour/reader), "
            f"{digests:,} digests; every story reached every reader",
            flush=True,
        )

    def test_a_storm(self) -> None:
        self.storm(
            int(os.environ.get("STORM_READERS", "200")), int(os.environ.get("STORM_STORIES", "50"))
        )
