"""HTML extraction pages/s against bare `trafilatura.extract` on the same pages, and the
plain-text parser's pages/s, all in one run.

The pages are built from the sample stories in the shapes of ingest/tests/fixtures (a full
page with JSON-LD, figure and chrome; a bare page), so every word is our own.
"""

import html
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from ingest.extract import extract_html
from ingest.textparse import parse_text
from tidings.sample.stories import STORIES

FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "tests" / "fixtures"
ROUNDS = 5


def _page(story: dict) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in story["body"])
    photo = story.get("photo") or {}
    figure = (
        f'<figure><img src="/p.jpg" alt="{html.escape(photo.get("alt_text", ""))}">'
        f"<figcaption>{html.escape(photo.get('display_caption', ''))} "
        f'<span class="credit">Photograph: {html.escape(photo.get("photographer", ""))}/'
        f"{html.escape(photo.get('agency', ''))}</span></figcaption></figure>"
        if photo
        else ""
    )
    topics = "".join(f'<li><a href="#">{html.escape(t)}</a></li>' for t in story["topics"])
    headline, standfirst = html.escape(story["headline"]), html.escape(story["standfirst"])
    return f"""<!doctype html><html><head><title>{headline} | Bench Times</title>
<meta property="og:site_name" content="Bench Times">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{headline}",
"author": {{"name": "{story["byline"]}"}}}}</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<main><article><h1>{headline}</h1><p class="standfirst">{standfirst}</p>
{figure}<div class="body">{body}<div class="ad">Advertisement</div></div>
<section><h2>Follow the topics in this article</h2><ul>{topics}</ul></section>
<button>Get alerts on {html.escape(story["topics"][0])} when a new story is published</button>
<p>Comments have not been enabled for this article.</p></article></main>
<footer><p>Copyright Bench Times Ltd 2026. All rights reserved.</p></footer></body></html>"""


def _text(story: dict) -> str:
    return "\n".join(
        [story["headline"], story["standfirst"], *story["body"],
         f"Get alerts on {story['topics'][0]} when a new story is published",
         "Copyright Bench Times Ltd 2026. All rights reserved.", "Reuse this content"]
    )  # fmt: skip


def _rates(works: list[Callable[[str], object]], pages: list[str]) -> list[float]:
    """Best pages/s of each function, timed in alternating rounds so drift hits all alike."""
    best = [0.0] * len(works)
    for _ in range(ROUNDS):
        for i, work in enumerate(works):
            started = time.perf_counter()
            for page in pages:
                work(page)
            best[i] = max(best[i], len(pages) / (time.perf_counter() - started))
    return best


def run(*, quick: bool = False) -> None:
    pages = [_page(s) for s in STORIES] + [
        p.read_text() for p in (FIXTURES / "html").glob("*.html")
    ]
    texts = [_text(s) for s in STORIES] + [p.read_text() for p in (FIXTURES / "text").glob("*.txt")]
    repeat = 1 if quick else 5
    pages, texts = pages * repeat, texts * repeat
    print(
        f"  {len(pages)} HTML pages, {len(texts)} texts, best of {ROUNDS} rounds", file=sys.stderr
    )
    bare, ours = _rates([trafilatura.extract, extract_html], pages)
    (text_rate,) = _rates([parse_text], texts)
    print(f"  baseline  trafilatura.extract   {bare:8.1f} pages/s")
    print(
        f"  ours      extract_html          {ours:8.1f} pages/s  ({ours / bare:.2f}x the baseline)"
    )
    print(
        f"  ours      parse_text            {text_rate:8.1f} texts/s "
        f"({text_rate / bare:.1f}x trafilatura's page rate)"
    )
