import pytest

from comments.models import Comment
from tidings.test import BrowserTestCase


@pytest.mark.browser
class CommentInTheBrowserTests(BrowserTestCase):
    def test_a_reader_comments_and_an_editor_hides_it(self) -> None:
        story = self.make_story(photo=True)
        self.sign_in(story.get_absolute_url())
        self.page.get_by_label("Your comment").fill(
            "Will the turbines harm the birds?\n\nSee https://example.org/birds"
        )
        self.page.get_by_label("Alert me to replies").check()
        self.page.get_by_role("button", name="Post comment").click()
        self.page.get_by_text("Your comment is posted.").wait_for()
        self.assertTrue(self.page.get_by_role("heading", name="Comments (1)").is_visible())
        link = self.page.get_by_role("link", name="https://example.org/birds")
        self.assertEqual(link.get_attribute("rel"), "nofollow ugc noopener")
        honeypot = self.page.locator("input[name=website]").first
        self.assertFalse(honeypot.is_visible(), "people never see the honeypot")
        self.screenshot("comment-posted")

        self.page.context.clear_cookies()
        self.sign_in(story.get_absolute_url(), "bob")
        comment = Comment.objects.get()
        article = self.page.locator(f"#comment-{comment.pk}")
        article.get_by_role("button", name="Hide").click()
        self.page.get_by_text("Comment hidden.").wait_for()
        self.assertTrue(article.get_by_text("Hidden").first.is_visible())
        self.screenshot("comment-hidden-editor-view")
        comment.refresh_from_db()
        self.assertEqual(comment.status, Comment.Status.HIDDEN)

        self.page.context.clear_cookies()
        self.page.goto(self.live_server_url + story.get_absolute_url())
        self.assertEqual(self.page.get_by_text("Will the turbines harm the birds?").count(), 0)
        self.screenshot("comment-hidden-reader-view")
