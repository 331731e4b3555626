"""Feed sources polled by the scheduler: conditional GET, dedupe, backoff, the Schedule table."""

import datetime as dt
import hashlib
from contextlib import AbstractContextManager
from html import escape
from http.server import BaseHTTPRequestHandler
from io import StringIO

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from alerts.actions import tick_schedules
from alerts.models import Schedule
from ingest.actions import POLL_LEASE, add_source, poll_source
from ingest.models import Fingerprint, IngestedItem, Source
from stories.models import Story
from tidings.test import BaseTestCase, serving

PARAGRAPHS = [
    "The council of the river port of Almsford voted on Tuesday night to close the old swing "
    "bridge to lorries from the first of March, after engineers found cracks in two of its "
    "cast-iron girders during a routine inspection.",
    "Hauliers say the closure will add forty minutes to every crossing, because the nearest "
    "bridge strong enough for heavy vehicles lies eleven miles upstream at Corby Ferry.",
    "The council's head of highways, Ines Marlowe, said the repairs would take at least a year "
    "and cost more than the town's entire roads budget for the next two years combined.",
    "A public meeting on a temporary crossing for buses and emergency vehicles will be held in "
    "the market hall next Thursday evening, and residents have been invited to bring questions.",
]


class FeedServer:
    """A loopback feed server that answers If-None-Match with 304, as real servers do."""

    def __init__(self) -> None:
        self.feeds: dict[str, bytes] = {}
        self.requests: list[tuple[str, int]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = server.feeds.get(self.path)
                if body is None:
                    status, body, etag = 500, b"broken", ""
                else:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    status = 304 if self.headers.get("If-None-Match") == etag else 200
                server.requests.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/rss+xml")
                if etag:
                    self.send_header("ETag", etag)
                payload = b"" if status == 304 else body
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def running(self) -> AbstractContextManager[str]:
        return serving(self.handler())


def rss(*items: tuple[str, str, list[str]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><guid>{guid}</guid>"
        f"<link>https://almsford.example/{guid}</link>"
        f"<description>{escape(''.join(f'<p>{p}</p>' for p in paragraphs))}</description></item>"
        for guid, title, paragraphs in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Almsford Echo</title>'
        f"<link>https://almsford.example/</link>{entries}</channel></rss>"
    ).encode()


BRIDGE = ("bridge-1", "Almsford swing bridge to close to lorries", PARAGRAPHS)
# The same agency story as a second site runs it: retitled, one paragraph reworded.
BRIDGE_AGAIN = (
    "wire-77",
    "Cracked girders force Almsford bridge closure",
    [*PARAGRAPHS[:3], "Residents can take their questions to a public meeting next Thursday."],
)
OTHER = (
    "ferry-2",
    "New ferry timetable for the estuary starts on Monday",
    [
        "Ferries across the estuary will run every twenty minutes at peak times from Monday, "
        "the operator said, after a year in which commuters complained of hour-long waits.",
        "The late boat on Fridays and Saturdays moves from eleven to half past midnight, which "
        "restaurant owners on the south shore had asked for since the spring.",
        "Season tickets will cost the same, although single fares rise by ten pence in April, "
        "and children under five continue to travel free on every crossing of the route.",
    ],
)


@override_settings(INGEST_FETCH_ALLOW=["127.0.0.1/32"])
class PollSourceTests(BaseTestCase):
    def setUp(self) -> None:
        self.server = FeedServer()

    def test_new_entries_become_drafts_and_an_unchanged_feed_costs_a_304(self) -> None:
        self.server.feeds["/echo.rss"] = rss(BRIDGE, OTHER)
        with self.server.running() as base:
            source = add_source(f"{base}/echo.rss")
            first = poll_source(source.id)
            self.assertEqual(first.status, "polled")
            self.assertEqual(len(first.created), 2)
            source.refresh_from_db()
            self.assertEqual(source.title, "Almsford Echo")
            self.assertTrue(source.etag)
            self.assertFalse(poll_source(source.id).created, "not due again yet")
            second = poll_source(source.id, force=True)
        self.assertEqual(second.status, "not-modified")
        self.assertEqual([status for _, status in self.server.requests], [200, 304])
        stories = Story.objects.filter(headline__startswith="Almsford")
        self.assertEqual(stories.get().status, Story.Status.DRAFT)
        self.assertEqual(Fingerprint.objects.count(), 2)
        source.refresh_from_db()
        wait = source.next_poll_at - timezone.now()
        self.assertGreater(wait, source.poll_every * 0.85)
        self.assertLess(wait, source.poll_every * 1.15)

    def test_an_entry_seen_before_is_not_read_again(self) -> None:
        self.server.feeds["/echo.rss"] = rss(BRIDGE)
        with self.server.running() as base:
            source = add_source(f"{base}/echo.rss", publish=True)
            poll_source(source.id)
            self.server.feeds["/echo.rss"] = rss(OTHER, BRIDGE)  # a new entry on top
            result = poll_source(source.id, force=True)
        self.assertEqual(result.seen, 1)
        self.assertEqual(len(result.created), 1)
        self.assertEqual(Story.objects.published().count(), 2)

    def test_a_near_duplicate_from_another_feed_is_linked_not_published(self) -> None:
        self.server.feeds["/echo.rss"] = rss(BRIDGE)
        self.server.feeds["/wire.rss"] = rss(BRIDGE_AGAIN)
        with self.server.running() as base:
            echo = add_source(f"{base}/echo.rss", publish=True)
            wire = add_source(f"{base}/wire.rss", publish=True)
            poll_source(echo.id)
            result = poll_source(wire.id)
        original = Story.objects.get(headline="Almsford swing bridge to close to lorries")
        self.assertEqual(result.created, [])
        self.assertEqual(result.duplicates, [f"story:{original.slug}"])
        self.assertEqual(Story.objects.count(), 1, "a repeat never becomes a second story")
        link = IngestedItem.objects.get(source=wire)
        self.assertEqual(link.duplicate_of, original)
        self.assertIsNone(link.story)
        self.assertGreater(link.similarity or 0, 0.5)
        self.assertLess(link.similarity or 1, 1.0)

    def test_failures_back_off_and_success_resets(self) -> None:
        with self.server.running() as base:
            source = add_source(f"{base}/gone.rss", poll_every=dt.timedelta(minutes=10))
            waits = []
            for _ in range(3):
                result = poll_source(source.id, force=True)
                source.refresh_from_db()
                waits.append((source.next_poll_at - timezone.now()).total_seconds() / 60)
            self.assertEqual(result.status, "failed")
            self.assertIn("HTTP 500", source.last_error)
            self.assertEqual(source.failures, 3)
            # 20, 40, 80 minutes, each within 10% jitter.
            for wait, expected in zip(waits, (20, 40, 80), strict=True):
                self.assertAlmostEqual(wait, expected, delta=expected * 0.11)
            self.server.feeds["/gone.rss"] = rss(OTHER)
            self.assertEqual(poll_source(source.id, force=True).status, "polled")
        source.refresh_from_db()
        self.assertEqual((source.failures, source.last_error), (0, ""))

    def test_a_feed_with_a_bogus_encoding_is_refused_backed_off_and_shown(self) -> None:
        self.server.feeds["/bogus.rss"] = rss(OTHER).replace(
            b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="x-bogus"?>'
        )
        with self.server.running() as base:
            source = add_source(f"{base}/bogus.rss", poll_every=dt.timedelta(minutes=10))
            result = poll_source(source.id, force=True)
        source.refresh_from_db()
        self.assertEqual(result.status, "failed")
        self.assertIn("unknown character encoding", source.last_error)
        self.assertEqual(source.failures, 1)
        self.assertGreater(source.next_poll_at, timezone.now() + dt.timedelta(minutes=15))
        self.client.force_login(self.bob)
        page = self.client.get("/admin/ingest/source/")
        self.assertContains(page, "1")  # the failures column
        change = self.client.get(f"/admin/ingest/source/{source.id}/change/")
        self.assertContains(change, "unknown character encoding")

    @override_settings(FEED_MAX_ENTRIES=2)
    def test_a_poll_reads_at_most_the_configured_number_of_entries(self) -> None:
        self.server.feeds["/many.rss"] = rss(BRIDGE, OTHER, ("third", "Third story", PARAGRAPHS))
        with self.server.running() as base:
            source = add_source(f"{base}/many.rss")
            result = poll_source(source.id, force=True)
        self.assertEqual(len(result.created), 2)
        self.assertIn("the feed has 3 entries; the first 2 read", result.errors)

    def test_a_private_address_is_refused_and_counted_as_a_failure(self) -> None:
        with self.settings(INGEST_FETCH_ALLOW=[]):
            source = add_source("http://127.0.0.1:9/feed.rss")
            result = poll_source(source.id)
        self.assertEqual(result.status, "failed")
        self.assertIn("loopback", result.errors[0])

    def test_a_claimed_source_is_not_polled_twice(self) -> None:
        source = add_source("http://127.0.0.1:9/feed.rss")
        Source.objects.filter(id=source.id).update(next_poll_at=timezone.now() + POLL_LEASE)
        self.assertEqual(poll_source(source.id).status, "not-due")

    def test_paused_sources_are_left_alone(self) -> None:
        source = add_source("http://127.0.0.1:9/feed.rss", paused=True)
        self.assertEqual(poll_source(source.id, force=True).status, "not-due")


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@override_settings(INGEST_FETCH_ALLOW=["127.0.0.1/32"])
class ScheduleTests(BaseTestCase):
    def test_the_scheduler_polls_due_feeds_through_the_task_queue(self) -> None:
        server = FeedServer()
        server.feeds["/echo.rss"] = rss(BRIDGE)
        with server.running() as base:
            add_source(f"{base}/echo.rss", publish=True)
            # db_worker runs the queued tasks in production; here they run as they are enqueued.
            with self.settings(TASKS=IMMEDIATE):
                claimed = tick_schedules()
        self.assertIn("poll-feeds", claimed)
        self.assertEqual(Story.objects.published().get().headline, BRIDGE[1])

    def test_each_slot_runs_once_however_many_schedulers_tick(self) -> None:
        now = timezone.now()
        self.assertIn("poll-feeds", tick_schedules(now))
        self.assertNotIn("poll-feeds", tick_schedules(now))
        schedule = Schedule.objects.get(name="poll-feeds")
        self.assertEqual(schedule.next_run_at, now + dt.timedelta(minutes=1))

    def test_poll_sources_command_adds_and_polls_with_a_summary(self) -> None:
        server = FeedServer()
        server.feeds["/echo.rss"] = rss(BRIDGE, OTHER)
        out = StringIO()
        with server.running() as base:
            call_command("poll_sources", "--add", f"{base}/echo.rss", stdout=out)
        self.assertIn("polled, 2 new, 0 duplicates", out.getvalue())
