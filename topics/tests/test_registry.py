"""The registry in the database: the starter data, tagging on publish, re-tagging, curation."""

import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from alerts.actions import follow_topic
from alerts.models import Follow
from stories.actions import publish_story
from stories.models import Story
from tidings.test import BaseTestCase
from topics import actions
from topics.actions import merge_topics, pin_topic, unpin_topic
from topics.models import StoryTopic, Topic

NATO_STORY: dict[str, Any] = {
    "standfirst": "Allies agree to move troops east.",
    "body": "NATO defence ministers met in Brussels on Thursday.\n\n"
    "The North Atlantic Treaty Organization said 4,000 troops would move to Poland. "
    "Polish officials welcomed the decision.",
}


def tagged(story: Story) -> dict[str, StoryTopic]:
    return {row.topic.slug: row for row in story.story_topics.select_related("topic")}


class StarterRegistryTests(BaseTestCase):
    def test_countries_cities_organisations_and_themes_come_with_migrate(self) -> None:
        us = Topic.objects.get(slug="united-states")
        self.assertEqual(us.kind, Topic.Kind.PLACE)
        for alias in ("US", "U.S.", "American", "Americans", "America"):
            self.assertIn(alias, us.aliases)
        self.assertEqual(Topic.objects.get(slug="france").aliases.count("French"), 1)
        self.assertEqual(Topic.objects.get(slug="lagos").kind, Topic.Kind.PLACE)
        self.assertIn("NATO", Topic.objects.get(slug="nato").name)
        self.assertIn("WHO", Topic.objects.get(slug="world-health-organization").aliases)
        osce = Topic.objects.get(slug="organization-for-security-and-co-operation-in-europe")
        self.assertIn("OSCE", osce.aliases)
        # A state whose name a city took, named as news tells them apart
        self.assertEqual(Topic.objects.get(slug="washington-state").kind, Topic.Kind.PLACE)
        self.assertEqual(Topic.objects.get(slug="washington").kind, Topic.Kind.PLACE)
        self.assertIn("New York state", Topic.objects.get(slug="new-york-state").aliases)
        self.assertEqual(Topic.objects.get(slug="elections").kind, Topic.Kind.THEME)
        self.assertGreater(Topic.objects.filter(kind=Topic.Kind.PLACE).count(), 700)
        self.assertFalse(Topic.objects.filter(reviewed=False).exists())

    def test_turkey_is_named_as_news_names_it_and_an_old_registry_is_renamed(self) -> None:
        import importlib

        from django.apps import apps

        turkey = Topic.objects.get(slug="turkey")
        self.assertEqual(turkey.name, "Turkey")
        self.assertIn("Türkiye", turkey.aliases)
        # A registry loaded before: "Türkiye", with a follower, becomes Turkey and keeps both.
        turkey.delete()
        old = Topic.objects.create(name="Türkiye", slug="turkiye", kind=Topic.Kind.PLACE,
                                   aliases=["Turkish"], reviewed=True)  # fmt: skip
        follow_topic(self.alice, old)
        importlib.import_module("topics.migrations.0009_starter_renames").forwards(apps, None)
        renamed = Topic.objects.get(pk=old.pk)
        self.assertEqual((renamed.name, renamed.slug), ("Turkey", "turkey"))
        self.assertEqual(renamed.aliases[0], "Türkiye")
        self.assertIn("Turkish", renamed.aliases)
        self.assertFalse(Topic.objects.filter(slug="turkiye").exists())
        self.assertTrue(Follow.objects.filter(reader=self.alice, topic=renamed).exists())

    def test_the_security_council_is_one_topic_by_any_of_its_names(self) -> None:
        story = self.make_story(
            "UN Security Council meets on Sahel crisis", topics=(),
            body="The United Nations Security Council met on Friday. The Security Council "
            "will vote next week, a UN Security Council diplomat said.",
        )  # fmt: skip
        rows = [slug for slug in tagged(story) if "council" in slug]
        self.assertEqual(rows, ["united-nations-security-council"])

    def test_washington_state_is_not_the_capital(self) -> None:
        story = self.make_story(
            "Wildfires force evacuations in Washington state", topics=(),
            body="Thousands of people in Washington state were told to leave their homes as "
            "fires spread east of Seattle. The governor of Washington state declared an "
            "emergency.",
        )  # fmt: skip
        slugs = tagged(story)
        self.assertIn("washington-state", slugs)
        self.assertNotIn("washington", slugs)
        story = self.make_story(
            "Storm damages Caribbean islands", topics=(),
            body="Hurricane winds tore roofs off homes across the islands of Turks and Caicos "
            "on Tuesday, officials said.",
        )  # fmt: skip
        slugs = tagged(story)
        self.assertIn("turks-and-caicos-islands", slugs)
        self.assertNotIn("turkey", slugs)

    def test_a_tax_crackdown_or_a_political_rally_is_no_theme_of_its_own(self) -> None:
        story = self.make_story(
            "Tax office crackdown on influencers after rally", topics=(),
            body="The tax office has written to 9,000 influencers about unpaid tax, days after "
            "a rally of small traders outside parliament.",
        )  # fmt: skip
        slugs = tagged(story)
        self.assertNotIn("human-rights", slugs)
        self.assertNotIn("markets", slugs)
        story = self.make_story(
            "Police break up protest in a crackdown on dissent", topics=(),
            body="Riot police detained dozens in a crackdown on dissent, rights groups said.",
        )  # fmt: skip
        self.assertIn("human-rights", tagged(story))


