"""Readers following topics through the site: buttons, my topics, feeds, one-click links."""

import datetime as dt
import json
import re
from typing import Any

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Cadence
from alerts.actions import fan_out, follow_topic, unfollow_topic
from alerts.models import Alert, Event, Follow
from alerts.tokens import make_token
from tidings.test import PASSWORD, BaseTestCase
from topics.actions import ensure_topic
from topics.models import Topic


class FollowButtonTests(BaseTestCase):
    def setUp(self) -> None:
        self.story = self.make_story()
        self.kenya = Topic.objects.get(name="Kenya")

    def test_follow_without_javascript_is_a_form_post_that_comes_back(self) -> None:
        self.client.force_login(self.alice)
        page = self.story.get_absolute_url()
        response = self.client.post("/alerts/follow/kenya/", {"action": "follow", "next": page})
        self.assertRedirects(response, page, fetch_redirect_response=False)
        self.assertTrue(Follow.objects.filter(reader=self.alice, topic=self.kenya).exists())
        response = self.client.get(page)
        self.assertContains(response, 'aria-label="Unfollow Kenya"')
        self.assertContains(response, "You now follow Kenya.")

    def test_htmx_gets_the_new_button_in_place(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/alerts/follow/kestrel-energy/",
            {"action": "follow", "variant": "alert"},
            headers={"HX-Request": "true"},
        )
        self.assertContains(response, "You get alerts on Kestrel Energy")
        self.assertNotContains(response, "<html")
        response = self.client.post(
            "/alerts/follow/kestrel-energy/",
            {"action": "unfollow", "variant": "alert"},
            headers={"HX-Request": "true"},
        )
        self.assertContains(response, "Get alerts on Kestrel Energy when a new story is published")
        self.assertFalse(Follow.objects.exists())

    def test_signed_out_readers_are_sent_to_sign_in(self) -> None:
        response = self.client.post("/alerts/follow/kenya/", {"next": "/topics/kenya/"})
        self.assertRedirects(response, "/login/?next=/topics/kenya/", fetch_redirect_response=False)
        response = self.client.post("/alerts/follow/kenya/", headers={"HX-Request": "true"})
        self.assertEqual(response.headers["HX-Redirect"], "/login/?next=/topics/kenya/")
        self.assertFalse(Follow.objects.exists())

    def test_a_follow_clicked_signed_out_is_made_at_sign_in(self) -> None:
        page = self.story.get_absolute_url()
        response = self.client.post("/alerts/follow/kenya/", {"next": page, "variant": "alert"})
        login = response.headers["Location"]
        self.assertContains(
            self.client.get(login), "Sign in or create an account, and you will follow Kenya."
        )
        response = self.client.post(
            "/login/", {"username": "alice", "password": PASSWORD, "next": page}, follow=True
        )
        self.assertEqual(response.redirect_chain[-1][0], page)
        self.assertContains(response, "You now follow Kenya")
        self.assertTrue(Follow.objects.filter(reader=self.alice, topic=self.kenya).exists())
        self.assertContains(response, 'aria-label="Unfollow Kenya"')

    def sign_up_and_confirm(self, next_page: str) -> Any:
        self.client.post(
            "/account/signup/",
            {"username": "dana", "email": "dana@example.com", "password1": PASSWORD,
             "password2": PASSWORD, "next": next_page},
        )  # fmt: skip
        (message,) = mail.outbox
        link = re.search(r"/account/confirm/\S+/", str(message.body))
        assert link is not None
        return self.client.post(link.group(), follow=True)

    def test_a_follow_clicked_signed_out_is_made_at_sign_up(self) -> None:
        page = self.story.get_absolute_url()
        self.client.post("/alerts/follow/kenya/", {"next": page}, headers={"HX-Request": "true"})
        signup = self.client.get(f"/account/signup/?next={page}")
        self.assertContains(signup, f'name="next" value="{page}"')
        response = self.sign_up_and_confirm(page)
        self.assertEqual(response.redirect_chain[-1][0], page)
        self.assertContains(response, "You now follow Kenya")
        self.assertTrue(Follow.objects.filter(reader__username="dana", topic=self.kenya).exists())

    def test_a_pending_follow_goes_only_to_a_page_on_this_site(self) -> None:
        self.client.post("/alerts/follow/kenya/", {"next": "https://evil.example/"})
        response = self.sign_up_and_confirm("https://evil.example/")
        self.assertEqual(response.redirect_chain[-1][0], "/topics/")
        self.assertTrue(Follow.objects.filter(reader__username="dana", topic=self.kenya).exists())

    def test_get_is_not_allowed(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/alerts/follow/kenya/").status_code, 405)


class MyTopicsTests(BaseTestCase):
    def setUp(self) -> None:
        self.kenya = ensure_topic("Kenya", Topic.Kind.PLACE)
        self.climate = ensure_topic("Climate", Topic.Kind.THEME)
        self.follow = follow_topic(self.alice, self.kenya)
        self.client.force_login(self.alice)

    def test_change_cadence_scope_mute_and_snooze(self) -> None:
        prefix = f"f{self.follow.id}"
        response = self.client.post(
            f"/alerts/my/topics/{self.follow.id}/",
            {
                f"{prefix}-cadence": "weekly",
                f"{prefix}-scope": "primary",
                f"{prefix}-muted": "on",
                f"{prefix}-snooze_days": "7",
            },
        )
        self.assertRedirects(response, "/alerts/my/topics/")
        self.follow.refresh_from_db()
        self.assertEqual((self.follow.cadence, self.follow.scope, self.follow.muted),
                         ("weekly", "primary", True))  # fmt: skip
        self.assertTrue(self.follow.is_snoozed())
        page = self.client.get("/alerts/my/topics/")
        self.assertContains(page, "muted")
        self.assertContains(page, "snoozed until")

    def test_someone_elses_follow_is_not_found(self) -> None:
        self.client.force_login(self.charlie)
        response = self.client.post(f"/alerts/my/topics/{self.follow.id}/", {})
        self.assertEqual(response.status_code, 404)

    def test_export_and_import_json_and_opml(self) -> None:
        follow_topic(self.alice, self.climate, cadence=Cadence.DAILY)
        exported = self.client.get("/alerts/my/topics/export.json")
        data = json.loads(exported.content)
        self.assertEqual({f["topic"]: f["cadence"] for f in data["follows"]},
                         {"kenya": "instant", "climate": "daily"})  # fmt: skip
        opml = self.client.get("/alerts/my/topics/export.opml").content
        self.assertIn(b'xmlUrl="http://127.0.0.1:8000/topics/kenya/feed/"', opml)

        self.client.force_login(self.charlie)
        upload = SimpleUploadedFile("follows.json", exported.content)
        self.client.post("/alerts/my/topics/import/", {"file": upload})
        self.assertEqual(dict(Follow.objects.filter(reader=self.charlie)
                              .values_list("topic__slug", "cadence")),
                         {"kenya": "instant", "climate": "daily"})  # fmt: skip
        Follow.objects.filter(reader=self.charlie).delete()
        upload = SimpleUploadedFile("follows.opml", opml + b"")
        response = self.client.post("/alerts/my/topics/import/", {"file": upload}, follow=True)
        self.assertContains(response, "Imported 2 follows.")

    def test_a_hostile_or_broken_import_is_refused_with_the_reason(self) -> None:
        bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
                b"<opml><body><outline text='&lol;'/></body></opml>")  # fmt: skip
        for name, data, reason in [
            ("bomb.opml", bomb, "neither JSON nor safe OPML"),
            ("bad.json", b'{"follows": 3}', "Nothing imported"),
            ("other.json", b'{"hello": 1}', "not a tidings follows export"),
        ]:
            with self.subTest(name):
                response = self.client.post(
                    "/alerts/my/topics/import/",
                    {"file": SimpleUploadedFile(name, data)},
                    follow=True,
                )
                self.assertContains(response, reason)
        self.assertEqual(Follow.objects.filter(reader=self.alice).count(), 1)

    def test_unknown_topics_are_reported_not_created(self) -> None:
        data = json.dumps({"follows": [{"topic": "atlantis", "name": "Atlantis"}]}).encode()
        response = self.client.post(
            "/alerts/my/topics/import/", {"file": SimpleUploadedFile("f.json", data)}, follow=True
        )
        self.assertContains(response, "Not found here: Atlantis")
        self.assertFalse(Topic.objects.filter(slug="atlantis").exists())


