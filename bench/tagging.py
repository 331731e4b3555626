"""Tagging stories/s: the full pipeline (spaCy NER, gazetteer, canonicalisation, salience,
themes) against bare spaCy NER-only `nlp.pipe` on the same texts, in the same run; then the
full pipeline in two worker processes against the same single-process bare model.

The texts are the sample stories and the invented gold set, so every word is our own; the
registry is the starter registry (countries, cities, organisations, themes), built without a
database.
"""

import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from tidings.sample.stories import STORIES
from topics.evaluation import read_gold
from topics.starter import starter_topics
from topics.tagging import Article, Entry, Tagger
from topics.tagging.model import load_model

GOLD = Path(__file__).resolve().parent.parent / "topics" / "gold" / "invented.jsonl"
ROUNDS = 3
BATCH = 32

_worker: Tagger | None = None


def _articles() -> list[Article]:
    sample = [
        Article(headline=s["headline"], standfirst=s["standfirst"], body=s["body"]) for s in STORIES
    ]
    return sample + [gold.article for gold in read_gold(GOLD)]


def _tagger() -> Tagger:
    entries = [
        Entry(t["slug"], t["name"], t["kind"], tuple(t["aliases"])) for t in starter_topics()
    ]
    return Tagger(entries, load_model(settings.TAGGING_MODEL), batch_size=BATCH)


def _text(article: Article) -> str:
    return "\n\n".join([article.headline, article.standfirst, *article.body])


def _init_worker() -> None:
    global _worker
    _worker = _tagger()


def _tag_chunk(chunk: list[Article]) -> int:
    assert _worker is not None
    return len(_worker.tag_many(chunk))


def run(*, quick: bool = False) -> None:
    tagger = _tagger()
    nlp = tagger.nlp
    if nlp is None:
        print(f"  skipped: spaCy model {settings.TAGGING_MODEL!r} is not installed")
        return
    articles = _articles() * (2 if quick else 12)
    texts = [_text(a) for a in articles]
    words = sum(len(t.split()) for t in texts)
    print(f"  {len(texts)} stories, {words / len(texts):.0f} words each on average, "
          f"batch {BATCH}, best of {ROUNDS} rounds", file=sys.stderr)  # fmt: skip

    def bare() -> None:
        for doc in nlp.pipe(texts, batch_size=BATCH):
            [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def ours() -> None:
        tagger.tag_many(articles)

    best = {"bare": 0.0, "ours": 0.0}
    for _ in range(ROUNDS):
        for name, work in (("bare", bare), ("ours", ours)):
            started = time.perf_counter()
            work()
            best[name] = max(best[name], len(texts) / (time.perf_counter() - started))
    print(f"  bare spaCy NER nlp.pipe:     {best['bare']:8.1f} stories/s")
    print(f"  full tagging pipeline:       {best['ours']:8.1f} stories/s")
    print(f"  ratio: {best['ours'] / best['bare']:.2f}x (goal ≥ 0.8x)")

    chunks = [articles[i : i + BATCH] for i in range(0, len(articles), BATCH)]
    context: Any = multiprocessing.get_context("fork")
    with context.Pool(2, initializer=_init_worker) as pool:
        pool.map(_tag_chunk, chunks[:2], chunksize=1)  # both workers loaded and warm
        two = 0.0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            done = sum(pool.map(_tag_chunk, chunks, chunksize=1))
            two = max(two, done / (time.perf_counter() - started))
    print(f"  full pipeline, 2 processes:  {two:8.1f} stories/s")
    print(f"  ratio to bare, 1 process: {two / best['bare']:.2f}x (goal ≥ 1.6x)")
