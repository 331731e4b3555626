"""Delivery through a real SMTP server and a real webhook receiver: retries, noise control."""

import datetime as dt
import json
import zoneinfo
from typing import Any

import time_machine
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Cadence
from alerts import actions
from alerts.actions import deliver_due, fan_out, follow_topic, send_due_digests
from alerts.models import Alert, Delivery, Digest, Event, WebhookEndpoint
from stories.models import Story
from tidings.test import BaseTestCase, Receiver, SMTPSink, body_of
from topics.actions import ensure_topic
from topics.models import Topic

KENYA = ("Kenya", Topic.Kind.PLACE)


class DeliveryTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.kenya = ensure_topic(*KENYA)
        self.n = 0

    def publish(self, **fields: Any) -> Story:
        self.n += 1
        story = self.make_story(f"Kenya story number {self.n}", topics=(KENYA,), **fields)
        fan_out(Event.objects.get(story=story).id)
        return story

    def make_due(self) -> None:
        Delivery.objects.exclude(state=Delivery.State.SENT).update(next_attempt_at=timezone.now())


class EmailTests(DeliveryTestCase):
    def test_an_alert_email_has_both_parts_one_click_headers_and_a_stable_id(self) -> None:
        follow_topic(self.alice, self.kenya)
        story = self.publish(photo=True)
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 1)
        (mail,) = sink.messages
        self.assertEqual(mail["To"], "alice@example.com")
        self.assertEqual(mail["Subject"], story.headline)
        delivery = Delivery.objects.get()
        self.assertEqual(mail["Message-ID"], f"<delivery-{delivery.id}@127.0.0.1>")
        self.assertEqual(mail["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn("/alerts/one-click/", mail["List-Unsubscribe"])
        text = body_of(mail, "plain")
        html = body_of(mail, "html")
        self.assertIn("Because you follow Kenya, the story's primary topic", text)
        self.assertIn("Copyright Chronicle Media Ltd", text)
        self.assertIn("Photo by Lena Brandt/Coast", html)
        for link in ("Unfollow", "Switch to a daily digest", "Snooze for 7 days"):
            self.assertIn(link, text)
        self.assertEqual(delivery.state, Delivery.State.SENT)

    def test_a_mail_server_that_is_down_and_comes_back_loses_nothing(self) -> None:
        follow_topic(self.alice, self.kenya)
        self.publish()
        sink = SMTPSink()
        with self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 0)  # nothing listens on the port yet
            delivery = Delivery.objects.get()
            self.assertEqual(delivery.state, Delivery.State.RETRYING)
            self.assertIn("mail server unavailable", delivery.last_error)
            wait = delivery.next_attempt_at - timezone.now()
            self.assertTrue(dt.timedelta(seconds=40) < wait < dt.timedelta(seconds=80))
            self.assertEqual(deliver_due(), 0, "not due again before its backoff")
            self.make_due()
            with sink.running():
                self.assertEqual(deliver_due(), 1)
        self.assertEqual(len(sink.messages), 1)
        delivery.refresh_from_db()
        self.assertEqual((delivery.state, delivery.attempts), (Delivery.State.SENT, 2))

    def test_dead_letter_after_the_schedule_and_retry_from_the_admin(self) -> None:
        follow_topic(self.alice, self.kenya)
        self.publish()
        sink = SMTPSink()
        with self.settings(**sink.settings()):
            for _ in range(len(actions.BACKOFF) + 1):
                self.make_due()
                deliver_due()
            delivery = Delivery.objects.get()
            self.assertEqual(delivery.state, Delivery.State.DEAD)
            self.client.force_login(self.bob)
            self.bob.is_superuser = True
            self.bob.save(update_fields=["is_superuser"])
            response = self.client.get("/admin/alerts/delivery/?state__exact=dead")
            self.assertContains(response, "mail server unavailable")
            with sink.running(), self.captureOnCommitCallbacks(execute=False):
                self.client.post(
                    "/admin/alerts/delivery/",
                    {"action": "retry", "_selected_action": [delivery.id]},
                )
                self.assertEqual(deliver_due(), 1)
        self.assertEqual(len(sink.messages), 1)

    def test_a_worker_that_died_mid_send_is_relieved_when_its_lease_runs_out(self) -> None:
        follow_topic(self.alice, self.kenya)
        self.publish()
        delivery = Delivery.objects.get()
        self.assertTrue(actions.claim(delivery.id, timezone.now()))
        self.assertFalse(actions.claim(delivery.id, timezone.now()), "claimed once only")
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 0)
            Delivery.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
            self.assertEqual(deliver_due(), 1)
        self.assertEqual(len(sink.messages), 1)

    def test_a_stopping_worker_gives_back_only_what_it_still_holds(self) -> None:
        from tidings import shutdown

        follow_topic(self.alice, self.kenya)
        self.publish()
        self.publish()
        sink = SMTPSink()
        shutdown.request_stop()
        self.addCleanup(shutdown._requested.clear)
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 0, "asked to stop before the first send")
        self.assertEqual(sink.messages, [])
        self.assertEqual(
            set(Delivery.objects.values_list("state", "attempts", "lease_until")),
            {(Delivery.State.PENDING, 0, None)},
            "untried: due again at once, no attempt counted",
        )
        # A lease that ran out may be another worker's now: a late give-back leaves it be.
        now = timezone.now()
        mine, theirs = Delivery.objects.order_by("id")
        lease = now + actions.LEASE
        Delivery.objects.filter(id=mine.id).update(
            state=Delivery.State.SENDING, lease_until=lease, attempts=1
        )
        Delivery.objects.filter(id=theirs.id).update(
            state=Delivery.State.SENDING, lease_until=lease + dt.timedelta(minutes=5), attempts=2
        )
        actions._give_back([mine.id, theirs.id], lease, state=Delivery.State.PENDING)
        mine.refresh_from_db()
        theirs.refresh_from_db()
        self.assertEqual((mine.state, mine.attempts), (Delivery.State.PENDING, 0))
        self.assertEqual((theirs.state, theirs.attempts), (Delivery.State.SENDING, 2))


