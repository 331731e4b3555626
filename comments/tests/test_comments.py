import datetime as dt
import html
import json
import re
from typing import TYPE_CHECKING

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags

from alerts.actions import add_webhook, deliver_due
from comments.actions import CommentError, edit_comment, post_comment, stop_replies_url
from comments.models import Comment, CommentReport
from tidings.test import BaseTestCase, Receiver, SMTPSink, body_of

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

TAG = re.compile(r"<([a-z0-9]+)")
XSS = {
    "script": "Nice <script>alert('x')</script> story",
    "javascript link": '<a href="javascript:alert(1)">click me</a>',
    "event attribute": '<img src=x onerror="alert(1)"><b onmouseover="alert(1)">bold</b>',
    "svg": '<svg onload="alert(1)"><script>alert(2)</script></svg>after the svg',
    "data url": '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>',
    "style": '<p style="background:url(javascript:alert(1))">styled</p>',
}


class ClosedCommentsTests(BaseTestCase):
    def test_off_shows_the_sentence_and_refuses_posts_on_page_and_api(self) -> None:
        story = self.make_story(comments_enabled=False)
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, "Comments have not been enabled for this article.")
        self.assertNotContains(response, 'id="comment-form"')
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("comments:post", args=[story.slug]), {"body": "Hello"}, follow=True
        )
        self.assertContains(response, "Comments have not been enabled for this article.")
        response = self.client.post(
            f"/api/v1/stories/{story.pk}/comments",
            json.dumps({"body": "Hello"}),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json()["error"]["message"], "Comments have not been enabled for this article."
        )
        self.assertFalse(Comment.objects.exists())

    @override_settings(COMMENTS_CLOSE_AFTER_DAYS=3)
    def test_comments_close_after_the_sites_limit(self) -> None:
        story = self.make_story(published_at=timezone.now() - dt.timedelta(days=4))
        story.published_at = timezone.now() - dt.timedelta(days=4)
        story.save(update_fields=["published_at"])
        self.assertContains(
            self.client.get(story.get_absolute_url()), "Comments on this article are now closed."
        )
        with self.assertRaisesMessage(CommentError, "now closed"):
            post_comment(story, self.alice, "Too late")

    @override_settings(COMMENTS_ENABLED_BY_DEFAULT=False)
    def test_the_site_default_applies_to_new_stories(self) -> None:
        story = self.make_story()
        self.assertFalse(story.comments_enabled)


