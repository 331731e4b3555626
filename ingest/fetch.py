"""The only outbound HTTP in tidings: fetch a page or feed without being turned against the
network it runs in (SSRF).

Each URL, and each redirect, is checked: http or https only; the host is resolved once, every
address it resolves to must be public, and the connection goes to that address (the Host header
and TLS name stay the original host), so a second DNS answer cannot point us elsewhere. Bodies
are capped on decoded bytes, so a gzip bomb stops at the cap. Every refusal is a FetchError
naming the rule or limit.
"""

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

MiB = 1024 * 1024
LIMITS = {"html": 2 * MiB, "feed": 5 * MiB}
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
TOTAL_SECONDS = 30.0
USER_AGENT = "tidings/0.1 (+https://github.com/tidings; news ingest)"
# Not private in the ipaddress module's sense, but never a news site.
EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fd00:ec2::/32"),  # cloud metadata over IPv6
]

Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [{rule}]")
        self.rule = rule


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str
    encoding: str | None
    etag: str | None
    last_modified: str | None


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError("dns", f"cannot resolve {host}: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: str) -> str | None:
    """Why this address must not be fetched from, or None when it is a public address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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


def _allowed(host: str, address: str, allow: list[str]) -> bool:
    ip = ipaddress.ip_address(address)
    for entry in allow:
        if entry == host:
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_url(url: str, resolver: Resolver, allow: list[str]) -> tuple[str, str, int]:
    """(host, address to connect to, port) for a URL we may fetch, else FetchError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("scheme", f"only http and https URLs are fetched, not {parts.scheme!r}")
    if not parts.hostname:
        raise FetchError("url", f"no host in {url!r}")
    if parts.username or parts.password:
        raise FetchError("url", "URLs with credentials are not fetched")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("url", f"bad port in {url!r}") from None
    addresses = resolver(host, port)
    if not addresses:
        raise FetchError("dns", f"{host} has no addresses")
    for address in addresses:
        problem = address_problem(address)
        if problem and not _allowed(host, address, allow):
            raise FetchError("address", f"{host} resolves to {address}, a {problem} address")
    return host, addresses[0], port


def fetch(
    url: str,
    *,
    kind: str = "html",
    resolver: Resolver = system_resolver,
    allow: list[str] | None = None,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET a URL safely. `headers` may carry If-None-Match / If-Modified-Since; a 304 comes back
    as a Fetched with status 304 and no content."""
    limit = LIMITS[kind]
    allow = allow if allow is not None else _settings_allow_list()
    deadline = time.monotonic() + TOTAL_SECONDS
    with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            host, address, port = check_url(url, resolver, allow)
            parts = urlsplit(url)
            netloc = f"[{address}]" if ":" in address else address
            pinned = urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))
            request = client.build_request(
                "GET",
                pinned,
                headers={
                    "Host": parts.netloc.rsplit("@", 1)[-1],
                    "User-Agent": USER_AGENT,
                    "Accept-Encoding": "gzip, deflate",
                    **(headers or {}),
                },
                extensions={"sni_hostname": host},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchError("timeout", f"{host} did not answer in time") from None
            except httpx.HTTPError as exc:
                raise FetchError("connection", f"cannot fetch {url}: {exc}") from None
            try:
                if response.status_code == 304:
                    return _fetched(url, response, b"")
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("redirect", f"{url} redirects without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status_code >= 400:
                    raise FetchError("status", f"{url} answered HTTP {response.status_code}")
                return _fetched(url, response, _read_capped(response, limit, kind, deadline))
            finally:
                response.close()
    raise FetchError("redirects", f"more than {MAX_REDIRECTS} redirects from the original URL")


def _read_capped(response: httpx.Response, limit: int, kind: str, deadline: float) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    "size", f"the {kind} response exceeds the {limit // MiB} MiB limit (decoded)"
                )
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"the download took longer than {TOTAL_SECONDS:.0f} s")
            chunks.append(chunk)
    except httpx.DecodingError:
        raise FetchError("encoding", "the response's compression is corrupt") from None
    except httpx.TimeoutException:
        raise FetchError("timeout", "the server stopped sending") from None
    return b"".join(chunks)


def _fetched(url: str, response: httpx.Response, content: bytes) -> Fetched:
    content_type = response.headers.get("content-type", "")
    return Fetched(
        url=url,
        status=response.status_code,
        content=content,
        content_type=content_type.split(";")[0].strip().lower(),
        encoding=response.charset_encoding,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _settings_allow_list() -> list[str]:
    from django.conf import settings

    return list(getattr(settings, "INGEST_FETCH_ALLOW", []))
