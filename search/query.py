"""The query language, parsed once and compiled for each engine (and for the percolator).

    offshore wind            both words
    "offshore wind"          the phrase
    wind OR solar            either
    wind -Kenya              wind, never Kenya
    (wind OR solar) farm     parentheses group
    topic:angela-merkel      stories tagged with the topic

Pure: no ORM. Every failure is a QueryError whose message says what is wrong and where.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from search.text import tag_term, terms

MAX_LENGTH = 500
MAX_TERMS = 32
MAX_DEPTH = 8
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class QueryError(ValueError):
    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Term:
    term: str


@dataclass(frozen=True)
class Phrase:
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Tag:
    slug: str

    @property
    def term(self) -> str:
        return tag_term(self.slug)


@dataclass(frozen=True)
class And:
    positive: tuple["Node", ...]
    negative: tuple["Node", ...] = ()


@dataclass(frozen=True)
class Or:
    options: tuple["Node", ...]


Node = Term | Phrase | Tag | And | Or


@dataclass(frozen=True)
class Document:
    """A story's terms with their positions (fields kept apart so no phrase spans two)."""

    positions: dict[str, frozenset[int]]
    terms: frozenset[str] = field(init=False)
    pairs: frozenset[tuple[str, str]] = field(init=False)  # neighbouring terms, for phrases

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", frozenset(self.positions))
        at = {p: term for term, where in self.positions.items() for p in where}
        pairs = frozenset((term, at[p + 1]) for p, term in at.items() if p + 1 in at)
        object.__setattr__(self, "pairs", pairs)

    @classmethod
    def of(cls, fields: Sequence[Sequence[str]], tags: Sequence[str] = ()) -> "Document":
        found: dict[str, set[int]] = {}
        offset = 0
        for field_terms in fields:
            for i, term in enumerate(field_terms):
                found.setdefault(term, set()).add(offset + i)
            offset += len(field_terms) + 10
        for i, slug in enumerate(tags):  # apart from the text and each other: no phrase
            found.setdefault(tag_term(slug), set()).add(-10 * (i + 1))
        return cls({term: frozenset(at) for term, at in found.items()})


# --- parsing ---------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s+|(?P<open>\()|(?P<close>\))|(?P<quote>")|(?P<word>[^\s()"]+)')


@dataclass
class _Lexeme:
    kind: str  # open, close, phrase, word, or
    text: str
    at: int
    negated: bool = False