class NoiseTests(DeliveryTestCase):
    def test_quiet_hours_hold_alerts_until_they_end(self) -> None:
        self.alice.timezone = "Asia/Tokyo"
        now_tokyo = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=9)))
        start = (now_tokyo - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (now_tokyo + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
        self.alice.quiet_start, self.alice.quiet_end = start, end
        self.alice.save()
        follow_topic(self.alice, self.kenya)
        self.publish()
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 0)
            delivery = Delivery.objects.get()
            self.assertEqual((delivery.state, delivery.attempts), (Delivery.State.PENDING, 0))
            held = delivery.next_attempt_at - timezone.now()
            self.assertTrue(dt.timedelta(hours=1, minutes=58) < held < dt.timedelta(hours=2))
            self.assertEqual(sink.messages, [])
            later = timezone.now() + dt.timedelta(hours=2, minutes=1)
            with time_machine.travel(later):
                self.assertEqual(deliver_due(), 1)
        self.assertEqual(len(sink.messages), 1)

    def test_caps_roll_the_rest_into_the_next_daily_digest(self) -> None:
        self.alice.max_alerts_per_hour = 2
        self.alice.save()
        other = ensure_topic("Climate", Topic.Kind.THEME)
        topics = [ensure_topic(f"Topic {i}", Topic.Kind.THEME) for i in range(4)]
        for topic in [other, *topics]:
            follow_topic(self.alice, topic)
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            for i, topic in enumerate(topics):  # different topics, so no coalescing
                story = self.make_story(f"Story {i}", topics=((topic.name, topic.kind),))
                fan_out(Event.objects.get(story=story).id)
                deliver_due()
        self.assertEqual(len(sink.messages), 2)
        rolled = Delivery.objects.filter(state=Delivery.State.ROLLED)
        self.assertEqual(rolled.count(), 2)
        self.assertEqual(
            Alert.objects.filter(cadence=Cadence.DAILY, digest__isnull=True).count(), 2
        )

    def test_a_burst_on_one_topic_goes_as_one_alert_after_the_first(self) -> None:
        follow_topic(self.alice, self.kenya)
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.publish()
            deliver_due()  # the first story goes at once
            for _ in range(3):
                self.publish()
                deliver_due()  # held: the topic had an alert minutes ago
            self.assertEqual(len(sink.messages), 1)
            later = timezone.now() + actions.BURST_WINDOW + dt.timedelta(seconds=5)
            with time_machine.travel(later):
                deliver_due()
        self.assertEqual(len(sink.messages), 2)
        self.assertEqual(sink.messages[1]["Subject"], "3 new stories on Kenya")
        self.assertEqual(Delivery.objects.filter(state=Delivery.State.MERGED).count(), 2)


NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


# Digests are about the reader's calendar: the whole class runs on Wednesday 25 November 2026,
# 05:00 in New York, so the stories exist before the digest times the tests ask about.
@time_machine.travel(dt.datetime(2026, 11, 25, 5, 0, tzinfo=NEW_YORK))
class DigestTests(DeliveryTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.alice.timezone = "America/New_York"
        self.alice.digest_time = dt.time(7, 0)
        self.alice.save()

    def at_local(self, hour: int, day: int = 25) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, 30, tzinfo=NEW_YORK)

    def test_one_digest_per_period_at_the_readers_time_grouped_by_topic(self) -> None:
        climate = ensure_topic("Climate", Topic.Kind.THEME)
        follow_topic(self.alice, self.kenya, cadence=Cadence.DAILY)
        follow_topic(self.alice, climate, cadence=Cadence.DAILY)
        self.publish()
        self.make_story("Climate talks resume", topics=(("Climate", Topic.Kind.THEME),))
        fan_out(Event.objects.latest("created_at").id)
        self.assertEqual(send_due_digests(self.at_local(6)), 0, "before 7:00 local time")
        self.assertEqual(send_due_digests(self.at_local(8)), 1)
        self.assertEqual(send_due_digests(self.at_local(9)), 0, "already sent today")
        digest = Digest.objects.get()
        self.assertEqual(digest.alerts.count(), 2)
        sink = SMTPSink()
        with sink.running(), self.settings(**sink.settings()):
            self.assertEqual(deliver_due(), 1)
        (mail,) = sink.messages
        self.assertIn("Your daily tidings digest: 2 new stories", mail["Subject"])
        text = body_of(mail, "plain")
        self.assertLess(text.index("== Climate =="), text.index("== Kenya =="))

    def test_a_period_that_already_has_its_digest_gets_no_second_one(self) -> None:
        follow_topic(self.alice, self.kenya, cadence=Cadence.DAILY)
        self.publish()
        # Another scheduler made today's digest first (the unique constraint is what stops us).
        Digest.objects.create(reader=self.alice, period="daily", period_start=dt.date(2026, 11, 25))
        self.assertEqual(send_due_digests(self.at_local(8)), 0)
        self.assertEqual(Digest.objects.count(), 1)
        self.assertEqual(send_due_digests(self.at_local(8, day=26)), 1, "the next day's digest")

    def test_an_empty_period_sends_nothing(self) -> None:
        follow_topic(self.alice, self.kenya, cadence=Cadence.DAILY)
        self.assertEqual(send_due_digests(self.at_local(8)), 0)
        self.assertFalse(Digest.objects.exists())

    def test_weekly_digests_go_on_the_readers_day(self) -> None:
        follow_topic(self.alice, self.kenya, cadence=Cadence.WEEKLY)
        self.publish()
        # 25 Nov 2026 is a Wednesday; alice's weekly day is Monday.
        self.assertEqual(send_due_digests(self.at_local(8, day=25)), 0)
        self.assertEqual(send_due_digests(self.at_local(8, day=30)), 1)
        self.assertEqual(Digest.objects.get().period, Digest.Period.WEEKLY)


@override_settings(WEBHOOK_ALLOW=["127.0.0.1/32"])
class WebhookTests(DeliveryTestCase):
    def setUp(self) -> None:
        super().setUp()
        follow_topic(self.alice, self.kenya)
        self.alice.email_alerts = False
        self.alice.save()

    def test_signed_payload_verifies_and_the_id_is_stable_across_retries(self) -> None:
        receiver = Receiver(statuses=[503, 200])
        with receiver.running() as base:
            endpoint = actions.add_webhook(self.alice, f"{base}/hook")
            story = self.publish(photo=True)
            deliver_due()
            self.make_due()
            deliver_due()
        (h1, _), (h2, body) = receiver.requests
        self.assertEqual(h1["webhook-id"], h2["webhook-id"])
        payload = Webhook(endpoint.secret).verify(body, h2)
        (item,) = payload["data"]["stories"]
        self.assertEqual(item["headline"], story.headline)
        self.assertIn("Copyright Chronicle Media Ltd", item["copyright"])
        self.assertEqual(item["photo_credit"], "Photo by Lena Brandt/Coast")
        self.assertEqual(json.loads(body)["type"], "alert.created")
        self.assertEqual(Delivery.objects.get().state, Delivery.State.SENT)

    def test_410_disables_the_endpoint_and_3xx_is_not_delivered(self) -> None:
        receiver = Receiver(statuses=[302, 410])
        with receiver.running() as base:
            actions.add_webhook(self.alice, f"{base}/hook")
            self.publish()
            deliver_due()
            delivery = Delivery.objects.get()
            self.assertEqual(delivery.state, Delivery.State.RETRYING)
            self.make_due()
            deliver_due()
        delivery.refresh_from_db()
        self.assertEqual(delivery.state, Delivery.State.DEAD)
        endpoint = WebhookEndpoint.objects.get()
        self.assertFalse(endpoint.enabled)
        self.assertIn("410", endpoint.disabled_reason)

    def test_private_addresses_are_refused_at_registration_and_at_sending(self) -> None:
        from tidings.safehttp import SafeHTTPError

        with self.settings(WEBHOOK_ALLOW=[]):
            # The refusal names the rule, not the address the name resolved to here.
            with self.assertRaisesMessage(SafeHTTPError, "not a public address"):
                actions.add_webhook(self.alice, "http://localhost:9/hook")
            with self.assertRaisesMessage(SafeHTTPError, "must use https"):
                actions.add_webhook(self.alice, "http://8.8.8.8/hook")
            WebhookEndpoint.objects.create(reader=self.alice, url="http://169.254.169.254/x")
            self.publish()
            deliver_due()
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.state, Delivery.State.DEAD)
        self.assertIn("link-local", delivery.last_error)
