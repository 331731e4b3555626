"""RSS/Atom bytes → entries. Pure: feedparser is always given bytes we already have, never a URL.

Before feedparser sees a feed, defusedxml reads it with entity declarations and external
references forbidden, so a billion-laughs or XXE feed is refused with its reason rather than
expanded. Malformed but harmless feeds still go to feedparser, which is lenient.
"""

import calendar
import datetime as dt
import html
import io
import re
import time
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# An entry whose own content is at least this long is the whole story; shorter ones are teasers
# and the linked page is fetched instead.
FULL_CONTENT_MIN_CHARS = 600
_TAGS = re.compile(r"<[^>]+>")
# Where one paragraph ends in an HTML fragment: closing blocks, line breaks, list items.
_BREAKS = re.compile(
    r"</(?:p|div|li|h[1-6]|blockquote|pre|tr)\s*>|<br\s*/?>|<(?:p|li)\b[^>]*>", re.I
)
# RSS 2.0's <author> is "email (Name)"; some feeds write "Name <email>".
_EMAIL_NAME = re.compile(r"^\s*\S+@\S+\s*\((?P<name>[^)]+)\)\s*$")


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
    categories: list[str] = field(default_factory=list)

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


def paragraphs_text(fragment: str) -> str:
    """An HTML fragment as text with a blank line between its paragraphs."""
    blocks = _BREAKS.sub("\n\n", fragment).split("\n\n")
    return "\n\n".join(text for text in map(plain_text, blocks) if text)


def author_name(item: dict[str, Any]) -> str | None:
    """The person's name from an entry's author; an address alone is not a byline."""
    raw = (item.get("author") or "").strip()
    found = _EMAIL_NAME.match(raw)
    if found:
        name = found.group("name")
    elif "@" in raw:  # "Name <address>" or an address alone; feedparser's own split mangles it
        name = parseaddr(raw)[0]
    else:
        name = (item.get("author_detail") or {}).get("name") or raw
    name = " ".join((name or "").split())
    if not name or "@" in name:
        return None
    return name


def iso_time(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as an ISO 8601 string."""
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).isoformat()


# What may stand before the XML declaration in feeds found in the wild; the parser refuses a
# declaration that is not first, and a refusal must not skip the entity check.
_LEADING = re.compile(rb"^(?:\xef\xbb\xbf)?(?:\s+|<!--.*?-->)*", re.S)


_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)["']""", re.I)
_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# No feed needs them, and expat cannot see them in every encoding (EUC-JP, Shift JIS, UTF-7):
# refused on the decoded text, whatever the encoding hid them in.
_ENTITY = re.compile(r"<!ENTITY", re.I)
# feedparser's time grows with the square of a tag's attributes: one tag of 400 KB took 23 s.
MAX_TAG_CHARS = 16_384
_LONG_TAG = re.compile(rf"<[^<>]{{{MAX_TAG_CHARS},}}")


def as_utf8(data: bytes) -> bytes:
    """The feed re-encoded as UTF-8 (declaration included), so that every later check reads
    what feedparser will read; FeedError for an encoding Python does not know."""
    encoding = "utf-8"
    for bom, name in _UTF16_BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
        head = _LEADING.sub(b"", data[:4096], count=1)
        found = _DECLARED.match(head)
        if found:
            encoding = found.group(1).decode("ascii")
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError as exc:
        raise FeedError(
            f"refused: the feed declares an unknown character encoding ({exc})"
        ) from None
    except UnicodeError as exc:  # a codec that cannot decode at all ("punycode", "idna")
        raise FeedError(
            f"refused: the feed's encoding {encoding!r} cannot be read ({exc})"
        ) from None
    text = re.sub(
        r"""^(\s*(?:<!--.*?-->\s*)*<\?xml[^>]*?encoding\s*=\s*)["'][\w.:-]+["']""",
        r'\1"utf-8"',
        text,
        count=1,
        flags=re.S | re.I,
    )
    if _ENTITY.search(text):
        raise FeedError("refused: the feed declares XML entities or external references")
    if _LONG_TAG.search(text):
        raise FeedError(f"refused: the feed has a tag longer than {MAX_TAG_CHARS:,} characters")
    return text.encode("utf-8")


def check_xml_safety(data: bytes) -> bytes:
    """The feed's bytes (as UTF-8) from its XML declaration on, once they are known to declare
    no entities and no external references; FeedError otherwise."""
    data = _LEADING.sub(b"", as_utf8(data), count=1)
    try:
        fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(
            f"refused: the feed declares XML entities or external references ({type(exc).__name__})"
        ) from None
    except LookupError as exc:
        raise FeedError(
            f"refused: the feed declares an unknown character encoding ({exc})"
        ) from None
    except (ParseError, ValueError):
        pass  # broken XML is feedparser's business; only dangerous XML stops here
    return data


def parse_feed(data: bytes) -> Feed:
    data = check_xml_safety(data)
    try:
        # A BytesIO, not bytes: feedparser opens a bytes value that names a local file.
        parsed = feedparser.parse(io.BytesIO(data))
    except Exception as exc:
        raise FeedError(f"the feed could not be read ({type(exc).__name__}: {exc})") from None
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
                published=iso_time(item.get("published_parsed") or item.get("updated_parsed"))
                or item.get("published")
                or item.get("updated"),
                author=author_name(item),
                summary=item.get("summary"),
                content=max(contents, key=len) if contents else None,
                categories=list(
                    dict.fromkeys(
                        " ".join(t.get("term", "").split())
                        for t in item.get("tags", [])
                        if t.get("term", "").strip()
                    )
                ),
            )
        )
    return Feed(parsed.feed.get("title"), parsed.feed.get("link"), entries)
