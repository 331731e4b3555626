"""A real webhook receiver on loopback that fails every way receivers do (500, 503 with
Retry-After, 429, a hang, a reset) and then recovers, on a clock the test moves: each delivery
waits as long as it was asked or its backoff says, stays signed with one id, and all arrive."""

import datetime as dt
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import time_machine
from django.test import SimpleTestCase, override_settings
from django.utils import timezone
from django.utils.http import http_date
from standardwebhooks import Webhook

from accounts.models import User
from alerts import actions
from alerts.actions import BACKOFF, deliver_due, fan_out, follow_topic
from alerts.channels.base import RETRY_AFTER_LIMIT, DeliveryError
from alerts.channels.webhook import retry_after
from alerts.models import Delivery, Event, WebhookEndpoint
from tidings.test import BaseTestCase
from topics.actions import ensure_topic
from topics.models import Topic

# A Tuesday morning; nothing here depends on today's date.
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
READERS = 20
HANG_DEADLINE = 1.0  # seconds: WEBHOOK_DEADLINE while the receiver hangs
KENYA = ("Kenya", Topic.Kind.PLACE)
CLIMATE = ("Climate", Topic.Kind.THEME)
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN

# What the receiver does with a POST: hang, reset, or answer (status, Retry-After or None).
Behaviour = str | tuple[int, str | None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FaultyReceiver:
    """Behaviour per first path segment ("/hook/7" → "hook"); records every request it reads."""

    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    taken: int = 0

    def take(self) -> list[Seen]:
        """The requests seen since the last call."""
        new = self.seen[self.taken :]
        self.taken += len(new)
        return new

    @contextmanager
    def running(self) -> Iterator[str]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.seen.append(Seen(self.path, headers, body))
                what = receiver.behaviour[self.path.split("/")[1]]
                self.close_connection = True
                if isinstance(what, tuple):
                    status, wait = what
                    self.send_response(status)
                    if wait is not None:
                        self.send_header("Retry-After", wait)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif what == "hang":
                    receiver.release.wait(5)  # the client has long given up
                else:
                    assert what == "reset"
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # every reader's post connects at once

            def shutdown_request(self, request: Any) -> None:
                # The usual shutdown(SHUT_WR) would send a FIN before the reset.
                if request.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8) == RESET:
                    self.close_request(request)
                else:
                    super().shutdown_request(request)

        httpd = Server(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            self.release.set()
            httpd.shutdown()
            httpd.server_close()
            thread.join()


@override_settings(WEBHOOK_ALLOW=["127.0.0.1/32"], WEBHOOK_CONCURRENCY=READERS)
class WebhookFaultTests(BaseTestCase):
    def setUp(self) -> None:
        self.kenya = ensure_topic(*KENYA)
        self.receiver = FaultyReceiver()

    def reader(self, name: str, url: str) -> User:
        reader = User.objects.create(username=name, email_alerts=False)
        follow_topic(reader, self.kenya)
        actions.add_webhook(reader, url)
        return reader

    def publish(self, headline: str, topics: tuple[tuple[str, str], ...] = (KENYA,)) -> None:
        story = self.make_story(headline, topics=topics)
        fan_out(Event.objects.get(story=story).id)

    def waits(self, deliveries: list[int]) -> tuple[dt.timedelta, dt.timedelta]:
        """The shortest and longest wait from now of these deliveries, all retrying."""
        rows = Delivery.objects.filter(id__in=deliveries)
        self.assertEqual({d.state for d in rows}, {Delivery.State.RETRYING})
        now = timezone.now()
        waits = [d.next_attempt_at - now for d in rows]
        return min(waits), max(waits)

    def test_a_receiver_that_fails_every_way_and_recovers_gets_everything(self) -> None:
        receiver = self.receiver
        started = time.monotonic()
        with time_machine.travel(T0, tick=False) as clock, receiver.running() as base:
            for n in range(READERS):
                self.reader(f"reader-{n}", f"{base}/hook/{n}")
            gone = self.reader("gone-reader", f"{base}/gone/0")
            follow_topic(gone, ensure_topic(*CLIMATE))
            self.publish("Kenya story")
            hooks = list(
                Delivery.objects.filter(endpoint__url__contains="/hook/").values_list(
                    "id", flat=True
                )
            )
            self.assertEqual(len(hooks), READERS)
            stories = {d.id: d.alert.story.headline for d in Delivery.objects.all() if d.alert}
            valid = 0

            def attempt(behaviour: Behaviour, expected: int) -> list[Seen]:
                """Run the worker once with every receiver path answering so; check what came."""
                nonlocal valid
                receiver.behaviour = {"hook": behaviour, "gone": behaviour}
                deliver_due()
                seen = receiver.take()
                self.assertEqual(len(seen), expected, behaviour)
                endpoints = {e.url.split("/", 3)[3]: e for e in WebhookEndpoint.objects.all()}
                for request in seen:
                    # Verified when it arrived: a signature is only good for 5 minutes.
                    endpoint = endpoints[request.path.lstrip("/")]
                    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
                    delivery_id = int(request.headers["webhook-id"].removeprefix("msg_delivery_"))
                    headline = payload["data"]["stories"][0]["headline"]
                    self.assertEqual(headline, stories[delivery_id])
                    valid += 1
                return seen

            def wait_then_retry(at_least: dt.timedelta, at_most: dt.timedelta) -> None:
                """Each delivery waits within these bounds; not retried before its time."""
                shortest, longest = self.waits(hooks)
                self.assertGreaterEqual(shortest, at_least)
                self.assertLessEqual(longest, at_most)
                clock.shift(shortest - dt.timedelta(seconds=1))
                attempt((200, None), 0)
                clock.shift(longest - shortest + dt.timedelta(seconds=1))

            def backoff(step: int) -> tuple[dt.timedelta, dt.timedelta]:
                return BACKOFF[step] * 0.8, BACKOFF[step] * 1.2

            attempt((500, None), READERS + 1)
            # A second alert for the 410 endpoint, pending while its first one waits to retry.
            self.publish("Climate story", topics=(CLIMATE,))
            stories.update(
                {d.id: d.alert.story.headline for d in Delivery.objects.all() if d.alert}
            )
            (gone_request,) = attempt((410, None), 1)
            self.assertTrue(gone_request.path.startswith("/gone/"))
            wait_then_retry(*backoff(0))
            attempt((503, "600"), READERS)
            wait_then_retry(dt.timedelta(seconds=600), dt.timedelta(seconds=660))
            # An HTTP-date has whole seconds: the wait asked for is to that second.
            asked = (timezone.now() + dt.timedelta(hours=3)).replace(microsecond=0)
            wait = asked - timezone.now()
            attempt((429, http_date(asked.timestamp())), READERS)
            wait_then_retry(wait, wait * 1.1)
            attempt((429, None), READERS)
            wait_then_retry(*backoff(3))
            with self.settings(WEBHOOK_DEADLINE=HANG_DEADLINE):
                hang_started = time.monotonic()
                attempt("hang", READERS)
                self.assertLess(time.monotonic() - hang_started, HANG_DEADLINE + 2)
            receiver.release.set()
            errors = set(Delivery.objects.filter(id__in=hooks).values_list("last_error", flat=True))
            self.assertTrue(all(f"within {HANG_DEADLINE:g} s" in e for e in errors), errors)
            wait_then_retry(*backoff(4))
            attempt("reset", READERS)
            errors = set(Delivery.objects.filter(id__in=hooks).values_list("last_error", flat=True))
            self.assertTrue(all("reset" in e for e in errors), errors)
            wait_then_retry(*backoff(5))
            attempt((200, None), READERS)
        elapsed = time.monotonic() - started

        deliveries = Delivery.objects.filter(id__in=hooks)
        self.assertEqual(
            {(d.state, d.attempts) for d in deliveries}, {(Delivery.State.SENT, len(BACKOFF) + 1)}
        )
        # Each reader's endpoint got one delivery: every attempt at it carried the same id.
        ids: dict[str, list[str]] = {}
        for request in receiver.seen:
            if request.path.startswith("/hook/"):
                ids.setdefault(request.path, []).append(request.headers["webhook-id"])
        self.assertEqual(len(ids), READERS)
        for seen in ids.values():
            self.assertEqual((len(seen), len(set(seen))), (len(BACKOFF) + 1, 1))
        # The 410: dead, the endpoint disabled with its reason, its other delivery never posted.
        gone_endpoint = WebhookEndpoint.objects.get(url__contains="/gone/")
        self.assertFalse(gone_endpoint.enabled)
        self.assertIn("410", gone_endpoint.disabled_reason)
        gone_deliveries = Delivery.objects.filter(endpoint=gone_endpoint)
        self.assertEqual({d.state for d in gone_deliveries}, {Delivery.State.DEAD})
        self.assertEqual(
            sorted(d.last_error for d in gone_deliveries),
            ["the endpoint answered 410 Gone", "the webhook endpoint is disabled"],
        )
        self.assertEqual(sum(r.path.startswith("/gone/") for r in receiver.seen), 2)
        sent = deliveries.filter(state=Delivery.State.SENT).count()
        print(
            f"\nwebhook faults: {sent}/{READERS} delivered after recovery in {len(BACKOFF) + 1} "
            f"attempts each; {valid} signatures valid; ids stable; 410 endpoint disabled "
            f"({elapsed:.1f} s)"
        )

    def test_retry_after_cannot_park_a_delivery_nor_hasten_it(self) -> None:
        answers: dict[str, Behaviour] = {
            "huge": (503, "9" * 60_000),
            "far": (429, "Fri, 31 Dec 9999 23:59:59 GMT"),
            "negative": (429, "-5"),
            "garbage": (503, "soon, please"),
            "zero": (503, "0"),
            "past": (503, http_date((T0 - dt.timedelta(days=1)).timestamp())),
            # Past what the HTTP client reads of a header block: not an answer at all.
            "oversize": (503, "9" * 200_000),
        }
        self.receiver.behaviour = answers
        with time_machine.travel(T0, tick=False), self.receiver.running() as base:
            for name in answers:
                self.reader(name, f"{base}/{name}/0")
            self.publish("Kenya story")
            deliver_due()
        self.assertEqual(len(self.receiver.seen), len(answers))
        waits = {
            d.endpoint.url.split("/")[3]: (d.attempts, d.next_attempt_at - T0, d.last_error)
            for d in Delivery.objects.select_related("endpoint")
            if d.endpoint is not None
        }
        first = (BACKOFF[0] * 0.8, BACKOFF[0] * 1.2)
        expected = {
            "huge": (RETRY_AFTER_LIMIT, RETRY_AFTER_LIMIT * 1.1),
            "far": (RETRY_AFTER_LIMIT, RETRY_AFTER_LIMIT * 1.1),
            "negative": first,
            "garbage": first,
            "zero": first,
            "past": first,
            "oversize": first,
        }
        for name, (low, high) in expected.items():
            attempts, wait, error = waits[name]
            self.assertEqual(attempts, 1, name)
            self.assertTrue(low <= wait <= high, f"{name}: waits {wait} ({error})")
        self.assertIn("cannot reach", waits["oversize"][2])
        self.assertLess(len(waits["huge"][2]), 120, "the error quotes the header, cut short")
        self.assertFalse(WebhookEndpoint.objects.filter(enabled=False).exists())

    def test_a_receiver_always_asking_for_a_second_is_dead_lettered_on_schedule(self) -> None:
        self.receiver.behaviour = {"hook": (503, "1")}
        with time_machine.travel(T0, tick=False) as clock, self.receiver.running() as base:
            self.reader("alice-hooked", f"{base}/hook/0")
            self.publish("Kenya story")
            deliver_due()
            for step in range(len(BACKOFF)):
                delivery = Delivery.objects.get()
                wait = delivery.next_attempt_at - timezone.now()
                self.assertGreaterEqual(wait, BACKOFF[step] * 0.8, "not hastened")
                clock.shift(wait)
                deliver_due()
        delivery = Delivery.objects.get()
        self.assertEqual((delivery.state, delivery.attempts), (Delivery.State.DEAD, 7))
        self.assertEqual(len(self.receiver.seen), len(BACKOFF) + 1)


class RetryAfterTests(SimpleTestCase):
    def test_seconds_and_the_three_http_date_forms(self) -> None:
        three_hours = dt.timedelta(hours=3)
        for value, wait in [
            ("120", dt.timedelta(seconds=120)),
            (" 120 ", dt.timedelta(seconds=120)),
            ("0", dt.timedelta(0)),
            ("Tue, 24 Nov 2026 12:00:00 GMT", three_hours),
            ("Tuesday, 24-Nov-26 12:00:00 GMT", three_hours),
            ("Tue Nov 24 12:00:00 2026", three_hours),
            ("Mon, 23 Nov 2026 09:00:00 GMT", dt.timedelta(0)),  # in the past: now
        ]:
            with self.subTest(value):
                self.assertEqual(retry_after(value, T0), wait)

    def test_garbage_is_no_answer(self) -> None:
        for value in [
            "",
            "soon",
            "-5",
            "+5",
            "1.5",
            "1e3",
            "0x10",
            "\u0661\u0662\u0660",  # Arabic-Indic digits: str.isdigit() says yes
            "120, 60",  # two headers, joined
            "Tue, 31 Feb 2026 12:00:00 GMT",
            "Tue, 24 Nov 2026 12:00:00 GMT; and then some",
            "Tue, 24 Nov 2026 12:00:00 GMT" * 1000,
            "x" * 100_000,
        ]:
            with self.subTest(value[:40]):
                self.assertIsNone(retry_after(value, T0))

    def test_huge_waits_are_cut_to_the_limit_by_delivery_error(self) -> None:
        for value in ["9" * 10, "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"]:
            with self.subTest(value[:40]):
                wait = retry_after(value, T0)
                self.assertIsNotNone(wait)
                self.assertEqual(
                    DeliveryError("x", retry_after=wait).retry_after, RETRY_AFTER_LIMIT
                )
        self.assertEqual(
            DeliveryError("x", retry_after=dt.timedelta(seconds=-5)).retry_after, dt.timedelta(0)
        )
        self.assertIsNone(DeliveryError("x").retry_after)