class TagOnPublishTests(BaseTestCase):
    def test_publishing_tags_the_story_and_keeps_the_editors_topics(self) -> None:
        story = self.make_story("NATO ministers meet in Brussels", **NATO_STORY)
        rows = tagged(story)
        self.assertEqual(rows["nato"].origin, StoryTopic.Origin.TAGGER)
        self.assertEqual(rows["poland"].topic.kind, Topic.Kind.PLACE)
        # bob's topics (Kestrel Energy primary, Kenya, Climate) stay as he set them.
        self.assertEqual(rows["kestrel-energy"].role, StoryTopic.Role.PRIMARY)
        self.assertEqual(rows["kestrel-energy"].origin, StoryTopic.Origin.EDITOR)
        self.assertEqual(rows["nato"].role, StoryTopic.Role.ABOUT)
        story.refresh_from_db()
        self.assertEqual(story.primary_topic_id, rows["kestrel-energy"].topic_id)

    def test_without_an_editors_choice_the_tagger_picks_the_primary(self) -> None:
        story = self.make_story("NATO ministers meet in Brussels", topics=(), **NATO_STORY)
        story.refresh_from_db()
        self.assertEqual(story.primary_topic, Topic.objects.get(slug="nato"))
        self.assertEqual(tagged(story)["nato"].role, StoryTopic.Role.PRIMARY)

    def test_new_names_become_unreviewed_topics(self) -> None:
        story = self.make_story(
            "Odalys Quintero named port chief",
            topics=(),
            body="Odalys Quintero will run the port. Quintero starts in May.\n\n"
            "Quintero said the harbour would reopen.",
        )
        topic = Topic.objects.get(slug="odalys-quintero")
        self.assertFalse(topic.reviewed)
        self.assertEqual(topic.kind, Topic.Kind.PERSON)
        self.assertIn("odalys-quintero", tagged(story))
        self.assertEqual(self.client.get(topic.get_absolute_url()).status_code, 200)

    def test_an_ingested_alert_hint_is_primary(self) -> None:
        story = self.make_story("NATO ministers meet", topics=(), topic_hint="Poland", **NATO_STORY)
        story.refresh_from_db()
        self.assertEqual(story.primary_topic, Topic.objects.get(slug="poland"))

    def test_tags_go_out_with_the_alerts(self) -> None:
        follow_topic(self.alice, Topic.objects.get(slug="nato"))
        story = self.make_story("NATO ministers meet", topics=(), publish=False, **NATO_STORY)
        immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        with self.settings(TASKS=immediate), self.captureOnCommitCallbacks(execute=True):
            publish_story(story)
        self.assertTrue(self.alice.alerts.filter(story=story).exists())

    @override_settings(TAGGING_MODEL="")
    def test_tagging_carries_on_without_the_model(self) -> None:
        actions._tagger = None
        with self.assertLogs("topics.tagging.model", "WARNING"):
            story = self.make_story("NATO ministers meet", topics=(), **NATO_STORY)
        self.assertIn("nato", tagged(story))
        actions._tagger = None


