"""The plain-text parser on invented stories shaped like text copied from news pages."""

from pathlib import Path

from django.test import SimpleTestCase

from ingest.chrome import match_line
from ingest.credits import find_credit, split_credit
from ingest.textparse import ParsedStory, parse_text

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def parse_fixture(name: str) -> ParsedStory:
    return parse_text((FIXTURES / name).read_text())


class CaptionFirstTests(SimpleTestCase):
    def setUp(self) -> None:
        self.story = parse_fixture("caption_first.txt")

    def test_caption_dateline_and_credit(self) -> None:
        image = self.story.image
        self.assertEqual(self.story.dateline, "MALINDI, KENYA - MARCH 3")
        assert image.caption is not None
        self.assertTrue(image.caption.startswith("MALINDI, KENYA - MARCH 3: Engineers inspect"))
        self.assertEqual(image.display_caption, "Engineers inspect a survey buoy off Malindi")
        self.assertEqual(image.credit, "Lena Brandt/Coastline Pictures")
        self.assertEqual(image.photographer, "Lena Brandt")
        self.assertEqual(image.agency, "Coastline Pictures")

    def test_body_is_the_reporting_only(self) -> None:
        body = self.story.body
        self.assertEqual(len(body), 5)
        self.assertTrue(body[0].startswith("Kestrel Energy said on Tuesday"))
        self.assertTrue(body[-1].startswith("Engineers will spend"))
        self.assertFalse(any("Copyright" in p or "alerts" in p for p in body))

    def test_chrome_is_kept_as_data(self) -> None:
        story = self.story
        self.assertEqual(story.alert_topic_hint, "Kestrel Energy")
        self.assertEqual(story.copyright_holder, "The Tidings Chronicle Ltd")
        self.assertEqual(story.copyright_year, 2026)
        self.assertIs(story.comments_enabled, False)
        self.assertEqual(story.topic_hints, ["Kestrel Energy", "Kenya", "Renewable energy"])
        rules = {b.rule for b in story.boilerplate}
        self.assertTrue(
            {"alert_topic", "copyright", "reuse", "comments_closed", "follow_topics"} <= rules
        )


class HeadlineBylineTests(SimpleTestCase):
    def test_top_matter(self) -> None:
        story = parse_fixture("headline_byline.txt")
        self.assertEqual(story.headline, "Lisbon mayor unveils plan for a car-free city centre")
        self.assertEqual(
            story.standfirst,
            "Tomás Ferreira wants to close the Baixa district to private cars within three years.",
        )
        self.assertEqual(story.byline, "Miguel Sousa")
        self.assertEqual(story.image.display_caption, "A tram in Lisbon's Alfama district")
        self.assertEqual(story.image.photographer, "Rita Lobo")
        self.assertEqual(story.image.agency, "Atlantic Images")
        self.assertEqual(story.image.credit, "Rita Lobo/Atlantic Images via Wire Service")
        self.assertIs(story.comments_enabled, True)
        self.assertEqual(
            (story.copyright_holder, story.copyright_year), ("Atlantic Daily Media", 2026)
        )
        self.assertEqual(len(story.body), 4)
        self.assertTrue(story.body[0].startswith("Tomás Ferreira, the mayor"))
        removed = {b.rule for b in story.boilerplate}
        self.assertTrue({"timestamp", "share", "advert", "newsletter", "byline"} <= removed)


class HardWrappedTests(SimpleTestCase):
    def test_wrapped_lines_are_joined_into_paragraphs(self) -> None:
        story = parse_fixture("hard_wrapped.txt")
        self.assertEqual(
            story.headline, "Malaria vaccine cuts severe cases by 70 per cent in trial"
        )
        self.assertEqual(len(story.body), 4)
        self.assertIn("by 70 per cent in a three-year trial", story.body[0])
        self.assertEqual(story.dateline, "KISUMU, Kenya")
        self.assertEqual(story.image.credit, "Joseph Mwangi/Lakeside Photo Agency")
        self.assertEqual(story.topic_hints, ["Malaria", "Public health", "Kenya"])
        self.assertEqual((story.copyright_holder, story.copyright_year), ("Lakeside Gazette", 2026))


