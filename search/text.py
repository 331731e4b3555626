"""Words as the index sees them: one tokenizer and stemmer for the stories, the queries and the
percolator, so a search, its saved alert and both engines agree on what matches.

The engines only ever see our terms (folded, stemmed, space-separated): FTS5 with its plain
`unicode61` tokenizer, PostgreSQL with the `simple` configuration. Neither stems again.
"""

import functools
import re
from collections.abc import Iterator

import snowballstemmer  # type: ignore[import-untyped]

from tidings.folding import fold

_WORD = re.compile(r"[^\W_]+")
# "Merkel's" is a mention of Merkel, not of Merkel and "s".
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b", re.IGNORECASE)
_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The folded words of a text, unstemmed (for highlighting and phrase display)."""
    return _WORD.findall(fold(_POSSESSIVE.sub("", text)))


def terms(text: str) -> list[str]:
    """The index terms of a text, in order."""
    return [stem(word) for word in words(text)]


def tag_term(slug: str) -> str:
    """The one term a topic slug becomes: letters and digits only (both engines' tokenizers
    split on "-"), ending in a digit so no stemmer touches it, and unambiguous."""
    return "tq" + slug.replace("z", "zz").replace("-", "zq") + "0"


def spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(start, end, terms) of each word of the original text, for highlighting."""
    text = _POSSESSIVE.sub(lambda m: " " * len(m.group()), text)
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), terms(match.group())