class RetagTests(BaseTestCase):
    def test_retag_all_finds_a_new_alias_and_keeps_pins(self) -> None:
        story = self.make_story(
            "Harbour board meets",
            topics=(),
            body="The Ostrava Shipping Line said it would cut fares. The OSL runs ten ferries.",
        )
        rail = Topic.objects.create(
            name="Railways", slug="railways", kind=Topic.Kind.THEME, reviewed=True
        )
        pin_topic(story, rail)
        Topic.objects.filter(slug="ostrava-shipping-line").delete()
        line = Topic.objects.create(
            name="Ostrava Shipping Line", slug="osl-group", kind=Topic.Kind.ORGANISATION,
            aliases=["OSL"], reviewed=True,
        )  # fmt: skip
        out, err = StringIO(), StringIO()
        call_command("retag", "--all", stdout=out, stderr=err)
        self.assertIn("Re-tagged 1 stories", out.getvalue())
        self.assertIn("retag 1/1", err.getvalue())
        rows = tagged(story)
        self.assertEqual(rows["osl-group"].topic, line)
        self.assertEqual(rows["railways"].origin, StoryTopic.Origin.EDITOR, "pinned stays")
        unpin_topic(story, rail)
        self.assertNotIn("railways", tagged(story), "unpinned, and the text never names it")

    def test_retagging_the_archive_tells_followers_nothing(self) -> None:
        from alerts.actions import follow_topic
        from alerts.models import Alert, Event

        story = self.make_story(
            "Harbour board meets", topics=(),
            body="The Ostrava Shipping Line said it would cut fares. The OSL runs ten ferries.",
        )  # fmt: skip
        line = Topic.objects.create(
            name="Ostrava Ferries Group", slug="ostrava-ferries", kind=Topic.Kind.ORGANISATION,
            aliases=["Ostrava Shipping Line", "OSL"], reviewed=True,
        )  # fmt: skip
        follow_topic(self.alice, line)
        events = Event.objects.count()
        call_command("retag", "--all", stdout=StringIO(), stderr=StringIO())
        self.assertIn("ostrava-ferries", tagged(story), "the new topic is on the old story")
        self.assertEqual(Event.objects.count(), events, "no fan-out for an old story")
        self.assertFalse(Alert.objects.filter(reader=self.alice).exists())

    def test_retag_since_topic_and_resume(self) -> None:
        first = self.make_story("NATO talks", topics=(), **NATO_STORY)
        second = self.make_story("More NATO talks", topics=(), **NATO_STORY)
        StoryTopic.objects.filter(origin=StoryTopic.Origin.TAGGER).delete()
        out = StringIO()
        call_command("retag", "--topic", "nato", "--after-id", str(first.id), stdout=out,
                     stderr=StringIO())  # fmt: skip
        self.assertIn("Re-tagged 1 stories", out.getvalue())
        self.assertNotIn("nato", tagged(first))
        self.assertIn("nato", tagged(second))
        call_command("retag", "--since", "2000-01-01", stdout=out, stderr=StringIO())
        self.assertIn("nato", tagged(first))