class NoCaptionTests(SimpleTestCase):
    def test_headline_body_and_cookie_banner(self) -> None:
        story = parse_fixture("no_caption.txt")
        self.assertEqual(story.headline, "Northwind cabin crew strike grounds half of flights")
        self.assertEqual(len(story.body), 3)
        self.assertIsNone(story.image.caption)
        self.assertIsNone(story.comments_enabled)
        self.assertEqual([b.rule for b in story.boilerplate].count("cookie"), 2)


class ChromeRuleTests(SimpleTestCase):
    def test_reporting_that_mentions_chrome_words_stays(self) -> None:
        sentences = [
            "The bakery said its cookies sold out by noon.",
            "Copyright law was changed in 2019 to protect photographers.",
            "Readers can sign up for the council's consultation online until May.",
            "Comments made by the minister on Tuesday were criticised by the opposition.",
            "She said the newsletter she founded in 1998 now has 40,000 readers.",
            "Share prices fell 4 per cent in early trading.",
        ]
        for sentence in sentences:
            with self.subTest(sentence):
                self.assertIsNone(match_line(sentence))
                self.assertEqual(
                    parse_text(f"A headline\n{sentence}\nMore body.\nEnd.").body[0], sentence
                )

    def test_variants(self) -> None:
        cases = {
            "Receive alerts on Climate when new stories are published": "alert_topic",
            "© 2024 Acme News": "copyright",
            "Copyright © Acme News 2023": "copyright",
            "Comments are closed.": "comments_closed",
            "12 comments": "comments_open",
            "Listen to this article 4:32": "listen",
            "5 min read": "listen",
            "Most read": "related",
        }
        for line, rule in cases.items():
            with self.subTest(line):
                found = match_line(line)
                self.assertIsNotNone(found)
                assert found is not None
                self.assertEqual(found.rule.name, rule)


class CreditTests(SimpleTestCase):
    def test_credit_shapes(self) -> None:
        cases = {
            "A tram. (Photo by Rita Lobo/Atlantic Images)": ("Rita Lobo", "Atlantic Images"),
            "A tram. Photograph: Rita Lobo/Atlantic Images": ("Rita Lobo", "Atlantic Images"),
            "A tram. Credit: Atlantic Images": (None, "Atlantic Images"),
            "A tram. © Rita Lobo": ("Rita Lobo", None),
            "A tram. Rita Lobo/Atlantic Images via Wire Service": ("Rita Lobo", "Atlantic Images"),
        }
        for caption, (photographer, agency) in cases.items():
            with self.subTest(caption):
                found = find_credit(caption)
                assert found is not None
                text, credit = found
                self.assertEqual(text, "A tram.")
                self.assertEqual((credit.photographer, credit.agency), (photographer, agency))
        self.assertIsNone(find_credit("A tram in the Alfama Rita Lobo/Atlantic Images"))

    def test_no_credit(self) -> None:
        self.assertIsNone(find_credit("The minister spoke to reporters on Tuesday."))
        self.assertEqual(split_credit("AFP").agency, "AFP")


class BadTextTests(SimpleTestCase):
    def test_empty_and_control_characters(self) -> None:
        self.assertEqual(parse_text("").body, [])
        story = parse_text("Headline\x00 here\n\ufeffBody\u200b text.\x07\nMore.\nEnd.")
        self.assertEqual(story.headline, "Headline here")
        self.assertEqual(story.body[0], "Body text.")


class AddRuleTests(SimpleTestCase):
    def test_a_site_specific_rule_can_be_added(self) -> None:
        from ingest import chrome

        line = "Tap the star to save this story to your reading list"
        self.assertIsNone(match_line(line))
        rule = chrome._rule("save_prompt", r"^tap the star to save this story.*$")
        chrome.add_rule(rule)
        try:
            found = match_line(line)
            assert found is not None
            self.assertEqual(found.rule.name, "save_prompt")
        finally:
            chrome.RULES.remove(rule)
            chrome._ANY_RULE = chrome._any_rule(chrome.RULES)
