"""Tagging stories/s: the full pipeline (spaCy NER, gazetteer, canonicalisation, salience,
themes) against bare spaCy NER-only `nlp.pipe` on the same texts, in the same run; then the
full pipeline in two worker processes against the same single-process bare model.

The texts are the sample stories and the invented gold set, so every word is our own; the
registry is the starter registry (countries, cities, organisations, themes), built without a
database.
"""

import multiprocessing
import random
import resource
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

    def no_quotes() -> None:
        tagger.with_quotes = False
        try:
            tagger.tag_many(articles)
        finally:
            tagger.with_quotes = True

    best = {"bare": 0.0, "ours": 0.0, "no_quotes": 0.0}
    for _ in range(ROUNDS):
        for name, work in (("bare", bare), ("ours", ours), ("no_quotes", no_quotes)):
            started = time.perf_counter()
            work()
            best[name] = max(best[name], len(texts) / (time.perf_counter() - started))
    print(f"  bare spaCy NER nlp.pipe:     {best['bare']:8.1f} stories/s")
    print(f"  full tagging pipeline:       {best['ours']:8.1f} stories/s")
    print(f"  ratio: {best['ours'] / best['bare']:.2f}x (goal ≥ 0.8x)")
    print(f"  the same without quotes:     {best['no_quotes']:8.1f} stories/s")
    cost = best["no_quotes"] / best["ours"] - 1
    quoted = sum(len(q) for _, q in tagger.tag_with_quotes(articles[: len(articles) // 12 or 1]))
    print(
        f"  finding who said what adds {cost:.0%} to tagging ({quoted} quotes in one copy of "
        "the stories; goal at most 25%)"
    )

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
    _long_story(tagger, megabytes=1 if quick else 5)


def _long_article(size: int) -> Article:
    """An invented story of `size` characters: the sample paragraphs, shuffled and repeated."""
    paragraphs = [p for a in _articles() for p in a.body]
    rng = random.Random(7)
    body, length = [], 0
    while length < size:
        body.append(rng.choice(paragraphs))
        length += len(body[-1]) + 2
    return Article(headline="A very long story", standfirst="It goes on.", body=body)


def _measure(queue: Any, work: str, size: int) -> None:
    """In a fresh fork: the seconds and the memory (peak over the start) of one run."""
    article = _long_article(size)
    tagger = _worker or _tagger()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if work == "ours":
        tagger.tag(article)
    else:  # what a naive caller does: the model over the whole text, in one call
        nlp = tagger.nlp
        text = _text(article)
        nlp.max_length = max(nlp.max_length, len(text) + 1)
        [(e.start_char, e.end_char, e.label_) for e in nlp(text[: tagger.max_chars]).ents]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((seconds, peak / 1024, (peak - before) / 1024))


def _long_story(tagger: Tagger, *, megabytes: int) -> None:
    """The largest text ingest accepts (5 MiB) through the tagger, beside bare spaCy NER on the
    part of it the model reads (the first `max_chars`), each in a fork of its own."""
    global _worker
    _worker = tagger
    size = megabytes * 1024 * 1024
    context: Any = multiprocessing.get_context("fork")
    figures = {}
    for work in ("bare", "ours"):
        queue = context.Queue()
        child = context.Process(target=_measure, args=(queue, work, size))
        child.start()
        figures[work] = queue.get(timeout=600)
        child.join()
    (bare_s, bare_peak, bare_grew), (ours_s, ours_peak, ours_grew) = (
        figures["bare"],
        figures["ours"],
    )
    print(f"  a {megabytes} MiB story, bare spaCy NER on its first {tagger.max_chars:,} chars: "
          f"{bare_s:6.1f} s, peak {bare_peak:5.0f} MB (+{bare_grew:.0f})")  # fmt: skip
    print(f"  the same story, full tagging pipeline:        {ours_s:6.1f} s, "
          f"peak {ours_peak:5.0f} MB (+{ours_grew:.0f})")  # fmt: skip
    print(f"  time ratio {ours_s / bare_s:.2f}x; goal under 20 s and 600 MB for 5 MiB")
