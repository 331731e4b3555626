"""Scoring the tagger against a gold file: precision, recall and F1 of topics, and how often the
primary topic is right. A predicted topic matches a gold name when their folded names agree, when
the gold name is one of the forms the story used for it, or when the registry knows the gold
name as an alias of it ("UN" for "United Nations")."""

import importlib.util
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from topics.tagging import Article, Candidate, Tagger
from topics.tagging.text import fold

T = TypeVar("T")


@dataclass
class Gold:
    article: Article
    topics: list[str]
    primary: str | None


@dataclass
class Score:
    stories: int = 0
    true_positives: int = 0
    predicted: int = 0
    expected: int = 0
    primary_hits: int = 0
    primaries: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def primary_rate(self) -> float:
        return self.primary_hits / self.primaries if self.primaries else 0.0


def _records(path: Path, what: str, build: Callable[[dict[str, Any], Article], T]) -> list[T]:
    """`build(record, its story)` for each line's JSON object; a bad line is a ValueError
    naming it."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(line)
            paragraphs = [p.strip() for p in str(data["text"]).split("\n\n") if p.strip()]
            article = Article(
                headline=data.get("headline") or "",
                standfirst=data.get("standfirst") or "",
                body=paragraphs,
            )
            out.append(build(data, article))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not {what} ({exc})") from None
    return out


def read_gold(path: Path) -> list[Gold]:
    """One JSON object per line: {"text", "headline"?, "standfirst"?, "topics", "primary"?}."""
    return _records(
        path, "a gold record", lambda d, a: Gold(a, list(d["topics"]), d.get("primary"))
    )


def _matches(candidate: Candidate, gold: str, tagger: Tagger) -> bool:
    folded = fold(gold)
    if folded == fold(candidate.name) or folded in {fold(f) for f in candidate.forms}:
        return True
    key = tagger.gazetteer.key_for(gold)
    return key is not None and key == candidate.key


def evaluate(tagger: Tagger, golds: Iterable[Gold], *, roles: set[str]) -> Score:
    golds = list(golds)
    score = Score()
    for gold, candidates in zip(golds, tagger.tag_many([g.article for g in golds]), strict=True):
        predicted = [c for c in candidates if c.role in roles]
        score.stories += 1
        score.predicted += len(predicted)
        score.expected += len(gold.topics)
        found = [g for g in gold.topics if any(_matches(c, g, tagger) for c in predicted)]
        score.true_positives += len(found)
        score.misses += [g for g in gold.topics if g not in found]
        score.extras += [
            c.name for c in predicted if not any(_matches(c, g, tagger) for g in gold.topics)
        ]
        if gold.primary:
            score.primaries += 1
            primary = next((c for c in candidates if c.role == "primary"), None)
            score.primary_hits += primary is not None and _matches(primary, gold.primary, tagger)
    return score


# --- quotes ----------------------------------------------------------------------------------


@dataclass
class QuoteGold:
    article: Article
    quotes: list[dict[str, Any]]


@dataclass
class QuoteScore:
    stories: int = 0
    predicted: int = 0  # full (not partial) quotes found
    expected: int = 0  # full quotes in the gold file
    matched: int = 0
    speakers_right: int = 0
    partial_expected: int = 0
    partial_found: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speakers_right / self.matched if self.matched else 0.0


def read_quote_gold(path: Path) -> list[QuoteGold]:
    """One JSON object per line: {"headline"?, "text", "quotes": [{"text", "speaker",
    "partial"}]}."""
    return _records(path, "a quotes record", lambda d, a: QuoteGold(a, list(d["quotes"])))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _same_quote(a: str, b: str) -> bool:
    """The same quote when one's words run inside the other's (joined halves, a missed
    continuation) and they share most of the shorter."""
    x, y = _words(a), _words(b)
    if not x or not y:
        return False
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    joined = " " + " ".join(long) + " "
    return (" " + " ".join(short) + " ") in joined and len(short) >= 0.6 * len(long)


def evaluate_quotes(tagger: Tagger, golds: Iterable[QuoteGold]) -> QuoteScore:
    score = QuoteScore()
    golds = list(golds)
    tagged = tagger.tag_with_quotes([g.article for g in golds])
    for gold, (_, found) in zip(golds, tagged, strict=True):
        score.stories += 1
        full = [q for q in found if not q.partial]
        score.predicted += len(full)
        for expected in gold.quotes:
            if expected.get("partial"):
                score.partial_expected += 1
                score.partial_found += any(
                    q.partial and _same_quote(q.text, expected["text"]) for q in found
                )
                continue
            score.expected += 1
            match = next((q for q in full if _same_quote(q.text, expected["text"])), None)
            if match is None:
                score.wrong.append(f"missed: {expected['text'][:50]}")
                continue
            score.matched += 1
            want = expected.get("speaker")
            if (fold(match.speaker or "") == fold(want or "")) or (
                want and match.speaker and fold(want).endswith(fold(match.speaker))
            ):
                score.speakers_right += 1
            else:
                score.wrong.append(
                    f"speaker {match.speaker!r} for {want!r}: {expected['text'][:40]}"
                )
        for q in full:
            if not any(_same_quote(q.text, e["text"]) for e in gold.quotes):
                score.wrong.append(f"extra: {q.text[:50]}")
    return score


def load_sel_scorer(gold: Path) -> ModuleType:
    """The SEL dataset's own scorer, score.py beside `gold`, read where it lies (never copied
    into the repository)."""
    path = gold.parent / "score.py"
    if not path.is_file():
        raise ValueError(f"no scorer at {path}: give the path of sel-dev.jsonl in its folder")
    spec = importlib.util.spec_from_file_location("sel_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class KindDisagreement:
    article: str
    name: str
    kind: str
    gold: tuple[tuple[str, str], ...]  # (name, type) of the gold entities it was matched to
    exact: bool  # matched by the whole name, not only by words the names share


def kind_disagreements(
    scorer: ModuleType, records: list[dict[str, Any]], pred: dict[str, list[dict[str, Any]]]
) -> list[KindDisagreement]:
    """The topics whose kind the scorer's "kinds right" counts wrong, matched as it matches
    them (its own norm and match_entity): for reading, one by one, which are the tagger's
    errors, which the labels' ("right about 46 times in 50") and which a match by shared
    words ("United States" met as "United States Army")."""
    found = []
    for record in records:
        typed = [
            e for e in record["gold_entities"]
            if e.get("type") in ("person", "organization", "place")
        ]  # fmt: skip
        names = {scorer.norm(e["name"]) for e in record["gold_entities"] if e.get("name")}
        for topic in pred.get(record["id"], []):
            name = topic.get("name", "")
            hits = [e for e in typed if scorer.match_entity(name, e)]
            exact = [
                e for e in hits
                if scorer.norm(name) in (scorer.norm(e["name"]), scorer.norm(e.get("wikipedia")))
            ]  # fmt: skip
            if not exact and scorer.norm(name) in names:
                continue  # the scorer skips a topic that is exactly a gold concept
            hits = exact or hits
            if hits and scorer.KIND.get(topic.get("kind")) not in {e["type"] for e in hits}:
                gold = tuple((e["name"], e["type"]) for e in hits)
                found.append(
                    KindDisagreement(record["id"], name, topic.get("kind", ""), gold, bool(exact))
                )
    return found
