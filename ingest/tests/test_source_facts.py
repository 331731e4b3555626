"""Ingest keeps what the source says: standfirst, paragraphs, byline, publication time, the lead
photo (downloaded, never hot-linked) and the source's own topic list. Pages, feeds and photos
are served from loopback; every story here is invented."""

import datetime as dt
import io
import json
import tempfile
from http.server import BaseHTTPRequestHandler
from io import StringIO
from pathlib import Path
from typing import ClassVar

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from PIL import Image as PILImage

from ingest.extract import extract_html
from ingest.feeds import parse_feed
from ingest.photos import MAX_SIDE, PhotoError, reencode
from ingest.pipeline import parse_entry
from ingest.textparse import parse_text
from stories.models import Story
from tidings.sample.photos import draw_photo
from tidings.test import BaseTestCase, serving
from topics.actions import ensure_topic
from topics.models import StoryTopic, Topic

PARAGRAPHS = [
    "Dockworkers at the Saltmarsh container terminal began a 48-hour stoppage on Monday after "
    "talks over shift patterns broke down late on Sunday night.",
    "The Saltmarsh Port Authority said three ships had been diverted to other harbours and that "
    "perishable cargo would be moved first once work resumed.",
    '"We did not want to walk out, but the new rota leaves no time to rest," said Imre Halvorsen, '
    "who speaks for the dockworkers' union.",
    "The authority said it had offered to phase the rota in over six months and would meet the "
    "union again on Wednesday.",
]
STANDFIRST = "Three ships were diverted as the 48-hour stoppage began."