class PostingTests(BaseTestCase):
    def setUp(self) -> None:
        self.story = self.make_story()
        self.client.force_login(self.alice)

    def post(self, body: str, **extra: object) -> "_MonkeyPatchedWSGIResponse":
        return self.client.post(
            reverse("comments:post", args=[self.story.slug]), {"body": body, **extra}, follow=True
        )

    def test_a_comment_and_a_reply_thread_one_level_deep(self) -> None:
        self.post("First!\n\nSee https://example.org/report for more.")
        top = Comment.objects.get()
        self.client.force_login(self.charlie)
        self.post("I disagree.", parent=top.pk)
        reply = Comment.objects.get(parent=top)
        self.post("Reply to the reply.", parent=reply.pk)
        self.assertEqual(Comment.objects.filter(parent=top).count(), 2, "no deeper nesting")
        page = self.client.get(self.story.get_absolute_url())
        self.assertContains(page, "Comments (3)")
        self.assertContains(
            page,
            '<a href="https://example.org/report" rel="nofollow ugc noopener">'
            "https://example.org/report</a>",
            html=True,
        )
        self.assertEqual(page.content.decode().count('class="replies"'), 1)

    def test_xss_attempts_are_rendered_inert(self) -> None:
        for name, attack in XSS.items():
            with self.subTest(name):
                comment = post_comment(self.story, self.bob, attack)  # editors skip the limits
                self.assertEqual(set(TAG.findall(comment.body_html)), {"p"}, comment.body_html)
                self.assertEqual(html.unescape(strip_tags(comment.body_html)), attack, "as typed")
        page = self.client.get(self.story.get_absolute_url()).content.decode().lower()
        for bad in ("<script>alert", "<svg", "<img", "<b ", '<a href="javascript', '<a href="data'):
            self.assertNotIn(bad, page)
        self.assertIn("after the svg", page)

    def test_what_a_reader_types_is_shown_as_typed(self) -> None:
        for text in ("Use the <script> tag", "Replace <your name> with yours", "a < b && c > d"):
            with self.subTest(text):
                self.post(text)
                comment = Comment.objects.latest("id")
                self.assertEqual(comment.body, text)
                page = self.client.get(self.story.get_absolute_url())
                self.assertContains(page, f"<p>{escape(text)}</p>", html=True)
        self.assertContains(page, "Plain text; links become clickable")

    def test_a_comment_blank_once_cleaned_is_refused_with_a_message(self) -> None:
        for text in ("   ", "\u200b\u200b\u200b", "\u202e\u2066\n\n\u200d"):
            with self.subTest(repr(text)):
                response = self.post(text)
                self.assertContains(response, "Write something first: the comment is empty")
        self.assertFalse(Comment.objects.exists())

    def test_length_limit_keeps_the_text(self) -> None:
        with self.settings(COMMENT_MAX_CHARS=50):
            response = self.post("x" * 60)
        self.assertContains(response, "Your comment is 60 characters long; the limit is 50.")
        self.assertContains(response, "x" * 60, msg_prefix="the text is back in the box")
        self.assertFalse(Comment.objects.exists())

    @override_settings(COMMENT_RATE_PER_READER=2)
    def test_rate_limit_per_reader(self) -> None:
        self.post("one")
        self.post("two")
        response = self.post("three")
        self.assertContains(response, "You have posted 2 comments in 10 minutes")
        self.assertEqual(Comment.objects.count(), 2)

    @override_settings(COMMENT_RATE_PER_IP=2)
    def test_rate_limit_per_address(self) -> None:
        self.post("one")
        self.client.force_login(self.charlie)
        self.post("two")
        response = self.post("three")
        self.assertContains(response, "Too many comments from your network")
        self.assertEqual(Comment.objects.count(), 2)

    def test_the_honeypot_catches_bots(self) -> None:
        response = self.post("Buy cheap things", website="http://spam.example")
        self.assertContains(response, "Your comment was not posted.")
        self.assertFalse(Comment.objects.exists())

    def test_edit_within_ten_minutes_then_no_more(self) -> None:
        self.post("Teh first version")
        comment = Comment.objects.get()
        self.client.post(reverse("comments:edit", args=[comment.pk]), {"body": "The first version"})
        comment.refresh_from_db()
        self.assertEqual(comment.body, "The first version")
        self.assertIsNotNone(comment.edited_at)
        Comment.objects.filter(pk=comment.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=11)
        )
        comment.refresh_from_db()
        with self.assertRaisesMessage(CommentError, "10 minutes"):
            edit_comment(comment, self.alice, "Changed later")
        with self.assertRaisesMessage(CommentError, "Only the author"):
            edit_comment(comment, self.charlie, "Not mine")

    def test_delete_own_keeps_the_thread(self) -> None:
        self.post("Something I regret")
        top = Comment.objects.get()
        post_comment(self.story, self.charlie, "A reply", parent=top)
        self.client.post(reverse("comments:delete", args=[top.pk]))
        top.refresh_from_db()
        self.assertEqual((top.status, top.body), (Comment.Status.DELETED, ""))
        page = self.client.get(self.story.get_absolute_url())
        self.assertContains(page, "This comment was deleted.")
        self.assertContains(page, "A reply")
        self.assertContains(page, "Comments (1)")


