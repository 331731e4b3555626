import pytest

from comments.actions import post_comment
from tidings.test import OUTPUT_DIR, BrowserTestCase

# The story page's elements, top to bottom, as DESIGN.md §1 lists them.
ELEMENTS = [
    ("headline", "h1.story__headline"),
    ("standfirst", ".story__standfirst"),
    ("byline", ".byline"),
    ("publication time", "time.pubtime"),
    ("lead photo", ".lead-photo img"),
    ("display caption", ".lead-photo__caption"),
    ("photo credit", ".lead-photo__credit"),
    ("body", ".story__body p"),
    ("follow heading", "#topics-heading"),
    ("follow buttons", ".topic-list .follow-button"),
    ("alert button", ".alert-button"),
    ("comments", "#comments"),
    ("reuse link", "a.reuse-link"),
    ("copyright", ".copyright"),
]


@pytest.mark.browser
class StoryPageBrowserTests(BrowserTestCase):
    def test_story_page_shows_every_element_in_order(self) -> None:
        story = self.make_story(photo=True)
        post_comment(story, self.alice, "Good to see this finally happening.")
        self.page.goto(self.live_server_url + story.get_absolute_url())

        previous = None
        for name, selector in ELEMENTS:
            element = self.page.locator(selector).first
            self.assertTrue(element.is_visible(), f"{name} ({selector}) is not visible")
            box = element.bounding_box()
            assert box is not None
            if previous is not None:
                prev_name, prev_box = previous
                below = box["y"] > prev_box["y"] + 4
                same_line_after = abs(box["y"] - prev_box["y"]) <= 4 and box["x"] > prev_box["x"]
                self.assertTrue(below or same_line_after, f"{name} comes after {prev_name}")
            previous = (name, box)

        photo = self.page.locator(".lead-photo img")
        self.assertGreater(photo.evaluate("img => img.naturalWidth"), 0, "the photo loaded")
        self.assertEqual(photo.get_attribute("alt"), "Wind turbines in a calm sea")
        self.assertEqual(self.page.locator(".topic-list .follow-button").count(), 3)
        self.assertIn(
            "Get alerts on Kestrel Energy when a new story is published",
            self.page.locator(".alert-button").inner_text(),
        )
        self.assertIn("All rights reserved.", self.page.locator(".copyright").inner_text())
        for landmark in ("banner", "main", "contentinfo"):
            self.assertEqual(self.page.get_by_role(landmark).count(), 1, landmark)
        path = self.screenshot("story-page")
        self.assertTrue(path.exists())

    def test_comments_off_and_narrow_screen(self) -> None:
        story = self.make_story(photo=True, comments_enabled=False)
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.page.goto(self.live_server_url + story.get_absolute_url())
        self.assertTrue(
            self.page.get_by_text("Comments have not been enabled for this article.").is_visible()
        )
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        self.assertLessEqual(overflow, 0, "no sideways scrolling on a phone")
        self.screenshot("story-page-phone")
        self.assertTrue((OUTPUT_DIR / "screenshots" / "story-page-phone.png").exists())

    def test_reader_goes_from_home_to_story_to_topic(self) -> None:
        story = self.make_story(photo=True)
        self.page.goto(self.live_server_url + "/")
        self.page.get_by_role("link", name=story.headline).click()
        self.page.wait_for_url(f"**{story.get_absolute_url()}")
        self.page.locator(".topic-list").get_by_role("link", name="Kenya").click()
        self.page.wait_for_url("**/topics/kenya/")
        self.assertTrue(self.page.get_by_role("heading", name="Kenya", level=1).is_visible())
        self.screenshot("topic-page")


@pytest.mark.browser
class WhoSaidWhatBrowserTests(BrowserTestCase):
    def test_the_panel_links_each_speaker_to_their_topic(self) -> None:
        story = self.make_story(
            "Port Elsby opens northern quay",
            topics=(),
            body=(
                "Mara Lindqvist, chief executive of the Harbour Authority of Port Elsby, opened "
                "the new northern quay on Monday.\n\n"
                '"This is the largest investment the Harbour Authority has made," Ms Lindqvist '
                'said.\n\n"We were not consulted," said Tomas Reyes, head of the Dockworkers '
                "Union."
            ),
        )
        self.page.goto(self.live_server_url + story.get_absolute_url())
        panel = self.page.locator(".who-said")
        self.assertTrue(panel.is_visible())
        self.assertEqual(panel.locator("blockquote").count(), 2)
        self.assertIn("head of the Dockworkers Union", panel.inner_text())
        panel.screenshot(
            path=str(
                self.screenshot("story-who-said-what").with_name("story-who-said-what-panel.png")
            )
        )
        panel.get_by_role("link", name="Mara Lindqvist").click()
        self.page.wait_for_url("**/topics/mara-lindqvist/")
        self.assertTrue(self.page.get_by_text("Latest quotes").is_visible())
        self.screenshot("topic-latest-quotes")
