"""SSRF-safe fetching against a loopback server, with a resolver the tests control."""

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from django.test import SimpleTestCase

from ingest.fetch import Fetched, FetchError, Resolver, address_problem, fetch
from tidings.test import serving

PAGE = b"<html><body><h1>Hello</h1><p>A story.</p></body></html>"
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB


class Handler(BaseHTTPRequestHandler):
    seen_hosts: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Handler.seen_hosts.append(self.headers.get("Host", ""))
        routes = {
            "/page": (200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}, PAGE),
            "/to-page": (302, {"Location": "/page"}, b""),
            "/to-metadata": (302, {"Location": "http://metadata.example/latest/"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/big": (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * (3 * 1024 * 1024)),
            "/bomb": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, BOMB),
            "/bomb2": (
                200,
                {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
                gzip.compress(BOMB),
            ),
            "/zipped": (
                200,
                {"Content-Type": "text/html", "Content-Encoding": "gzip"},
                gzip.compress(PAGE),
            ),
            "/missing": (404, {}, b"not here"),
            "/to-port-9": (302, {"Location": "http://127.0.0.1:9/admin"}, b""),
        }
        status, headers, body = routes.get(self.path, (404, {}, b""))
        if self.path == "/page" and self.headers.get("If-None-Match") == '"v1"':
            status, body = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def loopback_server() -> Iterator[int]:
    """The routes above on a loopback port; yields the port."""
    with serving(Handler) as base:
        yield int(base.rsplit(":", 1)[1])


def resolver_for(table: dict[str, str], calls: list[str] | None = None) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise FetchError("dns", f"cannot resolve {host}")
        return [table[host]]

    return resolve


HOSTS = {"news.example": "127.0.0.1", "metadata.example": "169.254.169.254",
         "intranet.example": "10.1.2.3", "cgnat.example": "100.64.1.1",
         "mapped.example": "::ffff:127.0.0.1"}  # fmt: skip
LOOPBACK_ALLOWED = ["127.0.0.1/32"]


class FetchTests(SimpleTestCase):
    def get(self, path: str, port: int, **options: Any) -> Fetched:
        options.setdefault("allow", LOOPBACK_ALLOWED)
        return fetch(f"http://news.example:{port}{path}", resolver=resolver_for(HOSTS), **options)

    def test_fetches_through_the_resolved_address_with_the_original_host(self) -> None:
        calls: list[str] = []
        with loopback_server() as port:
            Handler.seen_hosts.clear()
            page = fetch(f"http://news.example:{port}/page",
                         resolver=resolver_for(HOSTS, calls), allow=LOOPBACK_ALLOWED)  # fmt: skip
        self.assertEqual(page.content, PAGE)
        self.assertEqual(
            (page.content_type, page.encoding, page.etag), ("text/html", "utf-8", '"v1"')
        )
        self.assertEqual(calls, ["news.example"], "resolved once: no second answer is asked for")
        self.assertEqual(Handler.seen_hosts, [f"news.example:{port}"])

    def test_conditional_get(self) -> None:
        with loopback_server() as port:
            page = self.get("/page", port, headers={"If-None-Match": '"v1"'})
        self.assertEqual((page.status, page.content), (304, b""))

    def test_redirects_are_followed_and_checked(self) -> None:
        with loopback_server() as port:
            self.assertTrue(self.get("/to-page", port).url.endswith("/page"))
            with self.assertRaisesMessage(FetchError, "169.254.169.254, a link-local"):
                self.get("/to-metadata", port)
            with self.assertRaisesMessage(FetchError, "more than 3 redirects"):
                self.get("/loop", port)

    def test_size_caps_on_decoded_bytes(self) -> None:
        with loopback_server() as port:
            with self.assertRaisesMessage(FetchError, "exceeds the 2 MiB limit"):
                self.get("/big", port)
            self.assertEqual(len(self.get("/big", port, kind="feed").content), 3 * 1024 * 1024 + 3)
            with self.assertRaisesMessage(FetchError, "[size]"):
                self.get("/bomb", port)

    def test_http_errors(self) -> None:
        with loopback_server() as port, self.assertRaisesMessage(FetchError, "HTTP 404"):
            self.get("/missing", port)

    def test_private_addresses_are_refused_before_connecting(self) -> None:
        cases = {
            "http://news.example/": "127.0.0.1, a loopback",
            "http://metadata.example/latest/meta-data/": "link-local",
            "http://intranet.example/": "10.1.2.3, a private",
            "http://cgnat.example/": "carrier-grade NAT",
            "http://mapped.example/": "loopback",
            "http://unknown.example/": "cannot resolve",
        }
        for url, message in cases.items():
            with self.subTest(url), self.assertRaisesMessage(FetchError, message):
                fetch(url, resolver=resolver_for(HOSTS), allow=[])

    def test_bad_urls(self) -> None:
        for url, message in {
            "file:///etc/passwd": "only http and https",
            "ftp://news.example/x": "only http and https",
            "http://user:secret@news.example/": "credentials",
            "http:///nohost": "no host",
        }.items():
            with self.subTest(url), self.assertRaisesMessage(FetchError, message):
                fetch(url, resolver=resolver_for(HOSTS), allow=LOOPBACK_ALLOWED)

    def test_the_allow_list_admits_chosen_private_hosts(self) -> None:
        with loopback_server() as port:
            page = fetch(f"http://news.example:{port}/page", resolver=resolver_for(HOSTS),
                         allow=["news.example"])  # fmt: skip
        self.assertEqual(page.status, 200)

    def test_address_classes(self) -> None:
        self.assertIsNone(address_problem("93.184.216.34"))
        self.assertIsNone(address_problem("2606:4700::1111"))
        for address in ("127.0.0.1", "::1", "10.0.0.1", "172.16.0.1", "192.168.1.1",
                        "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
                        "224.0.0.1", "fd00:ec2::254",
                        "::ffff:10.0.0.1", "fe80::1"):  # fmt: skip
            with self.subTest(address):
                self.assertIsNotNone(address_problem(address))


class AllowListTests(SimpleTestCase):
    def test_an_allow_entry_with_a_port_opens_that_port_only_redirects_included(self) -> None:
        with loopback_server() as port:
            url = f"http://127.0.0.1:{port}"
            for entry in (f"127.0.0.1:{port}", f"127.0.0.0/8:{port}", "127.0.0.1"):
                with self.subTest(entry):
                    self.assertEqual(fetch(f"{url}/page", allow=[entry]).content, PAGE)
            with self.assertRaisesMessage(FetchError, "127.0.0.1:9 resolves to 127.0.0.1"):
                fetch(f"{url}/to-port-9", allow=[f"127.0.0.1:{port}"])
            with self.assertRaisesMessage(FetchError, "a loopback address"):
                fetch("http://127.0.0.1:9/", allow=[f"127.0.0.1:{port}"])

    def test_ipv6_that_embeds_a_blocked_ipv4_address_is_refused(self) -> None:
        cases = {
            "2002:7f00:1::1": "6to4 address embedding 127.0.0.1, a loopback",
            "2002:a9fe:a9fe::": "6to4 address embedding 169.254.169.254, a link-local",
            "64:ff9b::a9fe:a9fe": "NAT64 address embedding 169.254.169.254, a link-local",
            "64:ff9b::a00:1": "NAT64 address embedding 10.0.0.1, a private",
            "::ffff:10.0.0.1": "private",
        }
        for address, problem in cases.items():
            with self.subTest(address):
                self.assertTrue(str(address_problem(address)).startswith(problem))
                with self.assertRaisesMessage(FetchError, problem):
                    fetch(
                        "http://sneaky.example/", resolver=resolver_for({"sneaky.example": address})
                    )
        self.assertIsNone(address_problem("2002:5db8:d822::1"), "6to4 of a public address")


class CompressionBombTests(SimpleTestCase):
    def test_bombs_stop_at_the_cap_without_expanding_in_memory(self) -> None:
        import tracemalloc

        with loopback_server() as port:
            base = f"http://127.0.0.1:{port}"
            self.assertEqual(fetch(f"{base}/zipped", allow=LOOPBACK_ALLOWED).content, PAGE)
            with self.assertRaisesMessage(FetchError, "more than one content coding"):
                fetch(f"{base}/bomb2", allow=LOOPBACK_ALLOWED)
            tracemalloc.start()
            with self.assertRaisesMessage(FetchError, "exceeds the 2 MiB limit"):
                fetch(f"{base}/bomb", allow=LOOPBACK_ALLOWED)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        self.assertLess(peak, 8 * 2**20, "decompressed a bounded step at a time")


class AllowEntryParsingTests(SimpleTestCase):
    def test_a_malformed_entry_opens_nothing(self) -> None:
        from tidings.safehttp import parse_allow_entry

        self.assertEqual(parse_allow_entry("[::1]:8080"), ("::1", 8080))
        self.assertEqual(parse_allow_entry("10.0.0.0/8:443"), ("10.0.0.0/8", 443))
        for typo in ("[127.0.0.1]:9001x", "[::1", "intranet:", ":80", "host:port"):
            with self.subTest(typo):
                self.assertEqual(parse_allow_entry(typo)[0], "")
        with loopback_server() as port, self.assertRaisesMessage(FetchError, "loopback"):
            fetch(f"http://127.0.0.1:{port}/page", allow=[f"[127.0.0.1]:{port}x"])


class SlowDnsTests(SimpleTestCase):
    def test_a_lookup_that_hangs_ends_within_its_time(self) -> None:
        import time
        from unittest import mock

        from tidings import safehttp

        # No name server on loopback can be made slow for the system resolver: a lookup that
        # takes a minute stands in for one.
        def stuck(*args: Any, **kwargs: Any) -> list[Any]:
            time.sleep(3)
            return []

        with (
            mock.patch.object(safehttp, "DNS_SECONDS", 0.5),
            mock.patch("socket.getaddrinfo", stuck),
        ):
            started = time.monotonic()
            with self.assertRaisesMessage(FetchError, "no answer in 0.5 s"):
                fetch("http://slow-dns.example/feed")
            self.assertLess(time.monotonic() - started, 2)


class ThrottleKeyTests(SimpleTestCase):
    def test_long_keys_fit_the_column(self) -> None:
        from accounts.actions import _stored_key

        long = "mail:" + "ΐ" * 300
        self.assertLessEqual(len(_stored_key(long)), 200)
        self.assertNotEqual(_stored_key(long), _stored_key(long + "x"))
        self.assertEqual(_stored_key("login:ip:1.2.3.4"), "login:ip:1.2.3.4")
