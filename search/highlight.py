"""Snippets with the searched words marked, safe to put in a page: the text is escaped and only
our own <mark> tags are added."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.text import spans

SNIPPET_WORDS = 32


def _marked(text: str, found: list[tuple[int, int, list[str]]], wanted: frozenset[str]) -> str:
    out, at = [], 0
    for start, end, word_terms in found:
        if wanted.intersection(word_terms):
            out += [escape(text[at:start]), "<mark>", escape(text[start:end]), "</mark>"]
            at = end
    out.append(escape(text[at:]))
    return "".join(out)


def highlight(text: str, wanted: frozenset[str]) -> SafeString:
    return mark_safe(_marked(text, list(spans(text)), wanted))  # noqa: S308 (escaped above)


def snippet(text: str, wanted: frozenset[str], size: int = SNIPPET_WORDS) -> SafeString:
    """The stretch of `size` words holding the most searched words, with an ellipsis where the
    text goes on; the opening words when none is found."""
    found = list(spans(text))
    if not found:
        return mark_safe("")
    hit = [1 if wanted.intersection(t) else 0 for _, _, t in found]
    best, best_start, window = -1, 0, sum(hit[:size])
    for start in range(max(1, len(found) - size + 1)):
        if start:
            window += (hit[start + size - 1] if start + size - 1 < len(hit) else 0) - hit[start - 1]
        if window > best:
            best, best_start = window, start
    # Start a few words before the first hit so it reads in context.
    first = next((i for i in range(best_start, len(hit)) if hit[i]), best_start)
    best_start = max(0, min(best_start, first - 4))
    chosen = found[best_start : best_start + size]
    # The text's own opening and closing punctuation stay when the snippet reaches them.
    begin = chosen[0][0] if best_start > 0 else 0
    end = chosen[-1][1] if best_start + size < len(found) else len(text)
    body = _marked(text[begin:end], [(s - begin, e - begin, t) for s, e, t in chosen], wanted)
    before = "… " if best_start > 0 else ""
    after = " …" if best_start + size < len(found) else ""
    return mark_safe(before + body + after)  # noqa: S308 (escaped in _marked)
