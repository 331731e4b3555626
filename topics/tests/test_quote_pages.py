"""Quotes beyond the pipeline: stored with the story, on the story and topic pages, in the API
and `ingest --json`, and the "when this person is quoted" follow."""

from pathlib import Path
from tempfile import TemporaryDirectory

from alerts.actions import fan_out, follow_topic
from alerts.models import Alert, Event, Follow
from ingest.tests import IngestCommandTestCase
from stories.models import Story
from topics.models import StoryTopic, Topic

BODY = (
    "Mara Lindqvist, chief executive of the Harbour Authority of Port Elsby, opened the new "
    "northern quay on Monday.\n\n"
    '"This is the largest investment the Harbour Authority has made," Ms Lindqvist said. '
    '"It will pay for itself in ten years."\n\n'
    'Critics had called the quay a "vanity project".'
)
MENTION_ONLY = (
    "Mara Lindqvist, chief executive of the Harbour Authority of Port Elsby, was not at the "
    "opening of the southern quay on Friday.\n\n"
    "The Harbour Authority said the quay would take its first ship in May."
)


class QuotePagesTests(IngestCommandTestCase):
    def quay_story(self) -> Story:
        return self.make_story("Port Elsby opens northern quay", topics=(), body=BODY)

    def test_quotes_are_stored_and_linked_to_the_speakers_topic(self) -> None:
        story = self.quay_story()
        quotes = list(story.quotes.all())
        full = [q for q in quotes if not q.partial]
        self.assertEqual(len(full), 1, [q.text for q in quotes])
        quote = full[0]
        self.assertEqual(quote.speaker_name, "Mara Lindqvist")
        self.assertTrue(quote.text.endswith("It will pay for itself in ten years."))
        assert quote.speaker_topic is not None
        self.assertEqual(quote.speaker_topic.name, "Mara Lindqvist")
        self.assertTrue(StoryTopic.objects.get(story=story, topic=quote.speaker_topic).quoted)
        self.assertTrue(any(q.partial and q.text == "vanity project" for q in quotes))
        # Re-tagging replaces the quotes rather than adding to them.
        from topics.actions import tag_story

        tag_story(story)
        self.assertEqual(story.quotes.count(), len(quotes))

    def test_the_story_and_topic_pages_show_who_said_what(self) -> None:
        story = self.quay_story()
        page = self.client.get(story.get_absolute_url())
        self.assertContains(page, "Who said what")
        topic = Topic.objects.get(name="Mara Lindqvist")
        self.assertContains(
            page, f'<a href="{topic.get_absolute_url()}">Mara Lindqvist</a>', html=False
        )
        self.assertContains(page, "This is the largest investment")
        self.assertNotContains(page, "<blockquote>vanity project</blockquote>", html=False)
        topic_page = self.client.get(topic.get_absolute_url())
        self.assertContains(topic_page, "Latest quotes")
        self.assertContains(topic_page, "It will pay for itself in ten years.")

    def test_the_api_lists_quotes(self) -> None:
        story = self.quay_story()
        data = self.client.get(f"/api/v1/stories/{story.pk}").json()
        speakers = {(q["speaker"], q["speaker_topic"], q["partial"]) for q in data["quotes"]}
        self.assertIn(("Mara Lindqvist", "mara-lindqvist", False), speakers)
        self.assertIn((None, None, True), speakers)
        for quote in data["quotes"]:
            self.assertEqual(set(quote), {"text", "speaker", "speaker_topic", "role", "partial"})

    def test_ingest_dry_run_prints_quotes(self) -> None:
        with TemporaryDirectory() as folder:
            path = Path(folder) / "quay.txt"
            path.write_text("Port Elsby opens northern quay\n\n" + BODY, encoding="utf-8")
            [record] = self.run_ingest(str(path), "--dry-run", "--json")
        full = [q for q in record["quotes"] if not q["partial"]]
        self.assertEqual([q["speaker"] for q in full], ["Mara Lindqvist"])
        self.assertEqual(full[0]["speaker_topic"], "mara-lindqvist")


class QuotedFollowTests(IngestCommandTestCase):
    def test_a_quoted_follow_alerts_only_when_the_person_is_quoted(self) -> None:
        first = self.make_story("Port Elsby opens northern quay", topics=(), body=BODY)
        for event in Event.objects.filter(story=first):
            fan_out(event.id)  # before alice follows: that story is not news to her
        mara = Topic.objects.get(name="Mara Lindqvist")
        follow_topic(self.alice, mara, scope=Follow.Scope.QUOTED)
        mentioned = self.make_story("Southern quay opens without Lindqvist", topics=(),
                                    body=MENTION_ONLY)  # fmt: skip
        self.assertTrue(StoryTopic.objects.filter(story=mentioned, topic=mara).exists(),
                        "the story is about her, but she says nothing in it")  # fmt: skip
        quoted = self.make_story("Lindqvist defends the quay", topics=(), body=BODY.replace(
            "opened the new northern quay on Monday", "defended the quay on Tuesday"))  # fmt: skip
        for story in (mentioned, quoted):
            for event in Event.objects.filter(story=story):
                fan_out(event.id)
        alerts = Alert.objects.filter(reader=self.alice)
        self.assertEqual({a.story_id for a in alerts}, {quoted.id})
        (reason,) = Alert.objects.get(reader=self.alice, story=quoted).reason_list
        self.assertEqual(str(reason), "because Mara Lindqvist is quoted")


class QuotedChoiceTests(IngestCommandTestCase):
    def test_places_and_themes_offer_no_quoted_follow(self) -> None:
        from alerts.forms import FollowForm
        from topics.actions import ensure_topic

        for kind, offered in ((Topic.Kind.PERSON, True), (Topic.Kind.PLACE, False),
                              (Topic.Kind.THEME, False)):  # fmt: skip
            topic = ensure_topic(f"A {kind}", kind)
            follow = follow_topic(self.alice, topic)
            field = FollowForm(instance=follow).fields["scope"]
            choices = [c[0] for c in getattr(field, "choices", [])]
            self.assertEqual("quoted" in choices, offered, kind)
