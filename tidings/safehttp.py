"""Outbound HTTP that cannot be turned against the network tidings runs in (SSRF).

Ingest fetches pages and feeds through it and webhooks are posted through it. Each URL is
checked: http or https only; the host is resolved once, every address must be public (or on the
allow list), and the connection goes to that address with the original Host header and TLS name,
so a second DNS answer cannot point us elsewhere. Every refusal names its rule.
"""

import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
# What is read of a webhook's response: its status is the answer; the body is never needed.
WEBHOOK_BODY_BYTES = 4096
USER_AGENT = "tidings/0.1 (+https://github.com/tidings)"
# Not private in the ipaddress module's sense, but never a news site or a webhook receiver.
EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fd00:ec2::/32"),  # cloud metadata over IPv6
]

Resolver = Callable[[str, int], list[str]]


class SafeHTTPError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [{rule}]")
        self.rule = rule


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every operation ends by the deadline: a peer dripping a byte at a time
    resets a read timeout, but it cannot move this."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self.stream, self.deadline = stream, deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("the overall deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self.stream.start_tls(ssl_context, server_hostname, left), self.deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self.backend, self.deadline = httpcore.SyncBackend(), deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the overall deadline has passed")
        timeout = left if timeout is None else min(timeout, left)
        stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default verification context, made once: loading the CA bundle costs tens of
    milliseconds of CPU, more than a whole webhook post on a nearby receiver."""
    return httpx.create_ssl_context()


def deadline_client(seconds: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client whose requests, redirects included, all end within `seconds` from now,
    whatever the peer does. httpx itself only bounds each socket operation, so the bound lives in
    the connection pool's network backend. (A `transport` given by a test is used as it is.)"""
    if transport is None:
        real = httpx.HTTPTransport(verify=_tls())
        real._pool._network_backend = _DeadlineBackend(time.monotonic() + seconds)
        transport = real
    return httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False)


DNS_SECONDS = 5.0
_DNS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dns")


def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo, given DNS_SECONDS: it has no timeout of its own, and a slow name server
    would otherwise hold a request before its overall deadline even starts."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass  # a name, to look up
    lookup = _DNS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    # Polled in short sleeps, not future.result(timeout): a timed wait on a condition takes an
    # absolute deadline, which a shifted clock (libfaketime in CI) stretches into years.
    deadline, pause = time.monotonic() + DNS_SECONDS, 0.001
    while not lookup.done() and time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    if not lookup.done():
        lookup.cancel()
        message = f"cannot resolve {host}: no answer in {DNS_SECONDS:g} s"
        raise SafeHTTPError("dns", message)
    try:
        infos = lookup.result()
    except socket.gaierror as exc:
        raise SafeHTTPError("dns", f"cannot resolve {host}: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where a
    packet to it may end up."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if any(ip in net for net in NAT64):
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str) -> str | None:
    """Why this address must not be fetched from, or None when it is a public address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        how, inner = embedded
        problem = address_problem(str(inner))
        if problem is None or how == "IPv4-mapped":
            return problem
        return f"{how} address embedding {inner}, a {problem}"
    checks = [
        ("loopback", ip.is_loopback),
        ("link-local (cloud metadata lives here)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("carrier-grade NAT or special-purpose", any(ip in net for net in EXTRA_BLOCKED)),
    ]
    for name, hit in checks:
        if hit:
            return name
    return None if ip.is_global else "not globally routable"


def parse_allow_entry(entry: str) -> tuple[str, int | None]:
    """ "host", "host:port", "CIDR", "CIDR:port", "[IPv6 or CIDR]" or "[…]:port" → (target,
    port). A malformed entry ("[::1]:80x", "host:") is ("", None), which opens nothing: a typo
    must not open every port."""
    entry = entry.strip()
    if entry.startswith("["):
        inside, closed, rest = entry[1:].partition("]")
        if not closed or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return "", None
        return inside, int(rest[1:]) if rest else None
    if entry.count(":") == 1:
        target, _, port = entry.partition(":")
        return (target, int(port)) if port.isdigit() and target else ("", None)
    return entry, None


def allowed_by(host: str, address: str, port: int, allow: list[str]) -> bool:
    """An entry without a port opens every port of its host or range; with one, that port."""
    ip = ipaddress.ip_address(address)
    for entry in allow:
        target, only_port = parse_allow_entry(entry)
        if not target or (only_port is not None and only_port != port):
            continue
        if target == host:
            return True
        try:
            if ip in ipaddress.ip_network(target, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_url(url: str, resolver: Resolver, allow: list[str]) -> tuple[str, str, int]:
    """(host, address to connect to, port) for a URL we may fetch, else SafeHTTPError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise SafeHTTPError("scheme", f"only http and https URLs are fetched, not {parts.scheme!r}")
    if not parts.hostname:
        raise SafeHTTPError("url", f"no host in {url!r}")
    if parts.username or parts.password:
        raise SafeHTTPError("url", "URLs with credentials are not fetched")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SafeHTTPError("url", f"bad port in {url!r}") from None
    addresses = resolver(host, port)
    if not addresses:
        raise SafeHTTPError("dns", f"{host} has no addresses")
    for address in addresses:
        problem = address_problem(address)
        if problem and not allowed_by(host, address, port, allow):
            raise SafeHTTPError(
                "address", f"{host}:{port} resolves to {address}, a {problem} address"
            )
    return host, addresses[0], port


def pinned_request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    resolver: Resolver,
    allow: list[str],
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Request:
    """A request to the checked address of `url`, carrying the original host name."""
    host, address, port = check_url(url, resolver, allow)
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    return client.build_request(
        method,
        urlunsplit(parts._replace(netloc=f"{netloc}:{port}")),
        headers={
            "Host": parts.netloc.rsplit("@", 1)[-1],
            "User-Agent": USER_AGENT,
            **(headers or {}),
        },
        content=content,
        extensions={"sni_hostname": host},
    )


@dataclass(frozen=True)
class Answer:
    """What a webhook receiver said. `retry_after` is its Retry-After header as sent (None
    without one), unparsed: the peer wrote it, so whoever reads it must expect anything."""

    status: int
    retry_after: str | None = None


def post(
    url: str,
    content: bytes,
    *,
    headers: dict[str, str] | None = None,
    resolver: Resolver = system_resolver,
    allow: list[str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Answer:
    """POST without following redirects (a webhook that moved must be re-registered); returns
    the status and the Retry-After header."""
    from django.conf import settings

    if allow is None:
        allow = list(getattr(settings, "WEBHOOK_ALLOW", []))
    # Never decompressed: a receiver answering with a gzip bomb sends bytes we do not expand.
    headers = {**(headers or {}), "Accept-Encoding": "identity"}
    deadline = float(settings.WEBHOOK_DEADLINE)
    with deadline_client(deadline, transport) as client:
        request = pinned_request(
            client, "POST", url, resolver=resolver, allow=allow, headers=headers, content=content
        )
        try:
            response = client.send(request, stream=True)
            try:
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read >= WEBHOOK_BODY_BYTES:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            raise SafeHTTPError("timeout", f"{url} did not answer within {deadline:g} s") from None
        except httpx.HTTPError as exc:
            raise SafeHTTPError("connection", f"cannot reach {url}: {exc}") from None
        return Answer(response.status_code, response.headers.get("retry-after"))
