from django.urls import reverse

from stories.models import Story
from tidings.test import BaseTestCase


class StoryAdminTests(BaseTestCase):
    def test_editor_finds_and_publishes_a_draft(self) -> None:
        draft = self.make_story("Draft about the tram network", publish=False)
        self.client.force_login(self.bob)
        changelist = reverse("admin:stories_story_changelist")
        response = self.client.get(changelist, {"q": "tram"})
        self.assertContains(response, "Draft about the tram network")
        response = self.client.get(changelist, {"status__exact": "draft"})
        self.assertContains(response, "Preview")
        response = self.client.post(
            changelist,
            {"action": "publish_selected", "_selected_action": [draft.pk]},
            follow=True,
        )
        self.assertContains(response, "1 stories published or scheduled.")
        draft.refresh_from_db()
        self.assertEqual(draft.status, Story.Status.PUBLISHED)

    def test_editor_opens_the_story_form(self) -> None:
        story = self.make_story()
        self.client.force_login(self.bob)
        response = self.client.get(reverse("admin:stories_story_change", args=[story.pk]))
        self.assertContains(response, "Kestrel Energy")
        self.assertContains(response, reverse("stories:preview", args=[story.slug]))

    def test_readers_cannot_reach_the_newsroom(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:stories_story_changelist"))
        self.assertEqual(response.status_code, 302)
