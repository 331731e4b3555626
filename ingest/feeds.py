"""RSS/Atom bytes → entries. Pure: feedparser is always given bytes we already have, never a URL.

Before feedparser sees a feed, defusedxml reads it with entity declarations and external
references forbidden, so a billion-laughs or XXE feed is refused with its reason rather than
expanded. Malformed but harmless feeds still go to feedparser, which is lenient.
"""

import html
import io
import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# An entry whose own content is at least this long is the whole story; shorter ones are teasers
# and the linked page is fetched instead.
FULL_CONTENT_MIN_CHARS = 600
_TAGS = re.compile(r"<[^>]+>")


class FeedError(ValueError):
    pass


@dataclass
class FeedEntry:
    guid: str | None
    link: str | None
    title: str | None
    published: str | None
    author: str | None
    summary: str | None
    content: str | None  # HTML, already sanitised by feedparser

    @property
    def has_full_content(self) -> bool:
        return bool(self.content) and len(plain_text(self.content or "")) >= FULL_CONTENT_MIN_CHARS


@dataclass
class Feed:
    title: str | None
    link: str | None
    entries: list[FeedEntry]


def plain_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def check_xml_safety(data: bytes) -> None:
    try:
        fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(
            f"refused: the feed declares XML entities or external references ({type(exc).__name__})"
        ) from None
    except ParseError:
        pass  # broken XML is feedparser's business; only dangerous XML stops here


def parse_feed(data: bytes) -> Feed:
    check_xml_safety(data)
    # A BytesIO, not bytes: feedparser opens a bytes value that names a local file.
    parsed = feedparser.parse(io.BytesIO(data))
    if not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"no entries in this feed{f' ({reason})' if reason else ''}")
    entries = []
    for item in parsed.entries:
        contents = [c.get("value", "") for c in item.get("content", []) if c.get("value")]
        entries.append(
            FeedEntry(
                guid=item.get("id") or item.get("link"),
                link=item.get("link"),
                title=item.get("title"),
                published=item.get("published") or item.get("updated"),
                author=item.get("author"),
                summary=item.get("summary"),
                content=max(contents, key=len) if contents else None,
            )
        )
    return Feed(parsed.feed.get("title"), parsed.feed.get("link"), entries)
