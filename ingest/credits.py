"""Photo credits and datelines, as they appear in agency captions."""

import re
from dataclasses import dataclass

from ingest.chrome import MONTHS

_NAME = r"[A-ZÀ-Þ][\w.'’-]*(?:\s+(?:[A-ZÀ-Þ][\w.'’-]*|de|da|van|von|del|la|le|bin|al|dos)){0,4}"

# Tried in order against the end of a caption; the first that matches wins.
CREDIT_PATTERNS = [
    re.compile(
        r"\s*\((?:photo(?:graph)?|picture|image|pic)s?(?:\s+by|\s*:|\s+credit:?)\s*"
        r"(?P<credit>[^()]{2,120})\)\s*\.?$",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:^|\s+)(?:[|–—-]\s+)?(?:photo(?:graph)?|picture|image|credit|source)s?\s*:\s*"
        r"(?P<credit>[^:]{2,120}?)\s*\.?$",
        re.IGNORECASE,
    ),
    re.compile(r"\s*©\s*(?P<credit>[^©]{2,120}?)\s*\.?$"),
    # "Photo by NAME/AGENCY" standing alone or after the caption's last sentence.
    re.compile(
        r"(?:^|(?<=[.!?])\s+|\s+[|–—-]\s+)(?:photo(?:graph)?|picture|image)s?\s+by\s+"
        r"(?P<credit>[^()]{2,120}?)\s*\.?$",
        re.IGNORECASE,
    ),
    # A bare "NAME/AGENCY" only after a sentence ends: "in the Alfama Rita Lobo/X" is ambiguous.
    re.compile(
        rf"(?:(?<=[.!?])|\s[|–—-])\s+(?P<credit>{_NAME}\s*/\s*[\w&.' -]{{2,60}}?"
        rf"(?:\s+via\s+[\w&.' -]{{2,60}})?)\s*$"
    ),
]

DATELINE = re.compile(
    rf"^(?P<dateline>[A-ZÀ-Þ][\w.'’ -]{{1,40}}?(?:,\s*[A-ZÀ-Þ][\w.'’ -]{{1,40}}?)?"
    rf"\s+[-–—]\s+(?:{MONTHS})\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?)\s*:\s*",
    re.IGNORECASE,
)
BODY_DATELINE = re.compile(
    r"^(?P<dateline>[A-ZÀ-Þ][A-ZÀ-Þ .'’-]{1,40}(?:,\s*[A-ZÀ-Þ][\w .'’-]{1,40})?"
    r"(?:\s*\([^)]{1,40}\))?)\s*[-–—]\s+\S"
)
AGENCY_WORDS = {
    "images", "image", "press", "photo", "photos", "pictures", "picture", "agency", "news",
    "media", "wire", "archive", "stock", "collection", "handout", "pool",
}  # fmt: skip


@dataclass
class Credit:
    credit: str
    photographer: str | None
    agency: str | None


def split_credit(credit: str) -> Credit:
    """ "NAME/AGENCY via DISTRIBUTOR" → photographer NAME, agency AGENCY (via DISTRIBUTOR)."""
    text = " ".join(credit.split()).strip(" .,;")
    main, _, via = text.partition(" via ")
    if "/" in main:
        photographer, _, agency = (part.strip() for part in main.partition("/"))
        return Credit(text, photographer or None, agency or via.strip() or None)
    words = main.split()
    looks_like_agency = main.isupper() or any(w.lower() in AGENCY_WORDS for w in words)
    if looks_like_agency:
        return Credit(text, None, main)
    return Credit(text, main or None, via.strip() or None)


def find_credit(caption: str) -> tuple[str, Credit] | None:
    """Split a caption into its text and its trailing credit, if it ends with one."""
    for pattern in CREDIT_PATTERNS:
        found = pattern.search(caption)
        if found:
            return caption[: found.start()].rstrip(), split_credit(found.group("credit"))
    return None


def split_dateline(text: str) -> tuple[str | None, str]:
    found = DATELINE.match(text)
    if not found:
        return None, text
    return found.group("dateline").strip(), text[found.end() :]
