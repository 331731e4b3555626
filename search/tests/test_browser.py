import pytest

from alerts.actions import fan_out
from alerts.models import Event
from search.models import SavedSearch
from tidings.test import BrowserTestCase


@pytest.mark.browser
class SearchInTheBrowserTests(BrowserTestCase):
    def test_a_reader_searches_saves_the_search_and_gets_its_alert(self) -> None:
        self.make_story(
            "Kestrel Energy builds an offshore wind farm",
            body="Forty turbines will stand off the Kenyan coast.\n\nWork begins in May.",
        )
        self.make_story(
            "Uganda studies offshore wind on Lake Victoria", topics=(("Uganda", "place"),)
        )
        self.sign_in("/")
        self.page.get_by_role("searchbox", name="Search stories").fill("offshore wind -Uganda")
        self.page.get_by_role("button", name="Search", exact=True).first.click()
        self.page.wait_for_url("**/search/?q=*")
        self.page.get_by_text("1 story matches").wait_for()
        marks = self.page.locator(".search-results mark").all_inner_texts()
        self.assertIn("offshore", [m.lower() for m in marks])
        self.assertEqual(self.page.locator(".search-result").count(), 1)
        self.screenshot("search-results")

        self.page.get_by_role("button", name="Alert me on this search").click()
        self.page.get_by_text("You get alerts on this search.").wait_for()
        self.assertEqual(SavedSearch.objects.get().query, "offshore wind -Uganda")

        later = self.make_story(
            "A second offshore wind farm for Kenya", topics=(("Kenya", "place"),)
        )
        fan_out(Event.objects.get(story=later).id)
        self.page.goto(self.live_server_url + "/alerts/notifications/")
        self.page.get_by_text("matches your search 'offshore wind -Uganda'").wait_for()
        self.assertEqual(self.page.locator(".site-header .count").inner_text(), "1")
        self.screenshot("search-alert")
        self.page.goto(self.live_server_url + "/alerts/my/topics/")
        self.page.get_by_role("button", name="Delete the search ‘offshore wind -Uganda’").wait_for()
        self.screenshot("my-topics-searches")

    def test_the_topic_finder_lists_topics_as_the_reader_types(self) -> None:
        self.make_story()
        self.page.goto(self.live_server_url + "/topics/")
        self.page.get_by_label("Find a topic").press_sequentially("kes", delay=30)
        self.page.locator("#topics-found").get_by_role("link", name="Kestrel Energy").wait_for()
        self.assertIn("/topics/", self.page.url)
        self.assertNotIn("q=", self.page.url, "htmx filled the list; the page did not reload")
        self.screenshot("topic-finder")