def page(base: str, *, photo: str = "/photos/dock.jpg", extra_head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!doctype html><html><head><title>Saltmarsh dockworkers strike | Estuary Post</title>
<meta property="og:site_name" content="Estuary Post">
<meta property="article:published_time" content="2026-11-16T06:15:00+00:00">
<meta property="article:tag" content="Saltmarsh Port Authority">
<meta property="article:tag" content="Dock strikes">
{extra_head}</head><body><article>
<h1>Saltmarsh dockworkers strike over new rota</h1>
<p class="standfirst">{STANDFIRST}</p>
<p>By <a rel="author" href="/people/nadia-osei">Nadia Osei</a></p>
<figure><img src="{base}{photo}" alt="Cranes idle at the terminal">
<figcaption>Cranes stood idle on Monday.
<span class="credit">Photo by Tove Lind/Estuary Images</span></figcaption></figure>
{body}
<section><h2>Follow the topics in this article</h2>
<ul><li><a href="/topics/saltmarsh">Saltmarsh</a></li>
<li><a href="/topics/ports">Ports</a></li></ul>
</section></article></body></html>""".encode()


class Source(BaseHTTPRequestHandler):
    """Pages and photos, good and bad, on loopback."""

    base: ClassVar[str] = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        jpeg = draw_photo(4, 600, 400)
        huge = io.BytesIO()
        PILImage.new("RGB", (3000, 2000), "navy").save(huge, "PNG")
        routes = {
            "/story": ("text/html; charset=utf-8", page(Source.base)),
            "/story-html-photo": ("text/html", page(Source.base, photo="/photos/not-a-photo")),
            "/story-broken-photo": ("text/html", page(Source.base, photo="/photos/broken.jpg")),
            "/story-missing-photo": ("text/html", page(Source.base, photo="/photos/gone.jpg")),
            "/photos/dock.jpg": ("image/jpeg", jpeg),
            "/photos/huge.png": ("image/png", huge.getvalue()),
            "/photos/not-a-photo": ("text/html", b"<html><script>alert(1)</script></html>"),
            "/photos/broken.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0 this is not really a JPEG"),
        }
        if self.path not in routes:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type, body = routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@override_settings(INGEST_FETCH_ALLOW=["127.0.0.1/32"])
class SourceFactsTests(BaseTestCase):
    def ingest(self, *args: str) -> list[dict]:
        out = StringIO()
        call_command("ingest", *args, "--json", stdout=out, stderr=StringIO())
        return [json.loads(line) for line in out.getvalue().splitlines()]

    def test_a_page_gives_its_byline_time_topics_and_a_downloaded_photo(self) -> None:
        ensure_topic("Saltmarsh Port Authority", Topic.Kind.ORGANISATION)
        with serving(Source) as base:
            Source.base = base
            [record] = self.ingest(f"{base}/story", "--publish")
        story = Story.objects.get()
        self.assertEqual(story.byline, "Nadia Osei")
        self.assertEqual(story.paragraphs(), PARAGRAPHS)
        self.assertEqual(story.published_at, dt.datetime(2026, 11, 16, 6, 15, tzinfo=dt.UTC))
        assert story.published_at is not None
        self.assertGreater(story.created_at, story.published_at, "the ingest time is kept apart")
        # The photo is ours: a re-encoded JPEG in MEDIA_ROOT, with its caption and credit.
        image = story.lead_image
        assert image is not None
        self.assertEqual(image.url, "", "never hot-linked")
        stored = Path(settings.MEDIA_ROOT) / image.file.name
        self.assertTrue(stored.is_file())
        with PILImage.open(stored) as photo:
            self.assertEqual(photo.format, "JPEG")
        self.assertEqual((image.photographer, image.agency), ("Tove Lind", "Estuary Images"))
        self.assertEqual(image.display_caption, "Cranes stood idle on Monday.")
        # The page's own topic list and tags are hints the tagger takes as "about".
        self.assertEqual(
            story.topic_hints,
            ["Saltmarsh", "Ports", "Saltmarsh Port Authority", "Dock strikes"],
        )
        authority = StoryTopic.objects.get(story=story, topic__name="Saltmarsh Port Authority")
        self.assertIn(authority.role, ("primary", "about"))
        self.assertGreaterEqual(authority.salience, 0.5)
        self.assertEqual(record["warnings"], [])

    def test_a_photo_that_fails_leaves_the_story_without_one_and_a_warning(self) -> None:
        cases = {
            "/story-html-photo": "text/html, not a photo",
            "/story-broken-photo": "not a readable image",
            "/story-missing-photo": "HTTP 404",
        }
        with serving(Source) as base:
            Source.base = base
            for path, reason in cases.items():
                with self.subTest(path):
                    [record] = self.ingest(f"{base}{path}")
                    story = Story.objects.get(slug=record["story"].split("/")[2])
                    self.assertIsNone(story.lead_image)
                    self.assertTrue(
                        any("photo left out" in w and reason in w for w in record["warnings"]),
                        record["warnings"],
                    )
                    story.delete()

    def test_photos_are_checked_and_re_encoded(self) -> None:
        big = io.BytesIO()
        PILImage.new("RGB", (3000, 2000), "navy").save(big, "PNG")
        with PILImage.open(io.BytesIO(reencode(big.getvalue()))) as photo:
            self.assertEqual((photo.format, max(photo.size)), ("JPEG", MAX_SIDE))
        bomb = io.BytesIO()
        PILImage.new("1", (9000, 9000)).save(bomb, "PNG")  # 81 megapixels in a few KiB
        with self.assertRaisesMessage(PhotoError, "over the limit"):
            reencode(bomb.getvalue())
        with self.assertRaisesMessage(PhotoError, "not a readable image"):
            reencode(b"GIF89a<script>alert(1)</script>")

    def test_json_ld_author_time_and_keywords_and_meta_author(self) -> None:
        ld = {
            "@type": "NewsArticle", "headline": "Saltmarsh dockworkers strike over new rota",
            "author": [{"@type": "Person", "name": "Nadia Osei"}, {"name": "Piet Brandt"}],
            "datePublished": "2026-11-16T07:30:00+01:00", "keywords": "Dockworkers, Estuary",
        }  # fmt: skip
        script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        story = extract_html(page("https://post.example", extra_head=script).decode())
        self.assertEqual(story.byline, "Nadia Osei and Piet Brandt")
        self.assertEqual(story.published_at, "2026-11-16T07:30:00+01:00")
        self.assertIn("Dockworkers", story.topic_hints)
        self.assertIn("Estuary", story.topic_hints)
        plain = (
            '<html><head><meta name="author" content="Ruth Amadi"></head><body><article>'
            "<h1>Ferry fares frozen</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        )
        self.assertEqual(extract_html(plain + "</article></body></html>").byline, "Ruth Amadi")
        by_line = "<html><body><article><h1>Ferry fares frozen</h1><p>By Ruth Amadi</p>" + "".join(
            f"<p>{p}</p>" for p in PARAGRAPHS
        )
        story = extract_html(by_line + "</article></body></html>")
        self.assertEqual(story.byline, "Ruth Amadi")
        self.assertEqual(story.body, PARAGRAPHS, "the By line is not body text")


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Estuary Post</title><link>https://post.example/</link>
<item><title>Saltmarsh dockworkers strike over new rota</title>
<link>https://post.example/saltmarsh-strike</link><guid>post-1</guid>
<author>desk@post.example (Nadia Osei)</author>
<category>Saltmarsh</category><category>Dock strikes</category>
<pubDate>Mon, 16 Nov 2026 06:15:00 GMT</pubDate>
<content:encoded><![CDATA[{full}]]></content:encoded></item>
<item><title>Ferry fares frozen for winter</title>
<link>https://post.example/ferry-fares</link><guid>post-2</guid>
<author>newsdesk@post.example</author>
<pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate>
<description><![CDATA[<p>Fares on the estuary ferry will not rise this winter.</p>
<p>The operator said fuel costs had fallen.</p>]]></description></item>
</channel></rss>"""


class FeedFactsTests(BaseTestCase):
    def test_entries_keep_paragraphs_author_names_times_and_categories(self) -> None:
        full = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        feed = parse_feed(FEED.format(full=full).encode())
        first, second = (parse_entry(entry, feed).story for entry in feed.entries)
        self.assertEqual(first.body, PARAGRAPHS)
        self.assertEqual(first.byline, "Nadia Osei")
        self.assertEqual(first.published_at, "2026-11-16T06:15:00+00:00")
        self.assertEqual(first.topic_hints, ["Saltmarsh", "Dock strikes"])
        self.assertEqual(
            second.body,
            ["Fares on the estuary ferry will not rise this winter.",
             "The operator said fuel costs had fallen."],
        )  # fmt: skip
        self.assertIsNone(second.byline, "an address alone is not a byline")

    @time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC), tick=False)
    def test_the_entry_time_is_the_story_time_never_in_the_future(self) -> None:
        full = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        text = FEED.format(full=full).replace("Tue, 17 Nov 2026", "Tue, 17 Nov 2099")
        with tempfile.NamedTemporaryFile("w", suffix=".rss", delete=False) as handle:
            handle.write(text)
        call_command("ingest", handle.name, "--publish", stdout=StringIO(), stderr=StringIO())
        strike = Story.objects.get(headline__startswith="Saltmarsh")
        self.assertEqual(strike.published_at, dt.datetime(2026, 11, 16, 6, 15, tzinfo=dt.UTC))
        self.assertEqual(strike.status, Story.Status.PUBLISHED)
        ferry = Story.objects.get(headline__startswith="Ferry")
        self.assertEqual(ferry.status, Story.Status.PUBLISHED, "not scheduled for 2099")
        self.assertEqual(ferry.published_at, dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC))


class TextFactsTests(BaseTestCase):
    def test_a_story_without_a_photo_caption_keeps_its_standfirst(self) -> None:
        headline = "Saltmarsh dockworkers strike over new rota"
        with_byline = "\n\n".join([headline, STANDFIRST, "By Nadia Osei", *PARAGRAPHS])
        story = parse_text(with_byline)
        self.assertEqual((story.headline, story.standfirst), (headline, STANDFIRST))
        self.assertEqual(story.byline, "Nadia Osei")
        self.assertEqual(story.body, PARAGRAPHS)
        dated = [f"SALTMARSH, Estuary - {PARAGRAPHS[0]}", *PARAGRAPHS[1:]]
        story = parse_text("\n\n".join([headline, STANDFIRST, *dated]))
        self.assertEqual(story.standfirst, STANDFIRST, "the dateline marks where the body starts")
        self.assertEqual(story.body, dated)
        # With neither, the lead paragraph stays in the body.
        story = parse_text("\n\n".join([headline, *PARAGRAPHS]))
        self.assertEqual((story.standfirst, story.body), (None, PARAGRAPHS))
