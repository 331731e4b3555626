"""Search as readers use it: the page, the index kept in step, saved searches that alert."""

import datetime as dt
import json
import re
from typing import Any

import time_machine
from django.utils import timezone

from accounts.models import Cadence
from alerts.actions import deliver_due, fan_out, follow_topic
from alerts.models import Alert, Delivery, Event
from alerts.tokens import make_token
from search import actions, index
from search.models import SavedSearch, SearchMatch
from search.query import QueryError, parse
from stories.actions import edit_story, ensure_publisher, unpublish_story
from stories.models import Story
from tidings.test import BaseTestCase, SMTPSink, body_of
from topics.models import Topic

KENYA = ("Kenya", Topic.Kind.PLACE)
ENERGY = ("Kestrel Energy", Topic.Kind.ORGANISATION)
RUTO = ("Amina Ruto", Topic.Kind.PERSON)
NOW = dt.datetime(2031, 3, 4, 12, 0, tzinfo=dt.UTC)


class SearchCase(BaseTestCase):
    def setUp(self) -> None:
        self.clock = time_machine.travel(NOW, tick=True)
        self.clock.start()
        self.addCleanup(self.clock.stop)

    def story(self, headline: str, body: str, **fields: Any) -> Story:
        fields.setdefault("topics", (KENYA,))
        return self.make_story(headline, body=body, **fields)

    def hits(self, text: str, **filters: Any) -> list[str]:
        found = index.find(parse(text), Story.objects.published().filter(**filters), limit=50)
        by_id = Story.objects.in_bulk(found.ids)
        return [by_id[i].headline for i in found.ids]


class EngineTests(SearchCase):
    def setUp(self) -> None:
        super().setUp()
        self.wind = self.story(
            "Kestrel Energy builds an offshore wind farm",
            "The turbines will stand off the coast near Malindi.\n\nWork begins in May.",
            topics=(ENERGY, KENYA),
            standfirst="Forty turbines for the Kenyan coast.",
        )
        self.solar = self.story(
            "Solar panels for every school in Kisumu",
            "The county will fit panels on 300 roofs. Wind was considered and dropped.",
            standfirst="A county plan for cheaper power.",
            byline="Peter Otieno",
        )
        self.rail = self.story(
            "Nairobi opens a commuter rail line",
            "Trains run every ten minutes to Zürich-style timetables.",
            topics=(("Nairobi", Topic.Kind.PLACE),),
            standfirst="The first of three lines.",
        )

    def test_words_phrases_or_exclusions_and_groups(self) -> None:
        self.assertEqual(self.hits("offshore turbines"), [self.wind.headline])
        self.assertEqual(self.hits('"wind farm"'), [self.wind.headline])
        self.assertEqual(self.hits('"farm wind"'), [])
        self.assertCountEqual(self.hits("rail OR solar"), [self.rail.headline, self.solar.headline])
        self.assertEqual(self.hits("wind -turbines"), [self.solar.headline])
        self.assertEqual(self.hits("(trains OR panels) -Kisumu"), [self.rail.headline])

    def test_stems_accents_bylines_and_topics(self) -> None:
        self.assertEqual(self.hits("turbine"), [self.wind.headline])
        self.assertEqual(self.hits("zurich"), [self.rail.headline])
        self.assertEqual(self.hits("Otieno"), [self.solar.headline])
        self.assertEqual(self.hits("topic:kestrel-energy"), [self.wind.headline])
        self.assertCountEqual(self.hits("topic:kenya"), [self.wind.headline, self.solar.headline])
        self.assertEqual(self.hits("topic:kenya -wind"), [])

    def test_a_headline_word_ranks_above_a_passing_one_in_the_text(self) -> None:
        self.assertEqual(self.hits("wind"), [self.wind.headline, self.solar.headline])

    def test_edits_and_unpublishing_keep_the_index_in_step(self) -> None:
        edit_story(self.rail, body="Trams replace the buses on Moi Avenue.")
        self.assertEqual(self.hits("trams"), [self.rail.headline])
        self.assertEqual(self.hits("trains"), [])
        unpublish_story(self.solar)
        self.assertEqual(self.hits("panels"), [])
        self.solar.refresh_from_db()
        from stories.actions import publish_story

        publish_story(self.solar)
        self.assertEqual(self.hits("panels"), [self.solar.headline])

    def test_reindex_rebuilds_from_the_published_stories(self) -> None:
        index.clear()
        self.assertEqual(self.hits("wind"), [])
        self.assertEqual(actions.reindex(), 3)
        self.assertEqual(index.count(), 3)
        self.assertEqual(self.hits("wind"), [self.wind.headline, self.solar.headline])


