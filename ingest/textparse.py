"""Plain text copied from a news page → a structured story. Pure: no Django, no I/O.

The text usually holds, in some order: a headline and standfirst, a long agency photo caption
with a dateline and credit, a short display caption, a byline, the body, and the page's chrome.
Chrome lines are removed by the named rules in `ingest.chrome` and kept as data.
"""

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from ingest import chrome
from ingest.credits import BODY_DATELINE, find_credit, split_dateline

BYLINE = re.compile(
    r"^[Bb]y\s+(?P<byline>[A-ZÀ-Þ][\w.'’-]*(?:\s+(?:[A-ZÀ-Þ][\w.'’-]*|de|da|van|von|del|la|le|bin|al|"
    r"and|&|,)){0,10}?)(?:\s*(?:[,|–—-]|\bin\b)\s*[^.]{0,60})?$",
)
HEADLINE_MAX_WORDS = 25
STANDFIRST_MAX_WORDS = 60
DISPLAY_CAPTION_MAX_WORDS = 25
CAPTION_SEARCH_DEPTH = 5  # captions sit at the top, above the body
HARD_WRAP_MIN, HARD_WRAP_MAX = 50, 100


@dataclass
class Photo:
    url: str | None = None
    alt_text: str | None = None
    caption: str | None = None
    display_caption: str | None = None
    credit: str | None = None
    photographer: str | None = None
    agency: str | None = None


@dataclass
class Boilerplate:
    line: str
    rule: str


@dataclass
class ParsedStory:
    url: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    published_at: str | None = None
    headline: str | None = None
    standfirst: str | None = None
    byline: str | None = None
    dateline: str | None = None
    body: list[str] = field(default_factory=list)
    image: Photo = field(default_factory=Photo)
    copyright_holder: str | None = None
    copyright_year: int | None = None
    comments_enabled: bool | None = None
    alert_topic_hint: str | None = None
    topic_hints: list[str] = field(default_factory=list)
    boilerplate: list[Boilerplate] = field(default_factory=list)
    guid: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["copyright"] = {
            "holder": data.pop("copyright_holder"),
            "year": data.pop("copyright_year"),
        }
        return data


# Control and format characters copied text carries: NULs, BOMs, zero-width spaces, bidi marks.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\ufeff]"
)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text.replace("\u00a0", " "))


def parse_text(text: str) -> ParsedStory:
    story = ParsedStory()
    lines = [" ".join(line.split()) for line in normalise(text).split("\n")]
    kept = remove_chrome(lines, story)
    paragraphs = paragraphs_of(kept)
    paragraphs, byline_at = _take_byline(paragraphs, story)
    _take_top_matter(paragraphs, story, byline_at)
    fill_body_dateline(story)
    return story


def fill_body_dateline(story: ParsedStory) -> None:
    """Without a caption dateline, a "CITY, Country -" lead on the first paragraph is one."""
    if story.dateline is None and story.body:
        found = BODY_DATELINE.match(story.body[0])
        if found:
            story.dateline = found.group("dateline").strip()


def remove_chrome(lines: list[str], story: ParsedStory) -> list[str]:
    """Lines with chrome replaced by blanks (so paragraph breaks survive), facts recorded."""
    kept: list[str] = []
    in_list: chrome.ChromeRule | None = None
    for line in lines:
        if not line:
            kept.append("")
            continue
        found = chrome.match_line(line)
        if found is None and in_list is not None and chrome.is_list_item(line):
            if in_list.name == "follow_topics" and not chrome.LIST_ITEM_FILLER.match(line):
                story.topic_hints.append(line)
            story.boilerplate.append(Boilerplate(line, f"{in_list.name}_item"))
            kept.append("")
            continue
        in_list = None
        if found is None:
            kept.append(line)
            continue
        story.boilerplate.append(Boilerplate(line, found.rule.name))
        record_facts(found, story)
        if found.rule.starts_list:
            in_list = found.rule
        kept.append("")
    return kept


