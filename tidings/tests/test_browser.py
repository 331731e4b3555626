"""The site on a 375 px phone, signed in: nothing wider than the screen, the header reachable."""

import pytest

from alerts.actions import fan_out, follow_topic
from alerts.models import Event
from tidings.test import BrowserTestCase
from topics.models import Topic

PHONE = {"width": 375, "height": 740}


@pytest.mark.browser
class PhoneBrowserTests(BrowserTestCase):
    def test_signed_in_pages_fit_a_phone_and_settings_and_sign_out_are_reachable(self) -> None:
        story = self.make_story(photo=True)
        follow_topic(self.alice, Topic.objects.get(name="Kenya"))
        fan_out(Event.objects.get(story=story).id)
        self.context.close()
        self.context = self.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        self.page = self.context.new_page()
        self.sign_in("/account/settings/")
        pages = {
            "story": story.get_absolute_url(),
            "topic": "/topics/kenya/",
            "settings": "/account/settings/",
            "notifications": "/alerts/notifications/",
        }
        for name, path in pages.items():
            with self.subTest(name):
                self.page.goto(self.live_server_url + path)
                overflow = self.page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                self.screenshot(f"phone-375-{name}")
                self.assertLessEqual(overflow, 0, f"{name} scrolls sideways by {overflow}px")
                for label in ("Settings", "Sign out"):
                    link = self.page.locator(".site-header").get_by_text(label).first
                    self.assertTrue(link.is_visible(), f"{label} is visible on {name}")
                    box = link.bounding_box()
                    assert box is not None
                    self.assertLessEqual(box["x"] + box["width"], PHONE["width"], label)
                    self.assertGreaterEqual(box["x"], 0, label)
        self.page.locator(".site-header").get_by_text("Sign out").first.click()
        self.page.wait_for_url(f"{self.live_server_url}/")
        self.assertTrue(self.page.get_by_role("link", name="Sign in").is_visible())


@pytest.mark.browser
class ApiDocsBrowserTests(BrowserTestCase):
    def test_the_api_docs_render_from_our_own_files_within_our_csp(self) -> None:
        problems: list[str] = []
        outside: list[str] = []
        self.page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        self.page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((self.live_server_url, "data:"))
                else outside.append(request.url)
            ),
        )
        self.page.goto(self.live_server_url + "/api/v1/docs")
        self.page.locator(".opblock-summary-path").first.wait_for()
        paths = self.page.locator(".opblock-summary-path").all_inner_texts()
        self.screenshot("api-docs")
        self.assertIn("/api/v1/me/alerts", paths)
        self.assertEqual(outside, [], "no CDN or other outside request")
        self.assertEqual([p for p in problems if "Content Security Policy" in p], [])