class PageTests(SearchCase):
    def setUp(self) -> None:
        super().setUp()
        other = ensure_publisher("coast", name="Coast Weekly", copyright_holder="Coast Weekly")
        self.old = self.story(
            "Kenya's drought eases after the long rains",
            "Farmers near Garissa <b>planted</b> again in April.",
            publisher=other,
            slug="kenya-drought-eases",
        )
        Story.objects.filter(pk=self.old.pk).update(published_at=NOW - dt.timedelta(days=40))
        self.new = self.story(
            "Amina Ruto asks for drought funds",
            "The minister said the drought had cost farmers two harvests. " * 8
            + "Rains came late.",
            topics=(RUTO, KENYA),
        )

    def get(self, **params: str) -> Any:
        return self.client.get("/search/", params)

    def test_the_header_of_every_page_has_the_search_box(self) -> None:
        for path in ("/", "/topics/", self.new.get_absolute_url()):
            self.assertContains(self.client.get(path), 'action="/search/"')

    def test_results_are_ranked_marked_and_escaped(self) -> None:
        response = self.get(q="drought farmers")
        self.assertContains(response, "2 stories match")
        page = response.content.decode()
        self.assertLess(page.index("Amina Ruto asks"), page.index("eases after the long rains"))
        self.assertIn("<mark>drought</mark>", page)
        self.assertIn("<mark>Farmers</mark>", page)
        self.assertNotIn("<b>planted</b>", page)  # the body's markup is text, never markup
        snippet = re.search(r'search-result__snippet">(.*?)</p>', page, re.S)
        assert snippet is not None
        self.assertLessEqual(len(snippet.group(1).split()), 45, "a snippet, not the whole text")

    def test_filters_by_topic_kind_publisher_and_dates(self) -> None:
        self.assertContains(self.get(q="drought", topic="amina-ruto"), "1 story matches")
        self.assertContains(self.get(q="drought", kind="person"), "Amina Ruto asks")
        self.assertNotContains(self.get(q="drought", kind="person"), "eases after the long rains")
        self.assertContains(self.get(q="drought", publisher="coast"), "1 story matches")
        since = (NOW - dt.timedelta(days=7)).date().isoformat()
        self.assertContains(self.get(q="drought", since=since), "1 story matches")
        until = (NOW - dt.timedelta(days=30)).date().isoformat()
        self.assertContains(self.get(q="drought", until=until), "eases after the long rains")
        response = self.get(q="drought", since=since, until=until)
        self.assertContains(
            response, "end of the date range comes before its start", status_code=400
        )
        response = self.get(q="drought", until="9999-12-31")
        self.assertContains(response, "Choose a date between", status_code=400)
        response = self.get(q="drought", topic="kenya-typo")
        self.assertContains(response, "No topic has the address name “kenya-typo”")

    def test_newest_first_on_request(self) -> None:
        page = self.get(q="drought", sort="newest").content.decode()
        self.assertLess(page.index("Amina Ruto asks"), page.index("eases after the long rains"))
        Story.objects.filter(pk=self.new.pk).update(published_at=NOW - dt.timedelta(days=90))
        page = self.get(q="drought", sort="newest").content.decode()
        self.assertLess(page.index("eases after the long rains"), page.index("Amina Ruto asks"))

    def test_pages_keep_the_query_and_filters(self) -> None:
        for n in range(25):
            self.story(f"Drought bulletin number {n}", "Rain gauges stayed dry.")
        response = self.get(q="drought", kind="place")
        self.assertContains(response, "Page 1 of 2")
        self.assertContains(response, "?q=drought&amp;kind=place&amp;page=2")
        self.assertContains(self.get(q="drought", kind="place", page="2"), "Page 2 of 2")
        self.assertContains(self.get(q="drought", kind="place", page="40"), "Page 2 of 2")
        self.assertEqual(self.get(q="drought", page="junk").status_code, 200)

    def test_no_results_help_and_unknown_topics(self) -> None:
        response = self.get(q="volcano")
        self.assertContains(response, "No stories match")
        self.assertContains(response, "wind OR solar")
        self.assertContains(
            self.get(q="topic:atlantis"), "No topic has the address name “atlantis”"
        )

    def test_a_malformed_query_gets_its_message_never_a_500(self) -> None:
        response = self.get(q='"drought')
        self.assertContains(response, "The quote at character 1 is never closed", status_code=400)
        for text in ["-drought", "(", "x" * 600, "a OR", "topic:", "\x00", "NEAR(a b)", "*"]:
            with self.subTest(text=text[:10]):
                self.assertIn(self.get(q=text).status_code, (200, 400))

    def test_topic_finder_answers_as_you_type(self) -> None:
        response = self.client.get("/topics/", {"q": "rut"}, headers={"HX-Request": "true"})
        self.assertContains(response, "Amina Ruto")
        self.assertNotContains(response, "<html")
        response = self.client.get("/topics/", {"q": "zzz"}, headers={"HX-Request": "true"})
        self.assertContains(response, "No topic starts with “zzz”")
        self.assertContains(self.client.get("/topics/", {"q": "ken"}), "Kenya")
        self.assertEqual(response["Vary"].count("HX-Request"), 1)
        self.story(
            "Tomás Ferreira opens the Åland ferry",
            "A ferry.",
            topics=(("Tomás Ferreira", "person"), ("Åland Islands", "place")),
        )
        for typed in ("tomas", "TOMÁS", "ferr", "åland", "aland", "islands"):
            response = self.client.get("/topics/", {"q": typed}, headers={"HX-Request": "true"})
            name = "Tomás Ferreira" if typed[0] in "tTf" else "Åland Islands"
            self.assertContains(response, name)