class InAppTests(BaseTestCase):
    def test_unread_count_notifications_and_my_feed(self) -> None:
        follow_topic(self.alice, ensure_topic("Kenya", Topic.Kind.PLACE))
        story = self.make_story()
        fan_out(Event.objects.get(story=story).id)
        self.client.force_login(self.alice)
        home = self.client.get("/")
        self.assertContains(home, 'aria-label="1 unread"')
        page = self.client.get("/alerts/notifications/")
        self.assertContains(page, story.headline)
        self.assertContains(page, "because you follow Kenya")
        feed = self.client.get("/alerts/my/feed/")
        self.assertContains(feed, '<p class="badge">New</p>')
        self.client.get(story.get_absolute_url())  # reading the story reads its alert
        self.assertNotContains(self.client.get("/"), "unread")
        self.assertNotContains(self.client.get("/alerts/my/feed/"), '<p class="badge">New</p>')

    def test_mark_all_read(self) -> None:
        follow_topic(self.alice, ensure_topic("Kenya", Topic.Kind.PLACE))
        fan_out(Event.objects.get(story=self.make_story()).id)
        self.client.force_login(self.alice)
        self.client.post("/alerts/notifications/")
        self.assertFalse(Alert.objects.unread().exists())


class FeedTests(BaseTestCase):
    # The rights line names the year of publication.
    @time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    def test_public_topic_feed_and_private_reader_feed_carry_rights(self) -> None:
        follow_topic(self.alice, ensure_topic("Kenya", Topic.Kind.PLACE))
        story = self.make_story(photo=True)
        fan_out(Event.objects.get(story=story).id)
        topic_feed = self.client.get("/topics/kenya/feed/")
        self.assertEqual(topic_feed["Content-Type"], "application/atom+xml; charset=utf-8")
        for response in (topic_feed, self.client.get(f"/alerts/feeds/{self.alice.feed_token}/")):
            self.assertContains(response, f"<title>{story.headline}</title>")
            self.assertContains(
                response,
                "<rights>Copyright Chronicle Media Ltd 2026. All rights reserved. "
                "Photo by Lena Brandt/Coast.</rights>",
            )
        self.assertEqual(self.client.get("/alerts/feeds/not-the-token/").status_code, 404)

    def test_a_plain_text_standfirst_goes_out_as_text_escaped(self) -> None:
        self.make_story(standfirst='Why <b>bold</b> & "quoted" stays as typed.')
        feed = self.client.get("/topics/kenya/feed/").content.decode()
        self.assertIn(
            '<summary type="text">Why &lt;b&gt;bold&lt;/b&gt; &amp; "quoted" stays as typed.'
            "</summary>",
            feed,
        )
        self.assertNotIn('type="html"', feed)


