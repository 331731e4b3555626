from django.conf import settings
from django.urls import reverse

from tidings.test import BaseTestCase


class ReuseTermsTests(BaseTestCase):
    def test_terms_page_shows_licence_copyright_credit_and_attribution(self) -> None:
        story = self.make_story(photo=True, reusable=True)
        response = self.client.get(reverse("reuse:terms", args=[story.slug]))
        self.assertContains(response, "All rights reserved")
        self.assertContains(response, "Photo by Lena Brandt/Coast")
        self.assertContains(response, f"{settings.SITE_URL}{story.get_absolute_url()}")
        self.assertContains(response, "Yes, on request")

    def test_story_not_offered_for_reuse_says_so(self) -> None:
        story = self.make_story(reusable=False)
        response = self.client.get(reverse("reuse:terms", args=[story.slug]))
        self.assertContains(response, "not offered for reuse")
        self.assertContains(response, "Not offered for reuse")
        self.assertNotContains(response, "Ask to republish it")
        self.assertNotContains(response, '<form method="post"')
        self.assertContains(response, "contact the publisher, Chronicle Media Ltd")
        self.publisher.contact_email = "rights@chronicle.example"
        self.publisher.save()
        response = self.client.get(reverse("reuse:terms", args=[story.slug]))
        self.assertContains(response, 'href="mailto:rights@chronicle.example?subject=')

    def test_unpublished_story_has_no_terms_page(self) -> None:
        story = self.make_story(publish=False)
        self.assertEqual(
            self.client.get(reverse("reuse:terms", args=[story.slug])).status_code, 404
        )