class SavedSearchTests(SearchCase):
    def publish(self, headline: str, body: str, **fields: Any) -> Story:
        story = self.story(headline, body, **fields)
        fan_out(Event.objects.filter(story=story).latest("id").id)
        return story

    def test_alert_me_on_this_search_from_the_results_page(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/search/", {"q": "offshore wind -Uganda"})
        self.assertContains(response, "Alert me on this search")
        response = self.client.post("/search/save/", {"q": "offshore wind -Uganda"}, follow=True)
        self.assertContains(response, "You will get an alert when a new story matches")
        self.assertContains(response, "You get alerts on this search")
        search = SavedSearch.objects.get(reader=self.alice)
        self.assertEqual(search.query, "offshore wind -Uganda")
        self.assertContains(self.client.get("/alerts/my/topics/"), "offshore wind -Uganda")

    def test_signed_out_readers_are_sent_to_sign_in_and_bad_searches_are_refused(self) -> None:
        response = self.client.post("/search/save/", {"q": "wind"})
        self.assertEqual(response.status_code, 302)
        self.assertIn("/login/", response["Location"])
        self.client.force_login(self.alice)
        response = self.client.post("/search/save/", {"q": "-Kenya"}, follow=True)
        self.assertContains(
            response, "Not saved: &#x27;-Kenya&#x27; only excludes words", status_code=400
        )
        self.assertFalse(SavedSearch.objects.exists())

    def test_a_matching_story_alerts_by_email_and_in_app_with_the_reason(self) -> None:
        actions.save_search(self.alice, "offshore wind -Uganda")
        actions.save_search(self.charlie, "solar")
        story = self.publish(
            "Kestrel Energy builds an offshore wind farm", "Turbines off the Kenyan coast."
        )
        self.publish("Uganda studies offshore wind on Lake Victoria", "A wind survey.")
        alert = Alert.objects.get()
        self.assertEqual((alert.reader, alert.story), (self.alice, story))
        (reason,) = alert.reason_list
        self.assertEqual(str(reason), "matches your search 'offshore wind -Uganda'")
        self.client.force_login(self.alice)
        self.assertContains(
            self.client.get("/alerts/notifications/"),
            "matches your search &#x27;offshore wind -Uganda&#x27;",
        )
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 1)
        (mail,) = sink.messages
        self.assertEqual(mail["Subject"], story.headline)
        self.assertIn("Matches your search 'offshore wind -Uganda'", body_of(mail, "plain"))
        self.assertIn("/alerts/one-click/", mail["List-Unsubscribe"])

    def test_one_alert_per_story_when_a_follow_and_searches_match(self) -> None:
        kenya = self.make_story("Setup", topics=(KENYA,), publish=False).primary_topic
        assert kenya is not None
        follow_topic(self.alice, kenya, cadence=Cadence.DAILY)
        actions.save_search(self.alice, "wind")
        actions.save_search(self.alice, "turbines OR blades")
        self.publish("A wind farm for the coast", "Forty turbines.", topics=(KENYA,))
        alert = Alert.objects.get()
        self.assertEqual(alert.cadence, Cadence.INSTANT, "the most eager of them decides")
        self.assertEqual(
            sorted(str(r) for r in alert.reason_list),
            [
                "because you follow Kenya, the story's primary topic",
                "matches your search 'turbines OR blades'",
                "matches your search 'wind'",
            ],
        )
        self.assertEqual(Delivery.objects.filter(channel="email").count(), 1)

    def test_a_burst_on_one_search_goes_as_one_email_after_the_first(self) -> None:
        from alerts.actions import BURST_WINDOW

        actions.save_search(self.alice, "tram")
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.publish("Trams for Nairobi", "A tram line.", topics=())
            deliver_due()
            for n in range(3):
                self.publish(f"Tram line {n} opens", "Another tram.", topics=())
                deliver_due()  # held: the search had an alert minutes ago
            self.assertEqual(len(sink.messages), 1)
            with time_machine.travel(timezone.now() + BURST_WINDOW + dt.timedelta(seconds=5)):
                deliver_due()
        self.assertEqual(len(sink.messages), 2)
        self.assertEqual(sink.messages[1]["Subject"], "3 new stories on Search: tram")

    def test_muted_snoozed_off_and_digest_searches_are_honoured(self) -> None:
        actions.save_search(self.alice, "wind", muted=True)
        actions.save_search(self.charlie, "wind", snoozed_until=NOW + dt.timedelta(days=2))
        actions.save_search(self.bob, "wind", cadence=Cadence.OFF)
        self.publish("A wind farm for the coast", "Forty turbines.")
        self.assertFalse(Alert.objects.exists())
        search = SavedSearch.objects.get(reader=self.alice)
        actions.update_search(search, muted=False, cadence=Cadence.DAILY)
        self.publish("Another wind farm", "Sixty turbines.")
        alert = Alert.objects.get()
        self.assertEqual((alert.reader, alert.cadence), (self.alice, Cadence.DAILY))
        self.assertFalse(Delivery.objects.exists(), "a digest alert waits for its slot")

    def test_running_the_fan_out_again_adds_nothing(self) -> None:
        search = actions.save_search(self.alice, "wind")
        story = self.publish("A wind farm for the coast", "Forty turbines.")
        event = Event.objects.get(story=story)
        Event.objects.filter(pk=event.pk).update(fanned_out_at=None)
        fan_out(event.id)
        self.assertEqual(Alert.objects.count(), 1)
        self.assertEqual(Alert.objects.get().reason_keys(), [("search", None, search.id)])
        self.assertEqual(SearchMatch.objects.count(), 1)

    def test_a_changed_search_is_seen_by_the_warm_percolator(self) -> None:
        search = actions.save_search(self.alice, "wind")
        self.publish("A wind farm", "Turbines.")
        actions.delete_search(self.alice, search.pk)
        actions.save_search(self.alice, "solar")
        self.publish("Another wind farm", "More turbines.")
        self.publish("Solar roofs", "Panels.")
        self.assertEqual(
            list(Alert.objects.order_by("id").values_list("story__headline", flat=True)),
            ["A wind farm", "Solar roofs"],
        )

    def test_my_topics_edits_and_deletes_a_saved_search(self) -> None:
        search = actions.save_search(self.alice, "wind")
        self.client.force_login(self.charlie)
        response = self.client.post(f"/search/saved/{search.pk}/delete/")
        self.assertEqual(response.status_code, 404, "nobody else's")
        self.client.force_login(self.alice)
        prefix = f"s{search.pk}"
        self.client.post(
            f"/search/saved/{search.pk}/",
            {f"{prefix}-cadence": "weekly", f"{prefix}-muted": "on", f"{prefix}-snooze_days": "3"},
        )
        search.refresh_from_db()
        self.assertEqual((search.cadence, search.muted), (Cadence.WEEKLY, True))
        assert search.snoozed_until is not None
        self.assertGreater(search.snoozed_until, NOW + dt.timedelta(days=2))
        self.client.post(f"/search/saved/{search.pk}/delete/")
        self.assertFalse(SavedSearch.objects.exists())

    def test_the_one_click_link_stops_a_search_alert(self) -> None:
        search = actions.save_search(self.alice, "wind")
        token = make_token("unfollow", self.alice.id, [], [search.pk])
        response = self.client.get(f"/alerts/one-click/{token}/")
        self.assertContains(response, "your search ‘wind’")
        self.client.post(f"/alerts/one-click/{token}/")
        self.assertFalse(SavedSearch.objects.exists())
        self.assertEqual(self.client.get(f"/alerts/one-click/{token}/").status_code, 410)

    def test_limits_per_reader_and_the_same_search_twice(self) -> None:
        first = actions.save_search(self.alice, "wind  farm")
        self.assertEqual(actions.save_search(self.alice, "wind farm"), first)
        for n in range(actions.MAX_SAVED_SEARCHES - 1):
            SavedSearch.objects.create(reader=self.alice, query=f"word{n}")
        with self.assertRaisesRegex(QueryError, f"{actions.MAX_SAVED_SEARCHES} saved searches"):
            actions.save_search(self.alice, "one more")


