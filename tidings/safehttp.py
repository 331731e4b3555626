"""Outbound HTTP that cannot be turned against the network tidings runs in (SSRF).

Ingest fetches pages and feeds through it and webhooks are posted through it. Each URL is
checked: http or https only; the host is resolved once, every address must be public (or on the
allow list), and the connection goes to that address with the original Host header and TLS name,
so a second DNS answer cannot point us elsewhere. Every refusal names its rule.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
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


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SafeHTTPError("dns", f"cannot resolve {host}: {exc.strerror}") from None
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
        if problem and not _allowed(host, address, allow):
            raise SafeHTTPError("address", f"{host} resolves to {address}, a {problem} address")
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


def post(
    url: str,
    content: bytes,
    *,
    headers: dict[str, str] | None = None,
    resolver: Resolver = system_resolver,
    allow: list[str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST without following redirects (a webhook that moved must be re-registered); returns
    the status code."""
    if allow is None:
        from django.conf import settings

        allow = list(getattr(settings, "WEBHOOK_ALLOW", []))
    with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False) as client:
        request = pinned_request(
            client, "POST", url, resolver=resolver, allow=allow, headers=headers, content=content
        )
        try:
            response = client.send(request)
        except httpx.TimeoutException:
            raise SafeHTTPError("connection", f"{url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise SafeHTTPError("connection", f"cannot reach {url}: {exc}") from None
        return response.status_code
