"""The only fetching of pages and feeds in tidings, on top of tidings.safehttp (SSRF rules).

Each redirect is checked like the first URL; bodies are capped on decoded bytes, so a gzip bomb
stops at the cap. Every refusal is a FetchError naming the rule or limit.
"""

import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from tidings.safehttp import Resolver, deadline_client, pinned_request, system_resolver
from tidings.safehttp import SafeHTTPError as FetchError
from tidings.safehttp import address_problem as address_problem

MiB = 1024 * 1024
LIMITS = {"html": 2 * MiB, "feed": 5 * MiB, "image": 10 * MiB}
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str
    encoding: str | None
    etag: str | None
    last_modified: str | None


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
    seconds = _settings_deadline()
    with deadline_client(seconds, transport) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            request = pinned_request(
                client,
                "GET",
                url,
                resolver=resolver,
                allow=allow,
                headers={"Accept-Encoding": "gzip, deflate", **(headers or {})},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchError("timeout", f"{url} did not answer within {seconds:g} s") from None
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
                body = _read_capped(response, limit, kind, seconds)
                return _fetched(url, response, body)
            finally:
                response.close()
    raise FetchError("redirects", f"more than {MAX_REDIRECTS} redirects from the original URL")


def _decoder(response: httpx.Response) -> Any:
    """A zlib decompressor for the response's one content coding, or None for identity.
    Stacked codings ("gzip, gzip") are refused: a few hundred bytes of them make gigabytes."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise FetchError("encoding", f"more than one content coding ({', '.join(codings)})")
    if codings[0] in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if codings[0] == "deflate":
        return zlib.decompressobj()
    raise FetchError("encoding", f"the response's content coding {codings[0]!r} is not supported")


def _read_capped(response: httpx.Response, limit: int, kind: str, seconds: float) -> bytes:
    """The body, decompressed here a bounded step at a time: no chunk may expand past what the
    cap leaves, so a compression bomb stops at the cap instead of in memory."""
    decoder = _decoder(response)
    chunks, size = [], 0

    def keep(data: bytes) -> None:
        nonlocal size
        size += len(data)
        if size > limit:
            raise FetchError(
                "size", f"the {kind} response exceeds the {limit // MiB} MiB limit (decoded)"
            )
        chunks.append(data)

    try:
        for raw in response.iter_raw():
            if decoder is None:
                keep(raw)
                continue
            data = raw
            while data:
                out = decoder.decompress(data, limit - size + 1)
                keep(out)
                if not out and decoder.unconsumed_tail == data:
                    break  # nothing consumed, nothing made: wait for more input
                data = decoder.unconsumed_tail
        if decoder is not None:
            keep(decoder.flush())
    except zlib.error:
        raise FetchError("encoding", "the response's compression is corrupt") from None
    except httpx.TimeoutException:
        raise FetchError("timeout", f"the download did not finish within {seconds:g} s") from None
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


def _settings_deadline() -> float:
    from django.conf import settings

    return float(getattr(settings, "INGEST_FETCH_DEADLINE", 30))


def _settings_allow_list() -> list[str]:
    from django.conf import settings

    return list(getattr(settings, "INGEST_FETCH_ALLOW", []))
