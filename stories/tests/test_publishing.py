import datetime as dt
from typing import Any
from unittest import mock

from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

import stories.actions
from alerts.models import Event
from stories.actions import publish_due_stories, publish_story, unpublish_story
from stories.models import Story
from tidings.test import BaseTestCase, People
from topics.models import StoryTopic


class PublishingTests(BaseTestCase):
    def test_publish_now(self) -> None:
        story = self.make_story(publish=False)
        self.assertFalse(Story.objects.published().exists())
        publish_story(story)
        story.refresh_from_db()
        self.assertEqual(story.status, Story.Status.PUBLISHED)
        self.assertEqual(list(Story.objects.published()), [story])
        assert story.published_at is not None
        self.assertEqual(story.copyright_year, story.published_at.year)

    def test_republishing_keeps_the_original_time(self) -> None:
        story = self.make_story()
        first = story.published_at
        publish_story(story)
        story.refresh_from_db()
        self.assertEqual(story.published_at, first)

    def test_schedule_then_publish_when_due(self) -> None:
        story = self.make_story(publish=False)
        publish_story(story, at=timezone.now() + dt.timedelta(hours=1))
        story.refresh_from_db()
        self.assertEqual(story.status, Story.Status.SCHEDULED)
        self.assertFalse(Story.objects.published().exists())
        self.assertEqual(publish_due_stories(), 0)

        Story.objects.filter(pk=story.pk).update(
            published_at=timezone.now() - dt.timedelta(seconds=1)
        )
        self.assertEqual(publish_due_stories(), 1)
        self.assertEqual(publish_due_stories(), 0, "a second run finds nothing left to do")
        self.assertEqual(list(Story.objects.published()), [story])

    def test_unpublish(self) -> None:
        story = self.make_story()
        unpublish_story(story)
        self.assertFalse(Story.objects.published().exists())

    def test_publishing_marks_the_primary_topic(self) -> None:
        story = self.make_story()
        kenya = story.story_topics.get(topic__slug="kenya").topic
        story.primary_topic = kenya
        story.save(update_fields=["primary_topic"])
        publish_story(story)
        roles = dict(story.story_topics.values_list("topic__slug", "role"))
        self.assertEqual(roles["kenya"], StoryTopic.Role.PRIMARY)
        self.assertEqual(roles["kestrel-energy"], StoryTopic.Role.ABOUT)


class ScheduledPublishingTaskTests(BaseTestCase):
    def test_scheduling_enqueues_a_task_that_the_worker_runs_when_due(self) -> None:
        from django.core.management import call_command
        from django_tasks_db.models import DBTaskResult

        story = self.make_story(publish=False)
        at = timezone.now() + dt.timedelta(hours=2)
        with self.captureOnCommitCallbacks(execute=True):
            publish_story(story, at=at)
        result = DBTaskResult.objects.get()
        self.assertEqual(result.run_after, at)
        self.assertIn("publish_scheduled_story", result.task_path)

        # Time passes: the story and its task both fall due.
        past = timezone.now() - dt.timedelta(seconds=1)
        Story.objects.filter(pk=story.pk).update(published_at=past)
        DBTaskResult.objects.update(run_after=past)
        # The worker drops stale connections between tasks; inside this test's transaction that
        # would drop the test's data with it (on PostgreSQL: SQLite's test database is shared).
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        story.refresh_from_db()
        self.assertEqual(story.status, Story.Status.PUBLISHED)
        self.assertEqual(list(Story.objects.published()), [story])

    def test_a_task_for_a_postponed_story_does_nothing(self) -> None:
        from stories.tasks import publish_scheduled_story

        story = self.make_story(publish=False)
        publish_story(story, at=timezone.now() + dt.timedelta(days=1))
        self.assertFalse(publish_scheduled_story.call(story.id))
        story.refresh_from_db()
        self.assertEqual(story.status, Story.Status.SCHEDULED)


class PublishOutsideTheLockTests(People, TransactionTestCase):
    """The tagger reads a story before the publishing transaction, so that on SQLite the write
    lock (held from a transaction's first statement) is not held through the model."""

    def test_the_model_runs_before_the_transaction_and_once(self) -> None:
        self.make_people()
        story = self.make_story("Kestrel Energy opens a wind farm in Kenya", publish=False)
        seen: list[bool] = []
        real = stories.actions.read_story

        def spy(story: Story) -> Any:
            seen.append(connection.in_atomic_block)
            return real(story)

        with (
            mock.patch("stories.actions.read_story", spy),
            mock.patch("topics.actions.read_story", spy),
        ):
            publish_story(story)
        self.assertEqual(seen, [False])
        self.assertTrue(story.story_topics.filter(topic__slug="kenya").exists())
        self.assertEqual(Event.objects.filter(story=story).count(), 1)

    def test_a_scheduled_story_is_read_when_it_goes_live(self) -> None:
        self.make_people()
        story = self.make_story(publish=False)
        with mock.patch("stories.actions.read_story") as read:
            publish_story(story, at=timezone.now() + dt.timedelta(hours=1))
        read.assert_not_called()