class ApiTests(SearchCase):
    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        from accounts.actions import create_api_token

        if not hasattr(self, "token"):
            self.token = create_api_token(self.alice, "test", scopes=["read", "follow"])[1]
        return getattr(self.client, method)(
            f"/api/v1/me/searches{path}",
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def test_saved_searches_through_the_api(self) -> None:
        created = self.call("post", "", {"query": "offshore wind", "cadence": "daily"})
        self.assertEqual(created.status_code, 201)
        search_id = created.json()["id"]
        self.assertEqual(self.call("post", "", {"query": "offshore wind"}).status_code, 200)
        refused = self.call("post", "", {"query": "-wind"})
        self.assertEqual(refused.status_code, 422)
        self.assertEqual(refused.json()["error"]["field"], "query")
        self.assertIn("only excludes", refused.json()["error"]["message"])
        changed = self.call("patch", f"/{search_id}", {"muted": True})
        self.assertTrue(changed.json()["muted"])
        (item,) = self.call("get", "").json()["items"]
        self.assertEqual((item["query"], item["cadence"]), ("offshore wind", "daily"))
        self.assertEqual(self.call("delete", f"/{search_id}").status_code, 204)
        self.assertEqual(self.call("delete", f"/{search_id}").status_code, 404)

    def test_alerts_name_the_search_that_matched(self) -> None:
        self.call("post", "", {"query": "wind"})
        story = self.story("A wind farm", "Turbines.")
        fan_out(Event.objects.get(story=story).id)
        response = self.client.get(
            "/api/v1/me/alerts", headers={"Authorization": f"Bearer {self.token}"}
        )
        (item,) = response.json()["items"]
        (reason,) = item["reasons"]
        self.assertEqual(reason["role"], "search")
        self.assertEqual(reason["search"]["query"], "wind")
        self.assertIsNone(reason["topic"])


class FreshnessTests(SearchCase):
    """The review's cases: the index and the percolator never lag behind what editors and
    readers did, however they did it."""

    def test_an_edit_in_the_newsroom_is_found_and_the_old_words_are_not(self) -> None:
        import lxml.html

        story = self.story("Warm-up story about ferries", "The ferry runs hourly.")
        self.client.force_login(self.bob)
        url = f"/admin/stories/story/{story.pk}/change/"
        page = self.client.get(url)
        form = next(
            f for f in lxml.html.fromstring(page.content).forms if f.get("id") == "story_form"
        )
        data = dict(form.form_values())
        data["headline"] = "Zeppelin service returns over the harbour"
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        self.assertEqual(self.hits("zeppelin"), ["Zeppelin service returns over the harbour"])
        self.assertEqual(self.hits("warm"), [])

    def test_a_merge_moves_stories_to_the_survivors_topic_search(self) -> None:
        from topics.actions import ensure_topic, merge_topics

        self.story("Ferries return", "The ferry runs.", topics=(("Mombasa Port", "place"),))
        loser = Topic.objects.get(slug="mombasa-port")
        survivor = ensure_topic("Port of Mombasa", Topic.Kind.PLACE)
        merge_topics(loser, survivor)
        self.assertEqual(self.hits("topic:port-of-mombasa"), ["Ferries return"])

    def test_a_deleted_readers_searches_block_nobody(self) -> None:
        kenya = self.story("Setup", "Nothing.", publish=False).primary_topic
        assert kenya is not None
        follow_topic(self.alice, kenya)
        actions.save_search(self.charlie, "tram")
        first = self.story("Trams for Nairobi", "A tram line.")
        fan_out(Event.objects.get(story=first).id)  # the percolator is warm now
        self.charlie.delete()
        story = self.story("More trams for Nairobi", "Another tram line.")
        fan_out(Event.objects.get(story=story).id)
        self.assertTrue(Alert.objects.filter(reader=self.alice, story=story).exists())

    def test_an_updated_story_is_matched_afresh(self) -> None:
        from stories.actions import flag_significant_update

        search = actions.save_search(self.charlie, "zebra", muted=True)
        story = self.story("Zebra crossing planned", "Outside the school.")
        fan_out(Event.objects.get(story=story).id)
        edit_story(story, headline="Pelican crossing planned")
        actions.update_search(search, muted=False)
        flag_significant_update(story)
        fan_out(Event.objects.filter(story=story).latest("id").id)
        self.assertFalse(Alert.objects.filter(reader=self.charlie).exists())
        self.assertFalse(SearchMatch.objects.exists())

    def test_the_same_search_in_other_words_is_one_search(self) -> None:
        first = actions.save_search(self.alice, "wind", muted=True)
        self.assertEqual(actions.save_search(self.alice, "Winds"), first)
        first.refresh_from_db()
        self.assertTrue(first.muted, "saving it again changes nothing left unsaid")
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/search/", {"q": "WIND"}), "its alerts are muted")
