"""Fan-out: who gets an alert for a new story, and why; one per reader per story."""

import datetime as dt
import itertools
from typing import Any
from unittest import skipUnless

from django.db import DatabaseError, connection
from django.test import TransactionTestCase
from django.utils import timezone

from accounts.actions import ensure_user
from accounts.models import Cadence
from alerts.actions import fan_out, follow_topic
from alerts.models import Alert, Delivery, Event, Follow, WebhookEndpoint
from stories.actions import flag_significant_update
from stories.models import Story
from tidings.test import PASSWORD, BaseTestCase, People
from topics.actions import attach_topic, ensure_topic
from topics.models import StoryTopic, Topic

KESTREL = ("Kestrel Energy", Topic.Kind.ORGANISATION)
KENYA = ("Kenya", Topic.Kind.PLACE)
CLIMATE = ("Climate", Topic.Kind.THEME)


class FanOutTests(BaseTestCase):
    def setUp(self) -> None:
        self.kestrel = ensure_topic(*KESTREL)
        self.kenya = ensure_topic(*KENYA)
        self.climate = ensure_topic(*CLIMATE)

    def publish(
        self, headline: str = "Kestrel Energy opens a wind farm in Kenya", **kw: Any
    ) -> Story:
        return self.make_story(headline, **kw)

    def run_fan_out(self, story: Story) -> int:
        event = Event.objects.filter(story=story).latest("created_at")
        return fan_out(event.id)

    def test_one_alert_per_reader_however_many_topics_match_with_the_reasons(self) -> None:
        for topic in (self.kestrel, self.kenya, self.climate):
            follow_topic(self.alice, topic)
        story = self.publish()
        self.assertEqual(self.run_fan_out(story), 1)
        alert = Alert.objects.get(reader=self.alice)
        reasons = {(r.topic.name if r.topic else "", r.role) for r in alert.reason_list}
        self.assertEqual(
            reasons, {("Kestrel Energy", "primary"), ("Kenya", "about"), ("Climate", "about")}
        )
        (primary,) = [r for r in alert.reason_list if r.role == "primary"]
        self.assertIn("because you follow Kestrel Energy", str(primary))
        self.assertEqual(alert.cadence, Cadence.INSTANT)
        self.assertEqual(Delivery.objects.get(alert=alert).channel, "email")

    def test_running_the_fan_out_twice_is_harmless(self) -> None:
        follow_topic(self.alice, self.kenya)
        follow_topic(self.alice, self.climate)
        story = self.publish()
        event = Event.objects.get(story=story)
        fan_out(event.id)
        reasons = Alert.objects.get(reader=self.alice).reasons
        self.assertEqual(len(reasons.split()), 2)
        Event.objects.filter(id=event.id).update(fanned_out_at=None)  # as if it crashed at the end
        fan_out(event.id)
        self.assertEqual(Alert.objects.get(reader=self.alice).reasons, reasons, "none doubled")
        self.assertEqual(Delivery.objects.filter(reader=self.alice).count(), 1)

    def test_a_run_again_adds_new_reasons_but_keeps_the_cadence(self) -> None:
        follow_topic(self.alice, self.kenya, cadence=Cadence.DAILY)
        story = self.publish()
        event = Event.objects.get(story=story)
        fan_out(event.id)
        follow_topic(self.alice, self.climate)  # instant, since the first run
        for _ in range(2):
            Event.objects.filter(id=event.id).update(fanned_out_at=None)
            fan_out(event.id)
            alert = Alert.objects.get(reader=self.alice)
            self.assertEqual(
                sorted(r.topic_id for r in alert.reason_list),
                sorted([self.kenya.id, self.climate.id]),
            )
            # Its digest may hold it already: an instant email now would bring it twice.
            self.assertEqual(alert.cadence, Cadence.DAILY)
            self.assertFalse(Delivery.objects.exists())

    def test_scope_decides_which_roles_count(self) -> None:
        dana = ensure_user("dana", PASSWORD, email="dana@example.com")
        story = self.publish(topics=(KESTREL, KENYA))
        attach_topic(story, self.climate.id, role=StoryTopic.Role.MENTION, salience=0.1)
        follow_topic(self.alice, self.kenya, scope=Follow.Scope.PRIMARY)  # Kenya is "about"
        follow_topic(self.charlie, self.kenya, scope=Follow.Scope.ABOUT)
        follow_topic(dana, self.climate, scope=Follow.Scope.ABOUT)  # Climate is a mention
        follow_topic(self.bob, self.climate, scope=Follow.Scope.MENTION)
        Story.objects.filter(id=story.id).update(created_by=None)  # bob is not the author here
        self.run_fan_out(story)
        self.assertEqual(
            set(Alert.objects.values_list("reader__username", flat=True)), {"charlie", "bob"}
        )

    def test_muted_snoozed_off_and_the_author_get_nothing(self) -> None:
        dana = ensure_user("dana", PASSWORD, email="dana@example.com")
        follow_topic(self.alice, self.kenya, muted=True)
        follow_topic(self.charlie, self.kenya, snoozed_until=timezone.now() + dt.timedelta(days=1))
        follow_topic(dana, self.kenya, cadence=Cadence.OFF)
        follow_topic(self.bob, self.kenya)  # bob wrote the story
        self.assertEqual(self.run_fan_out(self.publish()), 0)

    def test_an_expired_snooze_alerts_again(self) -> None:
        follow_topic(self.alice, self.kenya, snoozed_until=timezone.now() - dt.timedelta(hours=1))
        self.assertEqual(self.run_fan_out(self.publish()), 1)

    def test_the_most_eager_follow_decides_the_cadence(self) -> None:
        follow_topic(self.alice, self.kenya, cadence=Cadence.WEEKLY)
        follow_topic(self.alice, self.climate, cadence=Cadence.DAILY)
        self.run_fan_out(self.publish())
        alert = Alert.objects.get(reader=self.alice)
        self.assertEqual(alert.cadence, Cadence.DAILY)
        self.assertFalse(Delivery.objects.exists(), "digest alerts wait for their digest")

    def test_the_most_eager_follow_decides_whichever_topic_comes_first(self) -> None:
        # A reader's matches join their alert one by one: each order must end the same.
        cadences = (Cadence.WEEKLY, Cadence.INSTANT, Cadence.DAILY)
        for n, order in enumerate(itertools.permutations(cadences)):
            reader = ensure_user(f"reader{n}", PASSWORD, email=f"reader{n}@example.com")
            for topic, cadence in zip((self.kestrel, self.kenya, self.climate), order, strict=True):
                follow_topic(reader, topic, cadence=cadence)
        self.run_fan_out(self.publish())
        alerts = Alert.objects.filter(reader__username__startswith="reader")
        self.assertEqual([a.cadence for a in alerts], [Cadence.INSTANT] * 6)
        self.assertEqual({len(a.reason_list) for a in alerts}, {3})

    def test_a_significant_update_alerts_only_readers_who_have_not_had_the_story(self) -> None:
        follow_topic(self.alice, self.kenya)
        story = self.publish()
        self.run_fan_out(story)
        follow_topic(self.charlie, self.kenya)
        follow_topic(self.alice, self.kestrel)  # a new reason, but alice has had the story
        flag_significant_update(story)
        self.assertEqual(self.run_fan_out(story), 1)
        self.assertEqual(Alert.objects.filter(story=story).count(), 2)
        alert = Alert.objects.get(reader=self.alice)
        self.assertEqual([r.topic_id for r in alert.reason_list], [self.kenya.id])
        self.assertEqual(Delivery.objects.filter(reader=self.alice).count(), 1)
        charlie = Alert.objects.get(reader=self.charlie)
        self.assertEqual(charlie.event, Event.objects.filter(story=story).latest("created_at"))
        self.assertEqual(Delivery.objects.filter(alert=charlie).count(), 1)

    def test_an_update_whose_fan_out_overtakes_the_publication_doubles_nothing(self) -> None:
        follow_topic(self.alice, self.kenya)
        story = self.publish()
        published = Event.objects.get(story=story)
        flag_significant_update(story)  # before the publication's fan-out ran
        self.run_fan_out(story)  # the update's
        self.assertEqual(fan_out(published.id), 1)
        alert = Alert.objects.get(reader=self.alice)
        self.assertEqual([r.topic_id for r in alert.reason_list], [self.kenya.id])
        self.assertEqual(Delivery.objects.filter(reader=self.alice).count(), 1)

    def test_republishing_does_not_alert_again(self) -> None:
        from stories.actions import publish_story

        story = self.publish()
        publish_story(story)
        self.assertEqual(Event.objects.filter(story=story).count(), 1)

    def test_webhook_endpoints_get_a_delivery_each_and_email_can_be_off(self) -> None:
        follow_topic(self.alice, self.kenya)
        self.alice.email_alerts = False
        self.alice.save(update_fields=["email_alerts"])
        WebhookEndpoint.objects.create(reader=self.alice, url="https://hooks.example/a")
        WebhookEndpoint.objects.create(reader=self.alice, url="https://hooks.example/b")
        self.run_fan_out(self.publish())
        self.assertEqual(
            sorted(Delivery.objects.values_list("channel", flat=True)), ["webhook", "webhook"]
        )

    def test_batches_cover_every_reader(self) -> None:
        readers = [ensure_user(f"reader{i}", PASSWORD, email=f"r{i}@example.com") for i in range(7)]
        for reader in readers:
            follow_topic(reader, self.kenya)
        with self.settings(ALERTS_FANOUT_BATCH=3):
            self.assertEqual(self.run_fan_out(self.publish()), 7)

    def test_batches_of_readers_who_follow_several_of_the_story_topics(self) -> None:
        # Each reader is counted once per followed topic when the batches are bounded: a bound
        # falls between readers, never inside one.
        readers = [ensure_user(f"reader{i}", PASSWORD, email=f"r{i}@example.com") for i in range(7)]
        for reader in readers:
            follow_topic(reader, self.kenya)
            follow_topic(reader, self.climate)
        for size in (1, 2, 3, 100):
            with self.subTest(size=size), self.settings(ALERTS_FANOUT_BATCH=size):
                story = self.publish(f"Kenya wind farm, part {size}")
                self.assertEqual(self.run_fan_out(story), 7)
                alerts = Alert.objects.filter(story=story)
                self.assertEqual({len(a.reason_list) for a in alerts}, {2})
                self.assertEqual(Delivery.objects.filter(alert__in=alerts).count(), 7)


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class QueueTests(BaseTestCase):
    def test_publishing_alerts_followers_through_the_task_queue(self) -> None:
        follow_topic(self.alice, ensure_topic(*KENYA))
        with self.settings(TASKS=IMMEDIATE), self.captureOnCommitCallbacks(execute=True):
            story = self.make_story()
        self.assertTrue(Alert.objects.filter(reader=self.alice, story=story).exists())
        self.assertIsNotNone(Event.objects.get(story=story).fanned_out_at)

    def test_the_sweeper_finishes_a_fan_out_whose_task_was_lost(self) -> None:
        from alerts.actions import sweep

        follow_topic(self.alice, ensure_topic(*KENYA))
        story = self.make_story()  # its task was never run (the test does not commit)
        Event.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
        with self.settings(TASKS=IMMEDIATE):
            self.assertEqual(sweep()["events"], 1)
        self.assertTrue(Alert.objects.filter(reader=self.alice, story=story).exists())
        with self.settings(TASKS=IMMEDIATE):
            self.assertEqual(sweep()["events"], 0)