class OneClickTests(BaseTestCase):
    def setUp(self) -> None:
        self.kenya = ensure_topic("Kenya", Topic.Kind.PLACE)
        self.follow = follow_topic(self.alice, self.kenya)
        self.url = f"/alerts/one-click/{make_token('unfollow', self.alice.id, [self.follow.id])}/"

    def test_rfc8058_one_click_post_unsubscribes_without_a_session_or_csrf(self) -> None:
        client = self.client_class(enforce_csrf_checks=True)
        response = client.post(self.url, {"List-Unsubscribe": "One-Click"})
        self.assertContains(response, "You no longer follow")
        self.assertFalse(Follow.objects.exists())

    def test_get_only_asks_so_link_scanners_change_nothing(self) -> None:
        self.assertContains(self.client.get(self.url), "Confirm")
        self.assertTrue(Follow.objects.exists())

    def test_digest_and_snooze_links(self) -> None:
        for action in ("digest", "snooze"):
            token = make_token(action, self.alice.id, [self.follow.id])
            self.client.post(f"/alerts/one-click/{token}/")
        follow = Follow.objects.get()
        self.assertEqual(follow.cadence, Cadence.DAILY)
        self.assertTrue(follow.is_snoozed())

    def test_a_link_stops_working_once_its_follow_is_removed_and_made_again(self) -> None:
        unfollow_topic(self.alice, self.kenya)
        again = follow_topic(self.alice, self.kenya)
        response = self.client.post(self.url, {"List-Unsubscribe": "One-Click"})
        self.assertContains(response, "This link no longer applies", status_code=410)
        self.assertTrue(Follow.objects.filter(id=again.id).exists(), "the new follow stays")

    def test_a_forged_link_does_nothing(self) -> None:
        response = self.client.post(self.url.replace("unfollow", "x").rstrip("/") + "x/")
        self.assertEqual(response.status_code, 400)
        self.assertTrue(Follow.objects.exists())


class AlertEmailTests(BaseTestCase):
    def test_email_links_work_without_signing_in(self) -> None:
        from alerts.actions import deliver_due

        follow_topic(self.alice, ensure_topic("Kenya", Topic.Kind.PLACE))
        fan_out(Event.objects.get(story=self.make_story()).id)
        deliver_due()
        (message,) = mail.outbox
        unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
        path = unsubscribe.removeprefix("http://127.0.0.1:8000")
        self.client.post(path, {"List-Unsubscribe": "One-Click"})
        self.assertFalse(Follow.objects.exists())