def _lex(text: str) -> Iterator[_Lexeme]:
    i = 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        assert match is not None  # the pattern matches any character
        kind = match.lastgroup
        if kind == "quote":
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"The quote at character {i + 1} is never closed.", i)
            yield _Lexeme("phrase", text[i + 1 : end], i)
            i = end + 1
            continue
        if kind == "word":
            word = match.group()
            if word == "OR":
                yield _Lexeme("or", word, i)
            elif word == "-" and i + 1 < len(text) and text[i + 1] in '("':
                yield _Lexeme("not", word, i)
            elif word.startswith("-") and len(word) > 1:
                yield _Lexeme("not", "-", i)
                yield _Lexeme("word", word[1:], i + 1)
            else:
                yield _Lexeme("word", word, i)
        elif kind in ("open", "close"):
            yield _Lexeme(kind, match.group(), i)
        i = match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.lexemes = list(_lex(text))
        self.i = 0
        self.terms = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.i]
        self.i += 1
        return lexeme

    def parse(self) -> Node | None:
        node = self.alternatives(0)
        extra = self.peek()
        if extra is not None:  # only a stray ")" stops the top level early
            raise QueryError(f"The ')' at character {extra.at + 1} has no '(' before it.", extra.at)
        return node

    def alternatives(self, depth: int) -> Node | None:
        options: list[Node | None] = [self.all_of(depth)]
        while (lexeme := self.peek()) is not None and lexeme.kind == "or":
            self.take()
            if options[-1] is None:
                raise QueryError(
                    f"OR at character {lexeme.at + 1} needs words before it.", lexeme.at
                )
            option = self.all_of(depth)
            if option is None:
                raise QueryError(
                    f"OR at character {lexeme.at + 1} needs words after it.", lexeme.at
                )
            options.append(option)
        kept = [o for o in options if o is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def all_of(self, depth: int) -> Node | None:
        positive: list[Node] = []
        negative: list[Node] = []
        while (lexeme := self.peek()) is not None and lexeme.kind not in ("or", "close"):
            negated = lexeme.kind == "not"
            if negated:
                self.take()
                if self.peek() is None or self.peek().kind in ("or", "close"):  # type: ignore[union-attr]
                    continue  # a lone "-" is punctuation
            node = self.one(depth)
            if node is None:
                continue
            (negative if negated else positive).append(node)
        if not positive and not negative:
            return None
        return And(tuple(positive), tuple(negative))

    def one(self, depth: int) -> Node | None:
        lexeme = self.take()
        if lexeme.kind == "open":
            if depth >= MAX_DEPTH:
                raise QueryError(f"Parentheses may nest at most {MAX_DEPTH} deep.", lexeme.at)
            inner = self.alternatives(depth + 1)
            close = self.peek()
            if close is None or close.kind != "close":
                raise QueryError(
                    f"The '(' at character {lexeme.at + 1} is never closed.", lexeme.at
                )
            self.take()
            if inner is None:
                raise QueryError(
                    f"The parentheses at character {lexeme.at + 1} are empty.", lexeme.at
                )
            return inner
        if lexeme.kind == "phrase":
            return self.words(terms(lexeme.text), lexeme)
        if lexeme.kind == "word" and lexeme.text.casefold().startswith("topic:"):
            slug = lexeme.text[len("topic:") :].casefold()
            if not _SLUG.fullmatch(slug):
                raise QueryError(
                    f"'{lexeme.text}' at character {lexeme.at + 1}: topic: needs a topic's "
                    "address name, as in topic:angela-merkel.",
                    lexeme.at,
                )
            self.count(1, lexeme)
            return Tag(slug)
        return self.words(terms(lexeme.text), lexeme)

    def words(self, found: list[str], lexeme: _Lexeme) -> Node | None:
        if not found:
            return None  # punctuation only: nothing to look for
        self.count(len(found), lexeme)
        return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))

    def count(self, n: int, lexeme: _Lexeme) -> None:
        self.terms += n
        if self.terms > MAX_TERMS:
            raise QueryError(
                f"A search may have at most {MAX_TERMS} words; this one has more by character "
                f"{lexeme.at + 1}.",
                lexeme.at,
            )


def _simplify(node: Node) -> Node:
    if isinstance(node, Or):
        options: list[Node] = []
        for option in map(_simplify, node.options):
            options.extend(option.options if isinstance(option, Or) else [option])
        options = list(dict.fromkeys(options))
        return options[0] if len(options) == 1 else Or(tuple(options))
    if isinstance(node, And):
        positive: list[Node] = []
        negative = [_simplify(n) for n in node.negative]
        for child in map(_simplify, node.positive):
            if isinstance(child, And):
                positive.extend(child.positive)
                negative.extend(child.negative)
            else:
                positive.append(child)
        positive, negative = list(dict.fromkeys(positive)), list(dict.fromkeys(negative))
        if len(positive) == 1 and not negative:
            return positive[0]
        return And(tuple(positive), tuple(negative))
    return node


def _check(node: Node, text: str, *, top: bool = True) -> None:
    """Every part of an OR, every group, and the whole, must look for something, not only
    exclude."""
    if isinstance(node, And):
        if not node.positive and top:
            raise QueryError(
                f"'{text}' only excludes words: a search needs at least one word to look for."
            )
        if not node.positive:
            raise QueryError(
                "A group inside an exclusion only excludes words, as in -(-solar): give it a "
                "word to look for, or drop the double exclusion."
            )
        for child in node.positive:
            _check(child, text, top=False)
        for child in node.negative:
            _check(child, text, top=False)
    elif isinstance(node, Or):
        for option in node.options:
            if isinstance(option, And) and not option.positive:
                raise QueryError(
                    "Each side of an OR needs a word to look for: put exclusions outside it, "
                    "as in (wind OR solar) -Kenya."
                )
            _check(option, text, top=False)


