"""Which saved searches does a new story match? Without running each of them.

Each saved query is filed under its anchors, terms of which any matching story must hold at
least one (search.query.anchors; Lucene's monitor calls this the presearcher). A story's own
terms then pick out the few candidates, and only those are evaluated, in memory. A conjunction
of words, with exclusions and ORs of words (most saved searches), is decided by set operations;
the tree is walked only for what remains (phrases, nested groups).

The index lives in each worker and catches up from the saved searches' versions when the
generation row says something changed, so one publish costs a one-row read when nothing did.
"""

import threading
from dataclasses import dataclass

from search.models import Generation, SavedSearch
from search.query import (
    And,
    Document,
    Node,
    Or,
    Phrase,
    QueryError,
    Tag,
    Term,
    anchors,
    matches,
    parse,
)

_PLAIN = (Term, Tag)


@dataclass(frozen=True)
class Entry:
    """A saved query taken apart for speed: the set checks that decide most candidates, then
    whatever needs the tree (phrases by position, nested groups)."""

    anchors: frozenset[str]
    required: frozenset[str] = frozenset()  # every one present (a phrase's words included)
    excluded: frozenset[str] = frozenset()  # none present
    pairs: frozenset[tuple[str, str]] = frozenset()  # neighbours every phrase needs
    clauses: tuple[frozenset[str], ...] = ()  # one of each present: an OR of plain words
    rest: tuple[Node, ...] = ()  # must match too, evaluated on the tree
    rest_excluded: tuple[Node, ...] = ()  # must not match
    simple: bool = True  # the two set checks decide it

    @classmethod
    def of(cls, root: Node) -> "Entry":
        positive, negative = (
            (root.positive, root.negative) if isinstance(root, And) else ((root,), ())
        )
        required: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        clauses: list[frozenset[str]] = []
        rest: list[Node] = []
        for node in positive:
            if isinstance(node, _PLAIN):
                required.add(node.term)
            elif isinstance(node, Or) and all(isinstance(o, _PLAIN) for o in node.options):
                clauses.append(frozenset(o.term for o in node.options))  # type: ignore[union-attr]
            elif isinstance(node, Phrase):
                required.update(node.terms)
                pairs.update(zip(node.terms, node.terms[1:], strict=False))
                if len(node.terms) > 2:  # two words are decided by their pair alone
                    rest.append(node)
            else:
                rest.append(node)
        excluded = frozenset(n.term for n in negative if isinstance(n, _PLAIN))
        return cls(
            anchors(root),
            frozenset(required),
            excluded,
            frozenset(pairs),
            tuple(clauses),
            tuple(rest),
            rest_excluded := tuple(n for n in negative if not isinstance(n, _PLAIN)),
            simple=not (pairs or clauses or rest or rest_excluded),
        )

    def matches_rest(self, doc: Document) -> bool:
        """The checks after the two set operations, which Percolator.match makes inline."""
        terms = doc.terms
        if not doc.pairs.issuperset(self.pairs):
            return False
        for clause in self.clauses:
            if clause.isdisjoint(terms):
                return False
        for node in self.rest:
            if not matches(node, doc):
                return False
        return not any(matches(node, doc) for node in self.rest_excluded)


# A query saved before a rule changed and no longer parses: no anchors, so never a candidate.
_NEVER = Entry(frozenset())


class Percolator:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.entries: dict[int, Entry] = {}
        self.by_anchor: dict[str, set[int]] = {}
        self.generation = -1
        self.version = -1  # a cold index loads every row, those never versioned too

    def add(self, search_id: int, text: str) -> None:
        self.remove(search_id)
        try:
            entry = Entry.of(parse(text).root)
        except QueryError:
            entry = _NEVER
        self.entries[search_id] = entry
        for term in entry.anchors:
            self.by_anchor.setdefault(term, set()).add(search_id)

    def remove(self, search_id: int) -> None:
        entry = self.entries.pop(search_id, None)
        if entry is not None:
            for term in entry.anchors:
                self.by_anchor[term].discard(search_id)

    def match(self, doc: Document) -> list[int]:
        candidates: set[int] = set()
        by_anchor = self.by_anchor
        for term in doc.terms:
            filed = by_anchor.get(term)
            if filed:
                candidates.update(filed)
        entries, terms, found = self.entries, doc.terms, []
        for i in candidates:
            # The set checks inline: this loop is the percolator's whole cost.
            entry = entries[i]
            if (
                entry.required <= terms
                and entry.excluded.isdisjoint(terms)
                and (entry.simple or entry.matches_rest(doc))
            ):
                found.append(i)
        return sorted(found)

    def refresh(self) -> None:
        """Catch up with saved searches changed since the last look."""
        generation = Generation.objects.values_list("number", flat=True).first() or 0
        if generation == self.generation:
            return
        if generation < self.generation:  # the database was restored from a backup
            self._reset()
        changed = SavedSearch.objects.filter(version__gt=self.version)
        for search_id, text, version in changed.values_list("id", "query", "version").iterator():
            self.add(search_id, text)
            self.version = max(self.version, version)
        if SavedSearch.objects.count() != len(self.entries):
            kept = set(SavedSearch.objects.values_list("id", flat=True))
            for gone in set(self.entries) - kept:
                self.remove(gone)
        self.generation = generation

    def matching(self, doc: Document) -> list[int]:
        with self.lock:
            self.refresh()
            return self.match(doc)


_warm = Percolator()


def matching_searches(doc: Document) -> list[int]:
    """Ids of the saved searches the story matches, from this process's warm index."""
    return _warm.matching(doc)


def forget() -> None:
    """Start cold (tests move between databases under one process)."""
    global _warm
    _warm = Percolator()