class ModerationTests(BaseTestCase):
    def setUp(self) -> None:
        self.story = self.make_story()
        self.rude = post_comment(self.story, self.charlie, "Something rude.")

    def moderate(self, action: str) -> None:
        self.client.post(reverse("comments:moderate", args=[self.rude.pk]), {"action": action})
        self.rude.refresh_from_db()

    def test_readers_report_and_editors_hide_restore_and_delete(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(
            reverse("comments:report", args=[self.rude.pk]), {"reason": "abuse", "note": "rude"}
        )
        report = CommentReport.objects.get()
        self.assertEqual((report.reporter, report.reason), (self.alice, "abuse"))
        self.moderate("hide")
        self.assertEqual(self.rude.status, Comment.Status.VISIBLE, "readers cannot moderate")
        self.client.force_login(self.bob)
        self.moderate("hide")
        self.assertEqual(self.rude.status, Comment.Status.HIDDEN)
        report.refresh_from_db()
        self.assertIsNotNone(report.resolved_at)
        self.client.logout()
        page = self.client.get(self.story.get_absolute_url())
        self.assertNotContains(page, "Something rude.")
        self.assertNotContains(page, "Comments (")
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.story.get_absolute_url()), "Hidden")
        self.moderate("restore")
        self.assertEqual(self.rude.status, Comment.Status.VISIBLE)
        self.moderate("delete")
        self.assertEqual((self.rude.status, self.rude.body), (Comment.Status.DELETED, ""))

    def test_the_admin_queue_puts_the_most_reported_first(self) -> None:
        calm = post_comment(self.story, self.alice, "A calm remark.")
        for reader in (self.alice, self.bob):
            CommentReport.objects.create(comment=self.rude, reporter=reader, reason="abuse")
        CommentReport.objects.create(comment=calm, reporter=self.charlie, reason="spam")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("admin:comments_comment_changelist") + "?queue=yes")
        text = page.content.decode()
        self.assertLess(text.index("Something rude."), text.index("A calm remark."))
        self.client.post(
            reverse("admin:comments_comment_changelist"),
            {"action": "hide", "_selected_action": [self.rude.pk]},
        )
        self.rude.refresh_from_db()
        self.assertEqual(self.rude.status, Comment.Status.HIDDEN)

    def test_pre_moderated_comments_wait_for_approval(self) -> None:
        story = self.make_story("Sensitive story", comments_premoderated=True)
        comment = post_comment(story, self.alice, "My view on this.")
        self.assertEqual(comment.status, Comment.Status.PENDING)
        self.client.force_login(self.charlie)
        page = self.client.get(story.get_absolute_url())
        self.assertNotContains(page, "My view on this.")
        self.assertContains(page, "appear once an editor approves them")
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(story.get_absolute_url()), "Approve")
        self.client.post(reverse("comments:moderate", args=[comment.pk]), {"action": "approve"})
        self.client.force_login(self.charlie)
        page = self.client.get(story.get_absolute_url())
        self.assertContains(page, "My view on this.")
        self.assertContains(page, "Comments (1)")


