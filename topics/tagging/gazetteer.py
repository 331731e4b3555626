"""Find every registry topic by its names and aliases in one Aho–Corasick pass.

Names match on folded text (no accents, any case) but must start with a capital in the story,
so "turkey" in a recipe is not the country; acronyms ("US", "WHO") must match exactly, so "us"
and "who" are not them. A person's surname alone is a *weak* hit, kept only where the story
earns it (a title before it, or the full name elsewhere in the story).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from topics.tagging.text import TITLE_WORDS, fold, fold_with_offsets, is_acronym


@dataclass(frozen=True)
class Entry:
    """One registry topic as the tagger sees it; `key` is its slug."""

    key: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    # An editor has checked it: its kind is final. An unreviewed topic (the tagger made it)
    # has its kind weighed again on every story, from the words around its mentions.
    reviewed: bool = True


@dataclass(frozen=True)
class _Form:
    key: str
    exact: str | None  # acronyms: the spelling the story must use
    weak: bool


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    keys: tuple[str, ...]
    weak: bool
    after_title: bool


def _automaton(forms: dict[str, list[_Form]]) -> "ahocorasick.Automaton | None":
    if not forms:
        return None
    automaton = ahocorasick.Automaton()
    for folded, values in forms.items():
        automaton.add_word(folded, (len(folded), tuple(values)))
    automaton.make_automaton()
    return automaton


def _bounded(folded: str, start: int, end: int) -> bool:
    return (start == 0 or not folded[start - 1].isalnum()) and (
        end == len(folded) or not folded[end].isalnum()
    )


class Gazetteer:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: dict[str, Entry] = {}
        names: dict[str, list[_Form]] = {}
        themes: dict[str, list[_Form]] = {}
        for entry in entries:
            self.entries[entry.key] = entry
            table = themes if entry.kind == "theme" else names
            for form in dict.fromkeys((entry.name, *entry.aliases)):
                folded = fold(form)
                if len(folded) < 2:
                    continue
                exact = form if is_acronym(form) and entry.kind != "theme" else None
                table.setdefault(folded, []).append(_Form(entry.key, exact, weak=False))
            words = entry.name.split()
            if entry.kind == "person" and len(words) >= 2 and len(words[-1]) >= 3:
                names.setdefault(fold(words[-1]), []).append(_Form(entry.key, None, weak=True))
        self._names = _automaton(names)
        self._themes = _automaton(themes)
        self.lookup = names

    def key_for(self, name: str) -> str | None:
        """The topic a name (an editor's or a page's hint) stands for, if the registry knows it."""
        strong = [f.key for f in self.lookup.get(fold(name), []) if not f.weak]
        return strong[0] if strong else None

    def find(self, text: str) -> list[Hit]:
        """Leftmost-longest, non-overlapping hits of named topics, in text order."""
        if self._names is None:
            return []
        folded, where = fold_with_offsets(text)
        found: list[tuple[int, int, list[_Form]]] = []
        for end, (length, forms) in self._names.iter(folded):
            start, stop = end - length + 1, end + 1
            if not _bounded(folded, start, stop):
                continue
            original = text[where[start] : where[stop - 1] + 1]
            capitalised = original[:1].isupper() or not original[:1].isalpha()
            keep = [f for f in forms if original == f.exact or (not f.exact and capitalised)]
            if keep:
                found.append((where[start], where[stop - 1] + 1, keep))
        found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
        hits: list[Hit] = []
        reach = -1
        for start, end, forms in found:
            if start < reach:
                continue
            reach = end
            weak = all(f.weak for f in forms)
            keys = tuple(dict.fromkeys(f.key for f in forms if f.weak == weak))
            before = text[max(0, start - 30) : start].split()
            after_title = bool(before) and fold(before[-1]).rstrip(".") in TITLE_WORDS
            hits.append(Hit(start, end, keys, weak, after_title))
        return hits

    def find_themes(self, text: str) -> list[tuple[int, str, str]]:
        """(position, theme key, keyword) for every keyword of a theme, in any case."""
        if self._themes is None:
            return []
        folded, where = fold_with_offsets(text)
        out: list[tuple[int, str, str]] = []
        for end, (length, forms) in self._themes.iter(folded):
            start = end - length + 1
            if _bounded(folded, start, end + 1):
                keyword = folded[start : end + 1]
                out.extend((where[start], f.key, keyword) for f in forms)
        return out
