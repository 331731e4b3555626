from collections import Counter
from io import StringIO

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.actions import sign_up
from accounts.models import Throttle, User
from comments.models import Comment
from stories.models import Story
from tidings.test import close_response
from topics.models import StoryTopic, Topic


class SampleContentTests(TestCase):
    def test_loads_a_realistic_site_and_is_safe_to_run_twice(self) -> None:
        out = StringIO()
        call_command("load_sample_content", stdout=out, stderr=StringIO())
        call_command("load_sample_content", stdout=out, stderr=StringIO())
        stories = Story.objects.published()
        self.assertGreaterEqual(stories.count(), 20)
        self.assertEqual(Story.objects.count(), stories.count(), "running twice adds nothing")
        self.assertGreaterEqual(stories.filter(lead_image__isnull=False).count(), 5)
        self.assertTrue(stories.filter(comments_enabled=True).exists())
        self.assertTrue(stories.filter(comments_enabled=False).exists())
        self.assertTrue(Comment.objects.exists())
        kinds = set(Topic.objects.values_list("kind", flat=True))
        self.assertEqual(kinds, {"person", "organisation", "place", "theme"})
        # The editors' topics are shared: most appear on more than one story.
        editors = StoryTopic.objects.filter(origin=StoryTopic.Origin.EDITOR)
        uses = Counter(editors.values_list("topic_id", flat=True))
        self.assertGreaterEqual(sum(1 for n in uses.values() if n > 1), len(uses) * 2 // 3)
        self.assertTrue(
            StoryTopic.objects.filter(origin=StoryTopic.Origin.TAGGER).exists(),
            "publishing tagged the stories",
        )
        self.assertFalse(
            stories.exclude(story_topics__role=StoryTopic.Role.PRIMARY).exists(),
            "every sample story has a primary topic",
        )
        self.assertIn("alice /", out.getvalue())

    def test_every_sample_story_page_renders(self) -> None:
        call_command("load_sample_content", stdout=StringIO(), stderr=StringIO())
        for story in Story.objects.published():
            with self.subTest(story.slug):
                response = self.client.get(story.get_absolute_url())
                self.assertContains(response, "Follow the topics in this article")
                self.assertContains(response, "All rights reserved.")
                if story.lead_image:
                    image = self.client.get(story.lead_image.src)
                    self.assertEqual(image.status_code, 200)
                    self.assertEqual(image["Content-Type"], "image/jpeg")
                    close_response(image)


class SampleContentSafetyTests(TestCase):
    def test_a_demo_reader_can_comment_at_once(self) -> None:
        call_command("load_sample_content", stdout=StringIO(), stderr=StringIO())
        self.assertFalse(Throttle.objects.exists(), "sample comments count against nobody")
        alice = User.objects.get(username="alice")
        self.assertTrue(Comment.objects.filter(author=alice).exists())
        self.assertFalse(Comment.objects.filter(created_at__gt=timezone.now()).exists())
        story = Story.objects.published().filter(comments_enabled=True).first()
        assert story is not None
        self.client.force_login(alice)
        for number in range(settings.COMMENT_RATE_PER_READER):
            response = self.client.post(
                reverse("comments:post", args=[story.slug]), {"body": f"Comment {number}"}
            )
            self.assertEqual(response.status_code, 302)
        self.assertEqual(
            Comment.objects.filter(author=alice, body__startswith="Comment ").count(),
            settings.COMMENT_RATE_PER_READER,
        )

    def test_a_database_with_real_accounts_is_left_alone_unless_forced(self) -> None:
        sign_up("dana", "dana@news.example", "a-real-password-of-dana")
        real_alice = sign_up("alice", "alice@news.example", "alice-real-password")
        with self.assertRaisesMessage(CommandError, "2 account(s) that are not demo logins"):
            call_command("load_sample_content", stdout=StringIO(), stderr=StringIO())
        self.assertFalse(Story.objects.exists())
        real_alice.refresh_from_db()
        self.assertTrue(real_alice.check_password("alice-real-password"))
        call_command("load_sample_content", "--force", stdout=StringIO(), stderr=StringIO())
        self.assertTrue(Story.objects.exists())