class ReplyAlertTests(BaseTestCase):
    @override_settings(WEBHOOK_ALLOW=["127.0.0.1/32"])
    def test_a_reply_reaches_the_author_by_email_and_webhook(self) -> None:
        story = self.make_story(photo=True)
        mine = post_comment(story, self.alice, "What about the birds?", notify_replies=True)
        receiver = Receiver()
        with SMTPSink().running() as sink, receiver.running() as base:
            add_webhook(self.alice, f"{base}/hook")
            with self.settings(**sink.settings()), self.captureOnCommitCallbacks(execute=True):
                post_comment(story, self.charlie, "The survey found none.", parent=mine)
                post_comment(story, self.alice, "My own reply alerts nobody.", parent=mine)
                deliver_due()
        [message] = sink.messages
        self.assertIn("charlie replied to your comment", message["Subject"])
        text = body_of(message, "plain")
        self.assertIn("The survey found none.", text)
        self.assertIn("#comment-", text)
        self.assertIn("Copyright Chronicle Media Ltd", text)
        self.assertIn(stop_replies_url(mine).split("/replies/stop/")[0], text)
        [(_, body)] = receiver.requests
        payload = json.loads(body)
        self.assertEqual(payload["type"], "comment.replied")
        self.assertIn("Photo by Lena Brandt/Coast", payload["data"]["stories"][0]["photo_credit"])

    def test_a_name_that_breaks_a_header_fails_its_delivery_alone(self) -> None:
        from accounts.models import User
        from alerts.models import Delivery

        story = self.make_story()
        mine = post_comment(story, self.alice, "What about the birds?", notify_replies=True)
        # Stored before names were checked: a newline would forge a header.
        User.objects.filter(pk=self.charlie.pk).update(display_name="Charlie\nBcc: all@example")
        self.charlie.refresh_from_db()
        with SMTPSink().running() as sink, self.settings(**sink.settings()):
            with self.captureOnCommitCallbacks(execute=True):
                post_comment(story, self.charlie, "The survey found none.", parent=mine)
                post_comment(story, self.bob, "Editors checked the survey.", parent=mine)
            self.assertEqual(deliver_due(), 1, "the batch goes on past the bad one")
        [message] = sink.messages
        self.assertIn("bob replied", message["Subject"])
        failed = Delivery.objects.get(state=Delivery.State.RETRYING)
        self.assertIn("BadHeaderError", failed.last_error)

    def test_display_names_are_one_line(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/account/settings/",
            {"display_name": "Alice\r\nBcc: everyone@example.com", "email": "alice@example.com",
             "timezone": "UTC", "default_cadence": "instant", "digest_time": "07:00",
             "weekly_digest_day": 0, "max_alerts_per_hour": 10, "max_alerts_per_day": 50},
        )  # fmt: skip
        self.assertContains(response, "Use one line of ordinary characters")
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.display_name, "")

    def test_the_stop_link_works_signed_out(self) -> None:
        story = self.make_story()
        mine = post_comment(story, self.alice, "Tell me of replies", notify_replies=True)
        url = stop_replies_url(mine).removeprefix("http://127.0.0.1:8000")
        self.assertContains(self.client.get(url), "Stop these alerts")
        mine.refresh_from_db()
        self.assertTrue(mine.notify_replies, "a GET changes nothing")
        self.client.post(url)
        mine.refresh_from_db()
        self.assertFalse(mine.notify_replies)
        self.assertEqual(self.client.post(url[:-1] + "x/").status_code, 400, "a forged token")


class ApiTests(BaseTestCase):
    def test_story_json_carries_credits_copyright_and_licence(self) -> None:
        story = self.make_story(photo=True, reusable=True)
        response = self.client.get(reverse("api:story", args=[story.slug]))
        self.assertRedirects(
            response, f"/api/v1/stories/{story.pk}", status_code=308, fetch_redirect_response=False
        )
        data = self.client.get(f"/api/v1/stories/{story.pk}").json()
        rights = data["rights"]
        self.assertIn("Copyright Chronicle Media Ltd", rights["copyright"])
        self.assertEqual(rights["photo_credit"], "Photo by Lena Brandt/Coast")
        self.assertEqual(rights["licence"], "All rights reserved")
        self.assertEqual(rights["byline"], "Ana Costa")
        self.assertIn(story.get_absolute_url(), rights["attribution"])
        self.assertEqual(data["photo"]["credit"], "Photo by Lena Brandt/Coast")
        listing = self.client.get(reverse("api:stories"), follow=True).json()
        self.assertEqual(listing["items"][0]["rights"], rights)

    def test_comments_through_the_api(self) -> None:
        story = self.make_story()
        self.assertRedirects(
            self.client.post(reverse("api:comments", args=[story.slug])),
            f"/api/v1/stories/{story.pk}/comments",
            status_code=308,
            fetch_redirect_response=False,
        )
        url = f"/api/v1/stories/{story.pk}/comments"
        self.assertEqual(
            self.client.post(url, "{}", content_type="application/json").status_code, 401
        )
        self.client.force_login(self.alice)
        response = self.client.post(
            url, json.dumps({"body": "<script>x</script>Via the API"}),
            content_type="application/json",
        )  # fmt: skip
        self.assertEqual(response.status_code, 201)
        shown = "<p>&lt;script&gt;x&lt;/script&gt;Via the API</p>"
        self.assertEqual(response.json()["html"], shown)
        listed = self.client.get(url).json()
        self.assertEqual([c["html"] for c in listed["comments"]], [shown])
        with self.settings(COMMENT_RATE_PER_READER=1):
            response = self.client.post(
                url, json.dumps({"body": "again"}), content_type="application/json"
            )
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Retry-After"], "600")


