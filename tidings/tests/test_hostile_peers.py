"""Hostile peers on loopback: a receiver or feed server that drips, stalls, answers with a gzip
bomb or cannot be resolved must cost one delivery its deadline and nothing more."""

import gzip
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import override_settings

from accounts.actions import ensure_user
from alerts.actions import deliver_due, fan_out, follow_topic
from alerts.models import Delivery, Event, WebhookEndpoint
from ingest.fetch import FetchError, fetch
from tidings.test import PASSWORD, BaseTestCase, Receiver
from topics.actions import ensure_topic
from topics.models import Topic

DEADLINE = 2  # seconds: the tests shorten the 10 s (webhooks) and 30 s (fetches) defaults
BOMB = gzip.compress(b"\0" * (256 * 1024 * 1024))  # 256 MiB of zeros in about 250 KiB


def _drip(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 100:
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def _stall(conn: socket.socket) -> None:
    time.sleep(DEADLINE * 4)


def _bomb(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(BOMB)}\r\n\r\n".encode()
        + BOMB
    )


def _rss() -> int:
    """This process's resident memory now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def hostile(behaviour: str) -> Iterator[str]:
    """A raw TCP server on loopback that reads the request and then misbehaves; stops itself."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    act = {"drip": _drip, "stall": _stall, "bomb": _bomb}[behaviour]

    def serve_one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(DEADLINE * 4)
            try:
                conn.recv(65536)
                act(conn)
            except OSError:
                pass  # the client gave up: what it should do

    def serve() -> None:
        started = time.monotonic()
        while not stop.is_set() and time.monotonic() - started < 60:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        server.close()


@override_settings(
    WEBHOOK_ALLOW=["127.0.0.1/32"], WEBHOOK_DEADLINE=DEADLINE, INGEST_FETCH_DEADLINE=DEADLINE
)
class HostilePeerTests(BaseTestCase):
    def test_a_feed_server_dripping_headers_is_cut_off_at_the_deadline(self) -> None:
        for behaviour in ("drip", "stall"):
            with self.subTest(behaviour), hostile(behaviour) as base:
                started = time.monotonic()
                with self.assertRaisesMessage(FetchError, f"within {DEADLINE} s"):
                    fetch(f"{base}/feed", kind="feed", allow=["127.0.0.1/32"])
                elapsed = time.monotonic() - started
                self.assertLess(elapsed, DEADLINE + 1)
                print(f"\nfetch from a {behaviour} server ended after {elapsed:.2f} s")

    def test_hostile_receivers_cost_their_own_deliveries_only(self) -> None:
        kenya = ensure_topic("Kenya", Topic.Kind.PLACE)
        good = Receiver()
        with (
            hostile("drip") as drip,
            hostile("stall") as stall,
            hostile("bomb") as bomb,
            good.running() as fine,
        ):
            urls = {
                "drip": f"{drip}/hook",
                "stall": f"{stall}/hook",
                "bomb": f"{bomb}/hook",
                # Resolved when it was registered; the lookup fails now.
                "dns": "http://receiver.invalid/hook",
                "good": f"{fine}/hook",
            }
            for name, url in urls.items():
                reader = ensure_user(f"reader-{name}", PASSWORD, email=f"{name}@example.com")
                reader.email_alerts = False
                reader.save()
                follow_topic(reader, kenya)
                WebhookEndpoint.objects.create(reader=reader, url=url)
            story = self.make_story("Kenya story", topics=(("Kenya", Topic.Kind.PLACE),))
            fan_out(Event.objects.get(story=story).id)
            rss_before = _rss()
            tracemalloc.start()
            started = time.monotonic()
            sent = deliver_due()
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            grew = _rss() - rss_before
        print(
            f"\n5 receivers (drip, stall, gzip bomb, failing DNS, good): {sent} sent in "
            f"{elapsed:.2f} s, Python peak {peak / 2**20:.1f} MiB while delivering, process "
            f"{_rss() / 2**20:.0f} MiB (+{grew / 2**20:.1f} MiB)"
        )
        # The test process holds the whole suite (the spaCy model among it); what the
        # deliveries cost on top is what a worker pays.
        self.assertLess(grew, 64 * 2**20)
        self.assertEqual(sent, 2, "the good receiver and the bomb (a 200 is an answer)")
        self.assertEqual(len(good.requests), 1, "the good receiver got its alert")
        self.assertLess(elapsed, DEADLINE * 2.5, "hostile posts ran side by side, each bounded")
        self.assertLess(peak, 50 * 2**20, "the bomb was never decompressed")
        states = {
            d.endpoint.url.split("/")[2]: (d.state, d.last_error)
            for d in Delivery.objects.select_related("endpoint")
            if d.endpoint is not None
        }
        self.assertEqual(states[urls["good"].split("/")[2]][0], Delivery.State.SENT)
        for name in ("drip", "stall", "dns"):
            state, error = states[urls[name].split("/")[2]]
            self.assertEqual(state, Delivery.State.RETRYING, f"{name}: {error}")
        self.assertIn(f"within {DEADLINE} s", states[urls["drip"].split("/")[2]][1])
        self.assertIn("cannot resolve", states["receiver.invalid"][1])
        # A bomb's 200 is an answer: sent, without reading what it sent back.
        self.assertEqual(states[urls["bomb"].split("/")[2]][0], Delivery.State.SENT)
        self.assertFalse(
            WebhookEndpoint.objects.filter(enabled=False).exists(),
            "temporary failures disable nothing",
        )


@override_settings(WEBHOOK_ALLOW=["127.0.0.1/32"], WEBHOOKS_PER_READER=3)
class WebhookLimitTests(BaseTestCase):
    def test_endpoints_per_reader_are_capped_with_a_message(self) -> None:
        self.client.force_login(self.alice)
        for number in range(3):
            response = self.client.post(
                "/alerts/webhooks/", {"url": f"http://127.0.0.1:9/hook-{number}"}
            )
            self.assertEqual(response.status_code, 302)
        response = self.client.post("/alerts/webhooks/", {"url": "http://127.0.0.1:9/hook-4"})
        self.assertContains(response, "You have 3 webhook endpoints, the most a reader may have")
        self.assertEqual(WebhookEndpoint.objects.filter(reader=self.alice).count(), 3)
