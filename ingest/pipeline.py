"""The ingest recipe: read → decode → parse → dedupe → save. Each step is a named function."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.decode import NotTextError, decode_bytes
from ingest.extract import ExtractionError, extract_html
from ingest.feeds import Feed, FeedEntry, FeedError, paragraphs_text, parse_feed
from ingest.fetch import LIMITS as FETCH_LIMITS
from ingest.fetch import MiB
from ingest.textparse import ParsedStory, parse_text

LIMITS = {"text": 5 * MiB, "html": FETCH_LIMITS["html"], "feed": FETCH_LIMITS["feed"]}
FORMATS = ("auto", "text", "html", "feed")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype html|html|head|body)\b", re.I | re.S)
# Prolog, comments, processing instructions and a DOCTYPE (with an internal subset: that is
# where hostile entities live, and they must reach the feed reader's checks) may come first.
_FEED_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*|<\?[^>]*>\s*)*"
    rb"<(?:rss|feed|rdf:RDF)\b",
    re.I | re.S,
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
    """`fmt` "auto" means not yet sniffed: only the largest limit applies so far."""
    limit = LIMITS.get(fmt, max(LIMITS.values()))
    if size > limit:
        kind = fmt if fmt in LIMITS else "any"
        raise IngestError(
            f"input is {size / MiB:.1f} MiB, over the {limit // MiB} MiB limit for {kind} inputs"
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
        raise IngestError("this is a feed: read it with parse_feed_bytes, one story per entry")
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


def parse_feed_bytes(
    data: bytes, fetch_page: Callable[[str], bytes] | None = None, *, max_entries: int = 200
) -> list[Parsed]:
    """One Parsed per entry (the first `max_entries`): its own full content, else its linked
    page, else its summary."""
    check_size(len(data), "feed")
    try:
        feed = parse_feed(data)
    except FeedError as exc:
        raise IngestError(str(exc)) from None
    return [parse_entry(entry, feed, fetch_page) for entry in feed.entries[:max_entries]]


def parse_entry(
    entry: FeedEntry, feed: Feed, fetch_page: Callable[[str], bytes] | None = None
) -> Parsed:
    story: ParsedStory | None = None
    fmt, warning = "feed", None
    if entry.has_full_content:
        title = html.escape(entry.title or "")
        page = f"<html><body><article><h1>{title}</h1>{entry.content}</article></body></html>"
        story = extract_html(page, url=entry.link)
    elif entry.link and fetch_page is not None:
        try:
            story = parse_bytes(fetch_page(entry.link), fmt="html", url=entry.link).story
            fmt = "feed+page"
        except IngestError as exc:
            warning = f"linked page not used: {exc}"
    if story is None:
        story = parse_text(paragraphs_text(entry.summary or entry.content or ""))
        story.headline = None  # a summary's first line is not a headline; the entry title is
    story.headline = entry.title or story.headline
    story.url = story.canonical_url = entry.link or story.canonical_url
    story.published_at = entry.published or story.published_at
    story.byline = story.byline or entry.author
    story.site_name = story.site_name or feed.title
    story.guid = entry.guid
    story.topic_hints = list(dict.fromkeys([*story.topic_hints, *entry.categories]))
    if warning:
        story.warnings.append(warning)
    return Parsed(story, fmt, "utf-8")
