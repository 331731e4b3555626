from django.urls import reverse

from comments.actions import post_comment
from comments.models import Comment
from stories.models import Licence, Story
from tidings.test import BaseTestCase

PAGE_ORDER = [
    'class="story__headline"',
    'class="story__standfirst"',
    'class="byline"',
    'class="pubtime"',
    'class="lead-photo"',
    'class="lead-photo__caption"',
    'class="lead-photo__credit"',
    'class="story__body"',
    "Follow the topics in this article",
    'class="alert-button"',
    'id="comments"',
    "Reuse this content",
    'class="copyright"',
]


class StoryPageTests(BaseTestCase):
    def test_page_shows_every_element_in_the_designed_order(self) -> None:
        story = self.make_story(photo=True)
        html = self.client.get(story.get_absolute_url()).content.decode()
        positions = [html.find(marker) for marker in PAGE_ORDER]
        self.assertNotIn(-1, positions, dict(zip(PAGE_ORDER, positions, strict=True)))
        self.assertEqual(positions, sorted(positions))

    def test_page_content(self) -> None:
        story = self.make_story(photo=True)
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, "<h1", count=1)
        self.assertContains(response, "Kestrel Energy opens a wind farm in Kenya")
        self.assertContains(response, "By Ana Costa")
        self.assertContains(response, 'alt="Wind turbines in a calm sea"')
        self.assertContains(response, "Turbines off the coast")
        self.assertContains(response, "Photo by Lena Brandt/Coast")
        self.assertContains(response, "<p>Second paragraph, with a quote.</p>", html=True)
        self.assertContains(response, 'aria-label="Follow Kenya"')
        # bob's three topics, and the theme the tagger found in "wind farm".
        for name in ("Kestrel Energy", "Kenya", "Climate", "Energy"):
            self.assertContains(response, f'aria-label="Follow {name}"')
        self.assertContains(response, "Get alerts on Kestrel Energy when a new story is published")
        year = story.published_at.year if story.published_at else 0
        self.assertContains(response, f"Copyright Chronicle Media Ltd {year}. All rights reserved.")
        self.assertContains(response, reverse("reuse:terms", args=[story.slug]))

    def test_comments_off_says_so_and_shows_no_comments(self) -> None:
        story = self.make_story(comments_enabled=True)
        post_comment(story, self.alice, "A comment from when they were open.")
        Story.objects.filter(pk=story.pk).update(comments_enabled=False)
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, "Comments have not been enabled for this article.")
        self.assertNotContains(response, "A comment from when they were open.")

    def test_comments_on_lists_visible_comments(self) -> None:
        story = self.make_story()
        post_comment(story, self.alice, "Good news.\n\nAnd a second paragraph.")
        hidden = post_comment(story, self.charlie, "Something rude.")
        hidden.status = Comment.Status.HIDDEN
        hidden.save(update_fields=["status"])
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, "<p>And a second paragraph.</p>", html=True)
        self.assertNotContains(response, "Something rude.")
        self.assertNotContains(response, "Comments have not been enabled")

    def test_editor_chosen_primary_topic_drives_the_alert_button(self) -> None:
        story = self.make_story()
        kenya = story.story_topics.get(topic__slug="kenya").topic
        story.primary_topic = kenya
        story.save(update_fields=["primary_topic"])
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, "Get alerts on Kenya when a new story is published")

    def test_story_without_photo_or_byline_still_renders(self) -> None:
        story = self.make_story(
            "A quiet day", byline="", topics=(), standfirst="", body="Nothing happened at all."
        )
        response = self.client.get(story.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "lead-photo")
        self.assertNotContains(response, "Follow the topics in this article")

    def test_licensed_story_names_its_licence_in_the_copyright_line(self) -> None:
        story = self.make_story(licence=Licence.CC_BY, copyright_year=2024)
        self.assertContains(
            self.client.get(story.get_absolute_url()),
            "Copyright Chronicle Media Ltd 2024. Licensed under Creative Commons Attribution 4.0",
        )

    def test_html_body_is_sanitised(self) -> None:
        story = self.make_story(
            body_format=Story.BodyFormat.HTML,
            body='<p onclick="steal()">Safe text</p><script>alert(1)</script>'
            '<p><a href="javascript:alert(1)">link</a></p>',
        )
        html = self.client.get(story.get_absolute_url()).content.decode()
        self.assertIn("Safe text", html)
        self.assertNotIn("<script>alert", html)
        self.assertNotIn("onclick", html)
        self.assertNotIn("javascript:", html)
        self.assertEqual(story.paragraphs(), ["Safe text", "link"])

    def test_drafts_and_scheduled_stories_are_not_public(self) -> None:
        draft = self.make_story("A draft", publish=False)
        self.assertEqual(self.client.get(draft.get_absolute_url()).status_code, 404)

    def test_preview_is_for_editors_only(self) -> None:
        draft = self.make_story("A draft", publish=False)
        preview = reverse("stories:preview", args=[draft.slug])
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(preview).status_code, 302)
        self.client.force_login(self.bob)
        response = self.client.get(preview)
        self.assertContains(response, "Preview: this story is draft")

    def test_security_headers(self) -> None:
        story = self.make_story()
        response = self.client.get(story.get_absolute_url())
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Frame-Options"], "DENY")


class HomePageTests(BaseTestCase):
    def test_lists_published_stories_newest_first(self) -> None:
        older = self.make_story("Older story")
        newer = self.make_story("Newer story")
        self.make_story("Unpublished story", publish=False)
        assert newer.published_at is not None
        Story.objects.filter(pk=older.pk).update(published_at=newer.published_at.replace(year=2020))
        response = self.client.get("/")
        html = response.content.decode()
        self.assertNotIn("Unpublished story", html)
        self.assertLess(html.find("Newer story"), html.find("Older story"))

    def test_paginates(self) -> None:
        with self.settings(STORIES_PER_PAGE=2):
            for n in range(5):
                self.make_story(f"Story number {n}")
            response = self.client.get("/?page=3")
        self.assertContains(response, "Page 3 of 3")
        self.assertContains(response, "Story number 0")

    def test_empty_site(self) -> None:
        self.assertContains(self.client.get("/"), "No stories have been published yet.")

    def test_healthz(self) -> None:
        self.assertEqual(self.client.get("/healthz").content, b"ok")