class CurationTests(BaseTestCase):
    def test_merge_moves_stories_followers_and_names_and_redirects(self) -> None:
        story = self.make_story(topics=(("Kestrel Power", "organisation"),))
        other = self.make_story("Second", topics=(("Kestrel Energy", "organisation"),))
        loser = Topic.objects.get(slug="kestrel-power")
        survivor = Topic.objects.get(slug="kestrel-energy")
        follow_topic(self.alice, loser)
        follow_topic(self.alice, survivor, cadence="daily")
        follow_topic(self.charlie, loser)
        merge_topics(loser, survivor)
        self.assertEqual(
            set(Follow.objects.values_list("reader__username", "topic__slug", "cadence")),
            {("alice", "kestrel-energy", "daily"), ("charlie", "kestrel-energy", "instant")},
        )
        self.assertIn("kestrel-energy", tagged(story))
        self.assertIn("kestrel-energy", tagged(other))
        self.assertNotIn("kestrel-power", tagged(story))
        story.refresh_from_db()
        self.assertEqual(story.primary_topic, survivor)
        survivor.refresh_from_db()
        self.assertIn("Kestrel Power", survivor.aliases)
        response = self.client.get(reverse("topics:detail", args=["kestrel-power"]))
        self.assertRedirects(response, survivor.get_absolute_url(), status_code=301)
        with self.assertRaises(ValueError):
            merge_topics(survivor, survivor)

    def test_merge_from_the_admin_form(self) -> None:
        self.make_story(topics=(("Kestrel Power", "organisation"),))
        loser = Topic.objects.get(slug="kestrel-power")
        survivor = Topic.objects.get(slug="kenya")
        self.client.force_login(self.bob)
        response = self.client.post(
            reverse("admin:topics_topic_change", args=[loser.pk]),
            {"name": loser.name, "slug": loser.slug, "kind": loser.kind, "aliases": "[]",
             "description": "", "reviewed": "on", "merged_into": survivor.pk},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        loser.refresh_from_db()
        self.assertEqual(loser.merged_into, survivor)
        self.assertFalse(loser.story_topics.exists())

    def test_topic_page_draws_weekly_chart_and_related_topics(self) -> None:
        self.make_story("One", topics=(("Kenya", "place"), ("Lamu", "place")))
        self.make_story("Two", topics=(("Kenya", "place"), ("Lamu", "place")))
        response = self.client.get(reverse("topics:detail", args=["kenya"]))
        self.assertContains(response, '<svg viewBox="0 0 520 150"')
        self.assertContains(response, "Stories per week, last 26 weeks: 2 in all")
        self.assertContains(response, "2 stories</title>")
        # Labelled axes: weeks below, story counts (0 up to the peak) on the left.
        self.assertContains(response, ">Week starting (Monday)</text>")
        self.assertContains(response, ">Stories</text>")
        self.assertRegex(response.content.decode(), r'label--y">0</text>.*label--y">2</text>')
        self.assertGreaterEqual(response.content.decode().count('topic-chart__label--x">'), 6)
        # The text alternative: a table of every week.
        self.assertContains(response, 'aria-describedby="chart-table"')
        self.assertContains(response, '<th scope="col">Week starting</th>', html=False)
        self.assertEqual(response.content.decode().count("<tr><td>"), 26)
        self.assertContains(response, 'href="/topics/lamu/">Lamu</a> <span class="topic-meta">2')


class CommandTests(BaseTestCase):
    def test_evaluate_tagging_on_the_shipped_gold_set(self) -> None:
        out = StringIO()
        gold = Path(actions.__file__).parent / "gold" / "invented.jsonl"
        call_command("evaluate_tagging", str(gold), stdout=out)
        self.assertRegex(out.getvalue(), r"precision 0\.\d+ +recall 0\.\d+ +F1 0\.\d+")
        self.assertRegex(out.getvalue(), r"primary hit rate 0\.\d+ \(\d+/24\)")

    def test_evaluate_tagging_on_a_sel_shaped_set_lists_the_kinds_counted_wrong(self) -> None:
        # An invented set in the SEL dev set's shape, and a scorer of the same interface
        # (the real one stays in ../shared, beside its data, and so does this stand-in).
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder)
        story = {
            "id": "story-1",
            "title": "Corvane Holdings fined in Dunmore",
            "text": "Corvane Holdings was fined by regulators in Dunmore on Monday.",
            "gold_entities": [
                {"name": "Corvane Holdings", "type": "place"},
                {"name": "Dunmore Council", "type": "organization"},
            ],
        }
        (folder / "sel-dev.jsonl").write_text(json.dumps(story) + "\n")
        (folder / "score.py").write_text(
            "import json, sys\n"
            "KIND = {'organisation': 'organization', 'place': 'place', 'person': 'person'}\n"
            "def norm(s): return ' '.join(str(s or '').lower().split())\n"
            "def match_entity(name, e):\n"
            "    a, b = set(norm(name).split()), set(norm(e['name']).split())\n"
            "    return bool(a) and (a <= b or b <= a)\n"
            "if __name__ == '__main__': print('P@5 1.000')\n"
        )
        out = StringIO()
        call_command(
            "evaluate_tagging", "--sel", str(folder / "sel-dev.jsonl"), "--predictions",
            str(folder / "pred.jsonl"), "--kind-errors", stdout=out,
        )  # fmt: skip
        text = out.getvalue()
        self.assertIn("P@5 1.000", text)
        self.assertRegex(text, r"kinds counted wrong: \d+ \(1 matched by the whole name")
        self.assertIn(
            "story-1  Corvane Holdings (organisation) vs Corvane Holdings (place), by name", text
        )
        predicted = json.loads((folder / "pred.jsonl").read_text())
        self.assertEqual(predicted["id"], "story-1")

    def test_ingest_dry_run_reports_topics_and_writes_nothing(self) -> None:
        topics_before = Topic.objects.count()
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("NATO ministers meet in Brussels\n\n" + NATO_STORY["body"])
        out = StringIO()
        call_command("ingest", "--dry-run", "--json", f.name, stdout=out)
        record = json.loads(out.getvalue())
        nato = next(t for t in record["topics"] if t["slug"] == "nato")
        self.assertEqual(set(nato), {"name", "slug", "kind", "salience", "role", "mentions"})
        self.assertEqual(nato["role"], "primary")
        self.assertEqual(Topic.objects.count(), topics_before)
        self.assertFalse(Story.objects.exists())