def record_facts(found: chrome.ChromeMatch, story: ParsedStory) -> None:
    groups = found.groups
    if "alert_topic" in groups and story.alert_topic_hint is None:
        story.alert_topic_hint = groups["alert_topic"].strip(" .")
    if "holder" in groups and story.copyright_holder is None:
        story.copyright_holder = groups["holder"].strip(" .,")
    if "year" in groups and story.copyright_year is None:
        story.copyright_year = int(groups["year"])
    if "comments_enabled" in found.rule.facts:
        # "Closed" is the stronger statement: a page may show a Comments heading and then say so.
        enabled = bool(found.rule.facts["comments_enabled"])
        story.comments_enabled = enabled if story.comments_enabled is not False else False


def paragraphs_of(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; a hard-wrapped paragraph's lines are joined."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    if _is_hard_wrapped(blocks):
        return [" ".join(block) for block in blocks]
    return [line for block in blocks for line in block]


def _is_hard_wrapped(blocks: list[list[str]]) -> bool:
    inner = [line for block in blocks for line in block[:-1]]
    # Without blank lines, copied text puts one paragraph on each line.
    if len(blocks) < 2 or len(inner) < 3:
        return False
    wrapped = sum(HARD_WRAP_MIN <= len(line) <= HARD_WRAP_MAX for line in inner)
    return wrapped >= 0.6 * len(inner) and max(map(len, inner)) <= HARD_WRAP_MAX


def _take_byline(paragraphs: list[str], story: ParsedStory) -> tuple[list[str], int | None]:
    """The paragraphs without the byline, and where it stood (top matter ends there)."""
    rest: list[str] = []
    at: int | None = None
    for index, paragraph in enumerate(paragraphs):
        found = BYLINE.match(paragraph) if index < CAPTION_SEARCH_DEPTH + 2 else None
        if found and story.byline is None and len(paragraph.split()) <= 14:
            story.byline = found.group("byline").strip(" ,")
            story.boilerplate.append(Boilerplate(paragraph, "byline"))
            at = len(rest)
        else:
            rest.append(paragraph)
    return rest, at


def _top_matter_end(paragraphs: list[str], byline_at: int | None) -> int:
    """Without a caption: how many paragraphs are headline and standfirst (0, 1 or 2).

    The byline, or a body dateline ("LISBON, Portugal - …"), marks where the body starts;
    failing both, only a headline-like first line is taken, so a lead paragraph stays body.
    """
    if len(paragraphs) <= 2 or not _looks_like_headline(paragraphs[0]):
        return 0
    if byline_at in (1, 2):
        return byline_at
    if len(paragraphs) > 3 and BODY_DATELINE.match(paragraphs[2]):
        return 2
    return 1


def _take_top_matter(paragraphs: list[str], story: ParsedStory, byline_at: int | None) -> None:
    """Find the caption near the top; what stands above it is headline and standfirst."""
    caption_at, found = None, None
    for i, paragraph in enumerate(paragraphs[: min(CAPTION_SEARCH_DEPTH, len(paragraphs) - 1)]):
        found = find_credit(paragraph)
        if found is not None:
            caption_at = i
            break
    above = paragraphs[:caption_at] if caption_at is not None else []
    below = paragraphs[caption_at + 1 :] if caption_at is not None else paragraphs
    if caption_at is not None and found is not None:
        caption_text, credit = found
        story.dateline, _ = split_dateline(caption_text)
        story.image.caption = paragraphs[caption_at]
        story.image.credit = credit.credit
        story.image.photographer = credit.photographer
        story.image.agency = credit.agency
        if below and len(below[0].split()) <= DISPLAY_CAPTION_MAX_WORDS and len(below) > 1:
            display = below.pop(0)
            story.image.display_caption = (find_credit(display) or (display, None))[0]
    else:
        end = _top_matter_end(paragraphs, byline_at)
        above, below = paragraphs[:end], paragraphs[end:]
    if above:
        if _looks_like_headline(above[0]):
            story.headline = above.pop(0)
        if above and len(above[0].split()) <= STANDFIRST_MAX_WORDS:
            story.standfirst = above.pop(0)
        below = above + below
    story.body = below


def _looks_like_headline(paragraph: str) -> bool:
    words = paragraph.split()
    return (
        0 < len(words) <= HEADLINE_MAX_WORDS
        and not paragraph.endswith((".", ":", ";", ","))
        and find_credit(paragraph) is None
    )
