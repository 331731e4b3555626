"""HTML extraction on pages we wrote in the shapes news sites use."""

from pathlib import Path

from django.test import SimpleTestCase

from ingest.extract import extract_html
from ingest.textparse import ParsedStory

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def extract(name: str) -> ParsedStory:
    return extract_html((FIXTURES / name).read_text(), url=f"https://news.example/{name}")


class JsonLdArticleTests(SimpleTestCase):
    def setUp(self) -> None:
        self.story = extract("article_jsonld.html")

    def test_metadata(self) -> None:
        story = self.story
        self.assertEqual(story.headline, "ECB holds interest rates as inflation cools")
        self.assertEqual(
            story.standfirst,
            "The central bank left its main rate unchanged and hinted at a cut in the spring.",
        )
        self.assertEqual(story.byline, "Jonas Weber and Clara Moreau")
        self.assertEqual(story.published_at, "2026-11-20T13:45:00+00:00")
        self.assertEqual(story.canonical_url, "https://ledger.example/markets/ecb-holds-rates")
        self.assertEqual(story.site_name, "The Harbour Ledger")
        self.assertEqual(story.copyright_holder, "Harbour Ledger Media Ltd")
        self.assertEqual(story.copyright_year, 2026)

    def test_figure_caption_and_credit(self) -> None:
        image = self.story.image
        self.assertEqual(image.url, "https://ledger.example/images/ecb-tower.jpg")
        self.assertEqual(
            image.display_caption, "The European Central Bank's headquarters in Frankfurt"
        )
        self.assertEqual((image.photographer, image.agency), ("Jonas Keller", "Mainland Press"))
        self.assertEqual(self.story.dateline, "FRANKFURT, GERMANY - NOVEMBER 20")

    def test_body_has_no_chrome_and_every_paragraph(self) -> None:
        body = self.story.body
        self.assertEqual(len(body), 5, body)
        self.assertTrue(body[0].startswith("The European Central Bank held"))
        self.assertTrue(body[-1].startswith("The bank's next meeting"))
        joined = " ".join(body)
        for chrome in ("Advertisement", "Sign up", "Share on", "Copyright", "Read more"):
            self.assertNotIn(chrome, joined)

    def test_chrome_facts(self) -> None:
        story = self.story
        self.assertEqual(story.alert_topic_hint, "European Central Bank")
        self.assertIs(story.comments_enabled, False)
        self.assertEqual(story.topic_hints, ["European Central Bank", "Markets", "Germany"])


class PlainPageTests(SimpleTestCase):
    def test_page_without_metadata(self) -> None:
        story = extract("article_plain.html")
        self.assertEqual(story.headline, "Nairobi opens a new commuter rail line")
        self.assertEqual(story.byline, "Leah Otieno")
        self.assertEqual(len(story.body), 4)
        self.assertEqual(story.dateline, "NAIROBI, Kenya")
        self.assertEqual(story.image.url, "https://news.example/img/train.jpg")
        self.assertEqual(story.image.photographer, "Joseph Mwangi")
        self.assertIs(story.comments_enabled, True)
        self.assertEqual((story.copyright_holder, story.copyright_year), ("Lakeside Gazette", 2026))


class MalformedPageTests(SimpleTestCase):
    def test_unclosed_tags_and_broken_json_ld(self) -> None:
        story = extract("malformed.html")
        self.assertEqual(story.headline, "Brazil to host talks on green hydrogen exports")
        self.assertEqual(len(story.body), 3)
        self.assertIs(story.comments_enabled, False)

    def test_script_in_the_page_never_reaches_the_story(self) -> None:
        html = (
            "<html><body><article><h1>Headline here</h1>"
            + "<p>First paragraph of real reporting that is long enough to keep.</p>" * 3
            + "<script>alert('x')</script><p onclick=\"steal()\">Last <b>para</b>graph.</p>"
            "</article></body></html>"
        )
        story = extract_html(html)
        joined = " ".join(story.body)
        self.assertNotIn("alert(", joined)
        self.assertNotIn("<", joined)


class BogusCharsetTests(SimpleTestCase):
    def test_a_charset_no_codec_can_use_is_a_guess_not_a_crash(self) -> None:
        from ingest.pipeline import parse_bytes

        for charset in ("undefined", "punycode", "idna", "x-nonsense"):
            with self.subTest(charset):
                page = (
                    f'<html><head><meta charset="{charset}"></head><body><article>'
                    "<h1>Ferry fares frozen</h1><p>Fares on the estuary ferry will not rise this "
                    "winter, the operator said on Monday.</p></article></body></html>"
                ).encode()
                parsed = parse_bytes(page, fmt="html")
                self.assertEqual(parsed.story.headline, "Ferry fares frozen")
                parsed = parse_bytes(page, fmt="html", declared_encoding=charset)
                self.assertEqual(parsed.story.headline, "Ferry fares frozen")