@skipUnless(connection.vendor == "sqlite", "SQLite's foreign-key pragma")
class ForeignKeyChecksTests(People, TransactionTestCase):
    """The fan-out's batches skip SQLite's foreign-key checks (their ids come from their own
    joins), and the connection has them back afterwards, also when a batch fails."""

    def setUp(self) -> None:
        self.make_people()
        self.kenya = ensure_topic(*KENYA)
        follow_topic(self.alice, self.kenya)
        self.story = self.make_story(topics=(KENYA,))

    def checks_on(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            return bool(cursor.fetchone()[0])

    def test_checks_are_on_again_after_a_fan_out(self) -> None:
        seen: list[bool] = []

        def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.lstrip().startswith(("INSERT INTO alerts_", 'INSERT INTO "alerts_')):
                seen.append(self.checks_on_raw(context["connection"]))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(spy):
            self.assertEqual(fan_out(Event.objects.get(story=self.story).id), 1)
        self.assertTrue(seen)
        self.assertFalse(any(seen), "the batch's inserts ran with the checks off")
        self.assertTrue(self.checks_on())

    def test_checks_are_on_again_after_a_failed_batch(self) -> None:
        event = Event.objects.get(story=self.story)

        def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.lstrip().startswith("INSERT INTO"):
                raise DatabaseError("disk full")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(fail), self.assertRaises(DatabaseError):
            fan_out(event.id)
        self.assertTrue(self.checks_on())
        self.assertFalse(Alert.objects.exists())

    @staticmethod
    def checks_on_raw(conn: Any) -> bool:
        # Below Django's cursor, so that the spy does not see its own statement.
        return bool(conn.connection.execute("PRAGMA foreign_keys").fetchone()[0])