@dataclass(frozen=True)
class Query:
    text: str
    root: Node

    @property
    def tags(self) -> list[str]:
        return [n.slug for n in _walk(self.root) if isinstance(n, Tag)]

    @property
    def wanted(self) -> frozenset[str]:
        """The terms a match is found by (not the excluded ones), for highlighting."""
        return frozenset(_wanted(self.root))


def parse(text: str) -> Query:
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"A search may be at most {MAX_LENGTH} characters long; this one has {len(text)}."
        )
    if not text:
        raise QueryError("Type a word to search for.")
    root = _Parser(text).parse()
    if root is None:
        raise QueryError(f"'{text}' has no words to search for: only punctuation.")
    root = _simplify(root)
    _check(root, text)
    return Query(text, root)


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, And):
        for child in (*node.positive, *node.negative):
            yield from _walk(child)
    elif isinstance(node, Or):
        for option in node.options:
            yield from _walk(option)


def _wanted(node: Node) -> Iterator[str]:
    if isinstance(node, Term):
        yield node.term
    elif isinstance(node, Phrase):
        yield from node.terms
    elif isinstance(node, And):
        for child in node.positive:
            yield from _wanted(child)
    elif isinstance(node, Or):
        for option in node.options:
            yield from _wanted(option)


# --- compiling -------------------------------------------------------------------------------


def to_fts5(node: Node) -> str:
    """An FTS5 MATCH expression (passed as a parameter). Terms are letters and digits only,
    quoted all the same so no word is read as an operator."""
    if isinstance(node, Term):
        return f'"{node.term}"'
    if isinstance(node, Phrase):
        return '"' + " ".join(node.terms) + '"'
    if isinstance(node, Tag):
        return f'tags : "{node.term}"'
    if isinstance(node, Or):
        return "(" + " OR ".join(map(to_fts5, node.options)) + ")"
    expression = "(" + " AND ".join(map(to_fts5, node.positive)) + ")"
    for excluded in node.negative:
        expression = f"({expression} NOT {to_fts5(excluded)})"
    return expression


def to_tsquery(node: Node) -> str:
    """A PostgreSQL tsquery for to_tsquery('simple', %s) (passed as a parameter)."""
    if isinstance(node, Term):
        return f"'{node.term}'"
    if isinstance(node, Phrase):
        return "(" + " <-> ".join(f"'{t}'" for t in node.terms) + ")"
    if isinstance(node, Tag):
        return f"'{node.term}'"
    if isinstance(node, Or):
        return "(" + " | ".join(map(to_tsquery, node.options)) + ")"
    parts = [*map(to_tsquery, node.positive), *(f"!{to_tsquery(n)}" for n in node.negative)]
    return "(" + " & ".join(parts) + ")"


def matches(node: Node, doc: Document) -> bool:
    """The query evaluated against one story's terms, in memory (the percolator's check)."""
    if isinstance(node, Term):
        return node.term in doc.terms
    if isinstance(node, Tag):
        return node.term in doc.terms
    if isinstance(node, Phrase):
        if not doc.pairs.issuperset(zip(node.terms, node.terms[1:], strict=False)):
            return False
        if len(node.terms) == 2:
            return True
        # Walk the positions of the rarest word; the others must sit at their offsets from it.
        positions = doc.positions
        k = min(range(len(node.terms)), key=lambda i: len(positions[node.terms[i]]))
        return any(
            all(at - k + i in positions[t] for i, t in enumerate(node.terms) if i != k)
            for at in positions[node.terms[k]]
        )
    if isinstance(node, Or):
        return any(matches(option, doc) for option in node.options)
    return all(matches(n, doc) for n in node.positive) and not any(
        matches(n, doc) for n in node.negative
    )


def anchors(node: Node) -> frozenset[str]:
    """Terms of which every matching story holds at least one (the presearcher's key): the
    cheapest positive part of an AND, every option of an OR, a phrase's longest word."""
    if isinstance(node, Term):
        return frozenset([node.term])
    if isinstance(node, Tag):
        return frozenset([node.term])
    if isinstance(node, Phrase):
        return frozenset([max(node.terms, key=len)])
    if isinstance(node, Or):
        return frozenset().union(*map(anchors, node.options))
    choices = [anchors(child) for child in node.positive]
    return min(choices, key=lambda terms: (len(terms), -min(len(t) for t in terms)))
