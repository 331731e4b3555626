"""The ingest recipe: read → decode → parse → dedupe → save. Each step is a named function."""

import re
from dataclasses import dataclass

from ingest.decode import NotTextError, decode_bytes
from ingest.extract import ExtractionError, extract_html
from ingest.textparse import ParsedStory, parse_text

MiB = 1024 * 1024
LIMITS = {"text": 5 * MiB, "html": 2 * MiB, "feed": 5 * MiB}
FORMATS = ("auto", "text", "html", "feed")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype html|html|head|body)\b", re.I | re.S)
_FEED_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.I | re.S
)
_HTML_TAGS = re.compile(rb"<(?:p|div|article|h1|br)\b", re.I)


class IngestError(ValueError):
    """One input could not be ingested; the message says which rule or limit refused it."""


@dataclass
class Parsed:
    story: ParsedStory
    format: str
    encoding: str


def sniff_format(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _FEED_START.match(head):
        return "feed"
    if _HTML_START.match(head) or len(_HTML_TAGS.findall(head)) >= 2:
        return "html"
    return "text"


def check_size(size: int, fmt: str) -> None:
    limit = LIMITS.get(fmt, max(LIMITS.values()))
    if size > limit:
        raise IngestError(
            f"input is {size / MiB:.1f} MiB, over the {limit // MiB} MiB limit for {fmt} inputs"
        )


def parse_bytes(data: bytes, *, fmt: str = "auto", url: str | None = None,
                declared_encoding: str | None = None) -> Parsed:  # fmt: skip
    if not data.strip():
        raise IngestError("input is empty")
    actual = sniff_format(data) if fmt == "auto" else fmt
    check_size(len(data), actual)
    try:
        text, encoding = decode_bytes(data, declared_encoding)
    except NotTextError as exc:
        raise IngestError(str(exc)) from None
    if actual == "feed":
        raise IngestError("feeds are ingested with the feed reader, one story per entry")
    if actual == "html":
        try:
            story = extract_html(text, url=url)
        except ExtractionError as exc:
            raise IngestError(str(exc)) from None
    else:
        story = parse_text(text)
    if not story.body:
        raise IngestError(f"no story text found in this {actual} input")
    return Parsed(story, actual, encoding)
