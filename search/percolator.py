"""Which saved searches does a new story match? Without running each of them.

Each saved query is filed under its anchors, terms of which any matching story must hold at
least one (search.query.anchors; Lucene's monitor calls this the presearcher). A story's own
terms then pick out the few candidates, and only those are evaluated, in memory. A conjunction
of plain words (most saved searches) is checked with two set operations.

The index lives in each worker and catches up from the saved searches' versions when the
generation row says something changed, so one publish costs a one-row read when nothing did.
"""

import threading
from dataclasses import dataclass

from search.models import Generation, SavedSearch
from search.query import And, Document, Node, QueryError, Tag, Term, anchors, matches, parse


@dataclass(frozen=True)
class Entry:
    root: Node
    anchors: frozenset[str]
    # Set when the query is words and topics only (with excluded ones): the fast check.
    required: frozenset[str] | None
    excluded: frozenset[str] | None

    @classmethod
    def of(cls, root: Node) -> "Entry":
        required: frozenset[str] | None = None
        excluded: frozenset[str] | None = None
        plain = (Term, Tag)
        if isinstance(root, plain):
            required, excluded = frozenset([root.term]), frozenset()
        elif (
            isinstance(root, And)
            and all(isinstance(n, plain) for n in root.positive)
            and all(isinstance(n, plain) for n in root.negative)
        ):
            required = frozenset(n.term for n in root.positive)  # type: ignore[union-attr]
            excluded = frozenset(n.term for n in root.negative)  # type: ignore[union-attr]
        return cls(root, anchors(root), required, excluded)

    def matches(self, doc: Document) -> bool:
        if self.required is not None and self.excluded is not None:
            return self.required <= doc.terms and self.excluded.isdisjoint(doc.terms)
        return matches(self.root, doc)


class Percolator:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.entries: dict[int, Entry] = {}
        self.by_anchor: dict[str, set[int]] = {}
        self.generation = -1
        self.version = 0

    def add(self, search_id: int, text: str) -> None:
        self.remove(search_id)
        try:
            entry = Entry.of(parse(text).root)
        except QueryError:
            # Saved before a rule changed: it cannot match (no anchors), and the page says why.
            entry = Entry(And(()), frozenset(), None, None)
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
            found = by_anchor.get(term)
            if found:
                candidates.update(found)
        entries = self.entries
        return sorted(i for i in candidates if entries[i].matches(doc))

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