class EditorMemoryTests(BaseTestCase):
    def story(self, headline: str, body: str) -> "Story":
        return self.make_story(headline, topics=(), body=body)

    def test_a_rejected_topic_is_never_proposed_again(self) -> None:
        from topics.actions import reject_topics

        body = (
            "Harbour City Rowing Club members met on Sunday. Harbour City Rowing Club will race "
            "again in May, the Harbour City Rowing Club secretary said."
        )
        first = self.story("Rowers meet", body)
        self.assertIn("harbour-city-rowing-club", tagged(first))
        self.client.force_login(self.bob)
        topic = Topic.objects.get(slug="harbour-city-rowing-club")
        response = self.client.post(
            "/admin/topics/topic/", {"action": "reject", "_selected_action": [topic.id]}
        )
        self.assertEqual(response.status_code, 302)
        self.assertNotIn("harbour-city-rowing-club", tagged(first), "its tagger rows went")
        later = self.story("Rowers race", body.replace("Sunday", "Saturday"))
        self.assertFalse(
            StoryTopic.objects.filter(story=later, topic__name__icontains="Rowing").exists()
        )
        self.assertEqual(reject_topics(Topic.objects.none()), 0)

    def test_a_kind_or_alias_an_editor_fixes_is_used_on_later_stories(self) -> None:
        body = "Pellew said the plan would work. Pellew has led the port for ten years."
        self.story("Port chief Pellew speaks", body)
        topic = Topic.objects.get(slug="pellew")
        topic.kind, topic.aliases, topic.reviewed = Topic.Kind.PERSON, ["Captain Pellew"], True
        topic.name = "Edwina Pellew"
        topic.save()
        later = self.story(
            "Captain Pellew retires", "Captain Pellew retired on Friday after ten years."
        )
        row = tagged(later)["pellew"]
        self.assertEqual(row.topic.kind, Topic.Kind.PERSON)
        self.assertEqual(row.evidence["kind_from"], "the registry")

    def test_the_admin_says_why_a_topic_was_proposed(self) -> None:
        story = self.story(
            "Ostrava Shipping Line cuts fares",
            "The Ostrava Shipping Line said it would cut fares. The OSL runs ten ferries.",
        )
        row = StoryTopic.objects.filter(story=story, origin=StoryTopic.Origin.TAGGER).first()
        assert row is not None
        self.assertGreaterEqual(row.evidence["mentions"], 1)
        self.client.force_login(self.bob)
        page = self.client.get(f"/admin/topics/storytopic/?story__id__exact={story.id}")
        self.assertContains(page, "mentions (")
        self.assertContains(page, "kind ")

    def test_an_unreviewed_topics_kind_follows_its_stories_evidence(self) -> None:
        # The tagger made it an organisation from its first story; no editor has checked it.
        topic = Topic.objects.create(
            name="Halden Rusk", slug="halden-rusk", kind=Topic.Kind.ORGANISATION, reviewed=False
        )
        body = (
            "Congresswoman Halden Rusk left hospital on Friday, her doctors said. Halden Rusk, "
            "54, thanked the nurses.\n\nRusk said she would return to work in May."
        )
        first = self.story("Halden Rusk leaves hospital", body)
        row = tagged(first)["halden-rusk"]
        self.assertEqual(row.evidence["kind"], "person", "this story's evidence outweighs it")
        self.assertGreater(row.evidence["kind_votes"]["person"], 2)
        topic.refresh_from_db()
        self.assertEqual(topic.kind, Topic.Kind.PERSON, "the stories' evidence, taken together")
        # An editor's kind is final: the admin marks it reviewed, and stories no longer move it.
        self.client.force_login(self.bob)
        response = self.client.post(
            reverse("admin:topics_topic_change", args=[topic.pk]),
            {"name": topic.name, "slug": topic.slug, "kind": "organisation", "aliases": "[]",
             "description": ""},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        topic.refresh_from_db()
        self.assertTrue(topic.reviewed)
        later = self.story("Halden Rusk returns", body.replace("Friday", "Monday"))
        self.assertEqual(tagged(later)["halden-rusk"].evidence["kind_from"], "the registry")
        topic.refresh_from_db()
        self.assertEqual(topic.kind, Topic.Kind.ORGANISATION)

    def test_one_story_does_not_flip_a_kind_its_earlier_stories_settled(self) -> None:
        topic = Topic.objects.create(
            name="Corvan Vale", slug="corvan-vale", kind=Topic.Kind.PLACE, reviewed=False
        )
        for day in ("Monday", "Tuesday", "Wednesday"):
            self.story(f"Floods in Corvan Vale on {day}",
                       f"Roads near Corvan Vale closed on {day}. The town of Corvan Vale "
                       "waited for the water to fall.")  # fmt: skip
        topic.refresh_from_db()
        self.assertEqual(topic.kind, Topic.Kind.PLACE)
        self.story("Corvan Vale speaks", "Ms Vale said the Corvan Vale plan was sound.")
        topic.refresh_from_db()
        self.assertEqual(topic.kind, Topic.Kind.PLACE, "three stories outweigh one")
