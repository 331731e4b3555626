"""Feeds: parsed from bytes we hold, hostile XML refused, one story per entry."""

import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from ingest.feeds import FeedError, parse_feed
from ingest.tests import IngestCommandTestCase
from ingest.tests.test_fetch import loopback_server

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


class ParseFeedTests(SimpleTestCase):
    def test_rss_with_full_content_and_a_teaser(self) -> None:
        feed = parse_feed((FEEDS / "chronicle.rss").read_bytes())
        self.assertEqual(feed.title, "The Harbour Ledger")
        full, teaser = feed.entries
        self.assertEqual(full.guid, "ledger-20261120-001")
        self.assertEqual(full.author, "Ana Costa")
        self.assertTrue(full.has_full_content)
        self.assertNotIn("<script", full.content or "", "feedparser sanitises entry HTML")
        self.assertFalse(teaser.has_full_content)

    def test_atom(self) -> None:
        (entry,) = parse_feed((FEEDS / "newsroom.atom").read_bytes()).entries
        self.assertEqual(entry.title, "Lake ferry service to resume after repairs")
        self.assertEqual(entry.link, "https://gazette.example/ferry-resumes")

    def test_hostile_and_broken_feeds_are_refused_with_the_reason(self) -> None:
        for name, message in {
            "billion_laughs.xml": "declares XML entities",
            "xxe.xml": "declares XML entities",
            "not_a_feed.xml": "no entries in this feed",
        }.items():
            with self.subTest(name), self.assertRaisesMessage(FeedError, message):
                parse_feed((FEEDS / name).read_bytes())

    def test_bytes_that_name_a_file_are_not_opened(self) -> None:
        with self.assertRaisesMessage(FeedError, "no entries"):
            parse_feed(str(FEEDS / "chronicle.rss").encode())


class IngestFeedTests(IngestCommandTestCase):
    def test_one_line_per_entry_using_full_content_or_the_linked_page(self) -> None:
        with loopback_server() as port, tempfile.TemporaryDirectory() as folder:
            feed = (
                (FEEDS / "chronicle.rss")
                .read_text()
                .replace(
                    "https://ledger.example/harbour/ferry-timetable",
                    f"http://127.0.0.1:{port}/page",
                )
            )
            path = Path(folder) / "feed.rss"
            path.write_text(feed)
            with self.settings(INGEST_FETCH_ALLOW=["127.0.0.1/32"]):
                lines = self.run_ingest(str(path), "--dry-run", "--json")
        full, teaser = lines
        self.assertEqual(full["entry"], "ledger-20261120-001")
        self.assertEqual(full["format"], "feed")
        self.assertEqual(full["headline"], "Harbour pilots vote to strike over night shifts")
        self.assertEqual(len(full["body"]), 4)
        self.assertEqual(full["byline"], "Ana Costa")
        self.assertEqual(teaser["format"], "feed+page")
        self.assertEqual(teaser["body"], ["A story."])

    def test_a_teaser_whose_page_cannot_be_fetched_falls_back_to_its_summary(self) -> None:
        lines = self.run_ingest(str(FEEDS / "chronicle.rss"), "--dry-run", "--json")
        teaser = lines[1]
        self.assertEqual(teaser["headline"], "New ferry timetable starts on Monday")
        self.assertIn("Ferries across the estuary", teaser["body"][0])
        self.assertIn("linked page not used", teaser["warnings"][0])

    def test_entities_behind_leading_whitespace_or_a_comment_are_still_refused(self) -> None:
        bomb = (FEEDS / "billion_laughs.xml").read_bytes()
        for prefix in (b"  \n", b"<!-- a comment -->\n", b"\xef\xbb\xbf \n<!-- x -->"):
            with self.subTest(prefix), self.assertRaisesMessage(FeedError, "declares XML entities"):
                parse_feed(prefix + bomb)

    def test_entities_are_refused_in_encodings_expat_cannot_read(self) -> None:
        doctype = '<!DOCTYPE rss [<!ENTITY x "EXPANDED">]>'
        body = '<rss version="2.0"><channel><title>T &x;</title><item><title>A &x;</title>'
        body += "<description>Words.</description></item></channel></rss>"
        for encoding in ("euc-jp", "shift_jis", "gb18030", "utf-7", "utf-16"):
            with self.subTest(encoding):
                xml = f'<?xml version="1.0" encoding="{encoding}"?>{doctype}{body}'
                data = xml.encode(encoding)
                with self.assertRaisesMessage(FeedError, "declares XML entities"):
                    parse_feed(data)
        with self.assertRaisesMessage(FeedError, "declares XML entities"):
            parse_feed(f"<?foo bar?>\n<?xml version='1.0'?>{doctype}{body}".encode())

    def test_a_feed_in_a_multibyte_encoding_is_read(self) -> None:
        xml = (
            '<?xml version="1.0" encoding="euc-jp"?><rss version="2.0"><channel><title>港</title>'
            "<item><title>港の船</title><description>船が着いた。</description></item></channel></rss>"
        )
        (entry,) = parse_feed(xml.encode("euc-jp")).entries
        self.assertEqual(entry.title, "港の船")

    def test_a_tag_with_thousands_of_attributes_is_refused_fast(self) -> None:
        import time

        attributes = " ".join(f'a{i}="v"' for i in range(20_000))
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel {attributes}><title>x</title>'
        xml += "<item><title>A</title></item></channel></rss>"
        started = time.monotonic()
        with self.assertRaisesMessage(FeedError, "a tag longer than 16,384 characters"):
            parse_feed(xml.encode())
        self.assertLess(time.monotonic() - started, 2)

    def test_an_unknown_encoding_is_a_refusal_and_later_inputs_are_read(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            bogus = Path(folder) / "bogus.rss"
            bogus.write_bytes(
                (FEEDS / "newsroom.atom").read_bytes().replace(b"utf-8", b"x-bogus", 1)
            )
            lines = self.run_ingest(
                str(bogus), str(FEEDS / "newsroom.atom"), "--dry-run", "--json", failures=1
            )
        self.assertIn("unknown character encoding", lines[0]["error"])
        self.assertEqual(lines[1]["headline"], "Lake ferry service to resume after repairs")

    def test_hostile_feeds_fail_alone(self) -> None:
        lines = self.run_ingest(
            str(FEEDS / "billion_laughs.xml"),
            str(FEEDS / "newsroom.atom"),
            "--dry-run",
            "--json",
            failures=1,
        )
        self.assertIn("declares XML entities", lines[0]["error"])
        self.assertEqual(lines[1]["headline"], "Lake ferry service to resume after repairs")

    def test_ingesting_a_feed_twice_creates_each_story_once(self) -> None:
        from stories.models import Story

        self.run_ingest(str(FEEDS / "newsroom.atom"), "--json")
        lines = self.run_ingest(str(FEEDS / "newsroom.atom"), "--json")
        self.assertEqual(Story.objects.filter(headline__startswith="Lake ferry").count(), 1)
        self.assertTrue(lines[0]["duplicate_of"].startswith("story:"))
