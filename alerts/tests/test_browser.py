import pytest

from alerts.actions import fan_out
from alerts.models import Event, Follow
from tidings.test import BrowserTestCase


@pytest.mark.browser
class FollowInTheBrowserTests(BrowserTestCase):
    def test_a_reader_follows_in_place_and_gets_an_alert(self) -> None:
        story = self.make_story(photo=True)
        self.sign_in(story.get_absolute_url())
        url = self.page.url
        self.page.get_by_role("button", name="Follow Kenya").click()
        following = self.page.get_by_role("button", name="Unfollow Kenya")
        following.wait_for()
        self.assertEqual(following.get_attribute("aria-pressed"), "true")
        self.assertEqual(self.page.url, url, "htmx swapped the button; the page did not reload")
        self.page.get_by_role("button", name="Get alerts on Kestrel Energy").click()
        self.page.get_by_role("button", name="You get alerts on Kestrel Energy").wait_for()
        self.assertEqual(
            set(Follow.objects.values_list("topic__name", flat=True)), {"Kenya", "Kestrel Energy"}
        )
        self.screenshot("story-page-following")

        later = self.make_story("Kenya opens a second wind farm", topics=(("Kenya", "place"),))
        fan_out(Event.objects.get(story=later).id)
        self.page.goto(self.live_server_url + "/alerts/notifications/")
        self.assertEqual(self.page.locator(".site-header .count").inner_text(), "1")
        self.assertTrue(self.page.get_by_text("because you follow Kenya").is_visible())
        self.screenshot("notifications")
        self.page.goto(self.live_server_url + "/alerts/my/topics/")
        self.screenshot("my-topics")

    def test_without_javascript_the_button_is_a_form(self) -> None:
        context = self.browser.new_context(java_script_enabled=False)
        page = context.new_page()
        try:
            story = self.make_story()
            self.page = page
            self.sign_in(story.get_absolute_url())
            page.get_by_role("button", name="Follow Climate").click()
            page.get_by_text("You now follow Climate.").wait_for()
            self.assertTrue(Follow.objects.filter(topic__name="Climate").exists())
        finally:
            context.close()
