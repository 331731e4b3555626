"""Near-duplicates caught among edited copies of real news, and false alarms between different
stories: Jaccard alone (the old rule) against Jaccard or containment (the rule in use).

The texts are the SEL dev set's Wikinews articles, read from ../shared where it lies (never
copied into the repository); without it, the invented sample stories and gold set. Each story
gets four copies: a paragraph dropped, a sentence reworded, a syndication line added, and all
three at once.
"""

import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from ingest.dedupe import DuplicateIndex, Prints
from tidings.progress import Progress

SEL = Path(settings.BASE_DIR).parent / "shared" / "datasets" / "sel-dev" / "sel-dev.jsonl"
SYNDICATION = [
    "This story first appeared on the Harbour Wire and is republished here with permission.",
    "Reporting by wire staff; editing by the night desk.",
]
REWORDS = {"said": "told reporters", "the": "this", "was": "had been", "and": "as well as",
           "in": "within", "of": "from", "is": "remains", "a": "one", "to": "towards"}  # fmt: skip


def _stories() -> list[tuple[str, list[str]]]:
    if SEL.is_file():
        rows = [json.loads(line) for line in SEL.read_text("utf-8").splitlines() if line]
        return [(row["title"], [p for p in row["text"].split("\n\n") if p.strip()]) for row in rows]
    from tidings.sample.stories import STORIES
    from topics.evaluation import read_gold

    gold = Path(settings.BASE_DIR) / "topics" / "gold" / "invented.jsonl"
    return [(s["headline"], list(s["body"])) for s in STORIES] + [
        (g.article.headline, list(g.article.body)) for g in read_gold(gold)
    ]


def _drop(paragraphs: list[str], rng: random.Random) -> list[str]:
    if len(paragraphs) >= 3:
        gone = rng.randrange(1, len(paragraphs))
        return paragraphs[:gone] + paragraphs[gone + 1 :]
    sentences = re.split(r"(?<=[.!?])\s+", paragraphs[-1])
    return [*paragraphs[:-1], " ".join(sentences[:-1]) or paragraphs[-1]]


def _reword(paragraphs: list[str], rng: random.Random) -> list[str]:
    """One sentence of one paragraph said another way: its small words swapped."""
    out = list(paragraphs)
    at = rng.randrange(len(out))
    sentences = re.split(r"(?<=[.!?])\s+", out[at])
    which = rng.randrange(len(sentences))
    sentences[which] = " ".join(REWORDS.get(w, w) for w in sentences[which].split())
    out[at] = " ".join(sentences)
    return out


def _syndicate(paragraphs: list[str], rng: random.Random) -> list[str]:
    return [SYNDICATION[0], *paragraphs, SYNDICATION[1]]


Edit = Callable[[list[str], random.Random], list[str]]
EDITS: dict[str, list[Edit]] = {
    "paragraph dropped": [_drop],
    "sentence reworded": [_reword],
    "syndication line": [_syndicate],
    "all three": [_drop, _reword, _syndicate],
}


def _text(headline: str, paragraphs: list[str]) -> str:
    return f"{headline}\n" + "\n".join(paragraphs)


def run(*, quick: bool = False) -> None:
    stories = _stories()
    if quick:
        stories = stories[:30]
    source = "the SEL dev set" if SEL.is_file() else "the invented stories"
    print(f"  {len(stories)} stories from {source}, {len(EDITS)} edited copies of each",
          file=sys.stderr)  # fmt: skip
    rng = random.Random(11)
    copies = [
        (number, kind, _text(headline, _apply(edits, paragraphs, rng)))
        for number, (headline, paragraphs) in enumerate(stories)
        for kind, edits in EDITS.items()
    ]
    rules = {"Jaccard only (old rule)": 2.0, "Jaccard or containment": None}
    for name, contained in rules.items():
        index = DuplicateIndex() if contained is None else DuplicateIndex(contained=contained)
        alarms = 0
        progress = Progress(len(stories) + len(copies), f"  {name}")
        for number, (headline, paragraphs) in enumerate(stories):
            prints = Prints(_text(headline, paragraphs))
            alarms += index.find(prints) is not None  # two different stories called one
            index.add(f"story:{number}", prints)
            progress.step()
        caught = dict.fromkeys(EDITS, 0)
        wrong = 0
        for number, kind, text in copies:
            match = index.find(Prints(text))
            caught[kind] += match is not None and match.key == f"story:{number}"
            wrong += match is not None and match.key != f"story:{number}"
            progress.step()
        total = sum(caught.values())
        detail = ", ".join(f"{kind} {n / len(stories):.0%}" for kind, n in caught.items())
        print(f"  {name}: {total / len(copies):.1%} of copies caught ({detail}); false alarms "
              f"{alarms} between stories, {wrong} copies named the wrong story")  # fmt: skip
    print("  goal: ≥ 99% caught, 0 false alarms")


def _apply(
    edits: list[Edit],
    paragraphs: list[str],
    rng: random.Random,
) -> list[str]:
    for edit in edits:
        paragraphs = edit(paragraphs, rng)
    return paragraphs