class HiddenThingsTests(BaseTestCase):
    def test_hidden_and_waiting_comments_cannot_be_read_by_id(self) -> None:
        from comments.actions import moderate_comment

        story = self.make_story()
        hidden = post_comment(story, self.alice, "A comment an editor hid later.")
        moderate_comment(hidden, self.bob, "hide")
        waiting_story = self.make_story("Waiting room", comments_premoderated=True)
        waiting = post_comment(waiting_story, self.alice, "Awaiting approval, this one.")
        self.client.force_login(self.charlie)
        for comment in (hidden, waiting):
            for url in (f"/comments/{comment.pk}/edit/", f"/comments/{comment.pk}/report/"):
                with self.subTest(url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 404)
                    self.assertNotContains(response, comment.body, status_code=404)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/comments/{waiting.pk}/edit/"), waiting.body)
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.get(f"/comments/{waiting.pk}/edit/").status_code, 404)

    def test_a_story_taken_back_to_draft_shows_nothing_to_readers(self) -> None:
        from alerts.actions import fan_out, follow_topic
        from alerts.models import Event
        from stories.actions import unpublish_story
        from topics.models import Topic

        follow_topic(self.alice, Topic.objects.get_or_create(name="Kenya", kind="place")[0])
        story = self.make_story("A story the editors withdrew")
        fan_out(Event.objects.get(story=story).id)
        comment = post_comment(story, self.charlie, "Commented before it was withdrawn.")
        unpublish_story(story)
        self.client.force_login(self.alice)
        notifications = self.client.get("/alerts/notifications/")
        self.assertNotContains(notifications, story.headline)
        self.assertNotContains(self.client.get("/"), 'class="count"')
        for url in (f"/comments/{comment.pk}/report/", story.get_absolute_url()):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 404)
            self.assertNotContains(response, story.headline, status_code=404)


