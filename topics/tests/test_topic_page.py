from django.urls import reverse

from tidings.test import BaseTestCase
from topics.models import Topic


class TopicPageTests(BaseTestCase):
    def test_lists_published_stories_on_the_topic(self) -> None:
        self.make_story("Wind farm story")
        self.make_story(
            "Tram story", topics=(("Lisbon", Topic.Kind.PLACE), ("Kenya", Topic.Kind.PLACE))
        )
        self.make_story("Draft on Kenya", publish=False)
        response = self.client.get(reverse("topics:detail", args=["kenya"]))
        self.assertContains(response, "Wind farm story")
        self.assertContains(response, "Tram story")
        self.assertNotContains(response, "Draft on Kenya")
        self.assertContains(response, 'aria-label="Follow Kenya"')
        response = self.client.get(reverse("topics:detail", args=["lisbon"]))
        self.assertNotContains(response, "Wind farm story")

    def test_merged_topic_redirects_to_survivor(self) -> None:
        self.make_story()
        survivor = Topic.objects.get(slug="kestrel-energy")
        Topic.objects.create(
            name="Kestrel", slug="kestrel", kind="organisation", merged_into=survivor
        )
        response = self.client.get(reverse("topics:detail", args=["kestrel"]))
        self.assertRedirects(response, survivor.get_absolute_url(), status_code=301)

    def test_index_groups_topics_by_kind(self) -> None:
        self.make_story()
        response = self.client.get(reverse("topics:index"))
        self.assertContains(response, "Organisation")
        self.assertContains(response, "Kestrel Energy")

    def test_unknown_topic_is_404(self) -> None:
        self.assertEqual(self.client.get("/topics/nobody/").status_code, 404)
