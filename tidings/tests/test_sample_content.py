from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from comments.models import Comment
from stories.models import Story
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
                    image.close()