class InvalidInputTests(BaseTestCase):
    def test_bad_api_fields_get_a_422_naming_the_field_and_nothing_is_posted(self) -> None:
        story = self.make_story()
        url = f"/api/v1/stories/{story.pk}/comments"
        self.client.force_login(self.alice)
        cases = {
            '{"body": "Hi", "parent": "abc"}': "parent",
            '{"body": "Hi", "parent": 1.5}': "parent",
            '{"body": "Hi", "parent": true}': "parent",
            '{"body": "Hi", "parent": 999999}': "parent",
            "{}": "body",
            "[1, 2]": "body",
            "1e400": "body",
            '{"body": null}': "body",
            '{"body": 12}': "body",
            '{"body": "Hi", "notify_replies": "yes"}': "notify_replies",
        }
        for raw, field in cases.items():
            with self.subTest(raw):
                response = self.client.post(url, raw, content_type="application/json")
                self.assertEqual(response.status_code, 422)
                error = response.json()["error"]
                self.assertEqual(error["field"], field)
                self.assertTrue(error["message"].startswith(f"{field}: "))
        response = self.client.post(url, "not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], "bad_json")
        self.assertFalse(Comment.objects.exists())

    def test_deleting_a_webhook_by_a_bad_id_is_a_400(self) -> None:
        self.client.force_login(self.alice)
        for value in ("abc", "1e3", "-1", ""):
            with self.subTest(value):
                response = self.client.post("/alerts/webhooks/", {"delete": value})
                self.assertEqual(response.status_code, 400)
                self.assertIn(b"delete:", response.content)

    def test_junk_posted_to_every_form_is_never_a_500(self) -> None:
        from alerts.actions import follow_topic
        from topics.models import Topic

        story = self.make_story(reusable=True)
        comment = post_comment(story, self.alice, "A comment to act on.")
        follow = follow_topic(self.alice, Topic.objects.get(name="Kenya"))
        junk: list[dict[str, object]] = [
            {"body": "x", "parent": "abc", "action": "explode", "cadence": "hourly",
             "scope": "everything", "reason": "nope", "page": "-1", "next": "javascript:alert(1)",
             "timezone": "Mars/Olympus", "digest_time": "25:99", "max_alerts_per_day": "1e400",
             "email": "not-an-address", "url": "gopher://x", "delete": "abc",
             "quiet_start": "noon", "weekly_digest_day": "9", "display_name": "\x00"},
            {"body": ["a", "b"], "parent": ["1", "2"]},
            {},
        ]  # fmt: skip
        urls = [
            f"/comments/on/{story.slug}/", f"/comments/{comment.pk}/edit/",
            f"/comments/{comment.pk}/report/", f"/comments/{comment.pk}/moderate/",
            f"/comments/{comment.pk}/delete/", "/alerts/follow/kenya/",
            f"/alerts/my/topics/{follow.pk}/", "/alerts/my/topics/import/", "/alerts/webhooks/",
            "/alerts/notifications/", "/account/settings/", f"/reuse/{story.slug}/",
            "/alerts/one-click/junk/", "/comments/replies/stop/junk/", "/account/signup/",
        ]  # fmt: skip
        for user in (self.alice, self.bob):
            self.client.force_login(user)
            for url in urls:
                for data in junk:
                    with self.subTest(user=user.username, url=url, fields=len(data)):
                        response = self.client.post(url, data)
                        self.assertLess(response.status_code, 500)
        for url in ("/?page=abc", "/topics/kenya/?page=-5", "/alerts/my/feed/?page=1e9",
                    "/alerts/my/topics/export.exe", "/reuse/download/junk.json"):  # fmt: skip
            with self.subTest(url):
                self.assertLess(self.client.get(url).status_code, 500)


class ReviewFindingsTests(BaseTestCase):
    def test_deeply_nested_or_huge_json_is_refused_with_the_reason(self) -> None:
        story = self.make_story()
        url = f"/api/v1/stories/{story.pk}/comments"
        self.client.force_login(self.alice)
        response = self.client.post(url, "[" * 100_000 + "]" * 100_000, "application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], "bad_json")
        response = self.client.post(url, '{"body": "' + "x" * 70_000 + '"}', "application/json")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["error"]["field"], "body")
        self.assertIn("the limit is", response.json()["error"]["message"])
        with self.settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
            response = self.client.post(url, '{"body": "' + "x" * 2000 + '"}', "application/json")
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json()["error"]["code"], "too_large")
        self.assertFalse(Comment.objects.exists())

    def test_hidden_comments_and_their_replies_tell_nothing_through_the_api(self) -> None:
        from comments.actions import moderate_comment

        story = self.make_story()
        hidden = post_comment(story, self.alice, "To be hidden.")
        reply = post_comment(story, self.charlie, "A reply under it.", parent=hidden)
        moderate_comment(hidden, self.bob, "hide")
        url = f"/api/v1/stories/{story.pk}/comments"
        listed = [c["id"] for c in self.client.get(url).json()["comments"]]
        self.assertNotIn(reply.pk, listed, "as on the page")
        self.client.force_login(self.charlie)
        errors = [
            self.client.post(
                url, json.dumps({"body": "Hi", "parent": pk}), content_type="application/json"
            )
            .json()["error"]["message"]
            .replace(str(pk), "N")
            for pk in (hidden.pk, 999_999)
        ]
        self.assertEqual(errors[0], errors[1], "a hidden comment answers as a missing one")
        response = self.client.post(f"/comments/{hidden.pk}/moderate/", {"action": "restore"})
        self.assertEqual(response.status_code, 404)
