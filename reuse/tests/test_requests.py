import datetime as dt

from django.urls import reverse
from django.utils import timezone

from reuse.models import ReuseRequest
from tidings.test import BaseTestCase, SMTPSink, body_of

FORM = {
    "organisation": "Harbour Weekly",
    "contact_name": "Mina Osei",
    "email": "mina@harbour.example",
    "intended_use": "Reprint in our energy supplement.",
    "territory": "Ghana",
    "medium": "print",
}


class ReuseRequestTests(BaseTestCase):
    def ask(self, story_slug: str) -> ReuseRequest:
        response = self.client.post(reverse("reuse:terms", args=[story_slug]), FORM, follow=True)
        self.assertContains(response, "your request is with our editors")
        return ReuseRequest.objects.get()

    def decide(self, reuse: ReuseRequest, action: str, answer: str) -> None:
        ReuseRequest.objects.filter(pk=reuse.pk).update(answer=answer)
        self.client.force_login(self.bob)
        self.client.post(
            reverse("admin:reuse_reuserequest_changelist"),
            {"action": action, "_selected_action": [reuse.pk]},
        )
        self.client.logout()
        reuse.refresh_from_db()

    def test_request_approve_email_and_download(self) -> None:
        story = self.make_story(photo=True, reusable=True)
        page = self.client.get(reverse("reuse:terms", args=[story.slug]))
        self.assertContains(page, "Ask to republish it")
        reuse = self.ask(story.slug)
        self.assertEqual(reuse.status, ReuseRequest.Status.PENDING)
        download = reverse("reuse:download", args=[reuse.download_token, "json"])
        self.assertEqual(self.client.get(download).status_code, 404, "not before approval")
        with (
            SMTPSink().running() as sink,
            self.settings(**sink.settings()),
            self.captureOnCommitCallbacks(execute=True),
        ):
            self.decide(reuse, "approve", "Please credit the photographer.")
        self.assertEqual(reuse.status, ReuseRequest.Status.APPROVED)
        self.assertEqual(reuse.decided_by, self.bob)
        [message] = sink.messages
        self.assertEqual(message["To"], "mina@harbour.example")
        self.assertIn("Approved", message["Subject"])
        text = body_of(message, "plain")
        self.assertIn("Please credit the photographer.", text)
        self.assertIn(f"/reuse/download/{reuse.download_token}.json", text)
        self.assertIn(f"/reuse/download/{reuse.download_token}.html", text)

        data = self.client.get(download).json()
        self.assertEqual(data["headline"], story.headline)
        self.assertIn("Copyright Chronicle Media Ltd", data["rights"]["copyright"])
        self.assertEqual(data["rights"]["photo_credit"], "Photo by Lena Brandt/Coast")
        self.assertEqual(data["licensed_to"]["organisation"], "Harbour Weekly")
        html = self.client.get(reverse("reuse:download", args=[reuse.download_token, "html"]))
        self.assertEqual(html["Content-Disposition"], f'attachment; filename="{story.slug}.html"')
        self.assertContains(html, "Copyright Chronicle Media Ltd")
        self.assertContains(html, "Photo by Lena Brandt/Coast")
        self.assertContains(html, '<link rel="canonical"')
        self.assertNotContains(html, "<script")

        ReuseRequest.objects.filter(pk=reuse.pk).update(
            decided_at=timezone.now() - dt.timedelta(days=91)
        )
        self.assertEqual(self.client.get(download).status_code, 410)

    def test_decline_emails_the_reason_and_grants_nothing(self) -> None:
        story = self.make_story(reusable=True)
        reuse = self.ask(story.slug)
        with (
            SMTPSink().running() as sink,
            self.settings(**sink.settings()),
            self.captureOnCommitCallbacks(execute=True),
        ):
            self.decide(reuse, "decline", "We do not license this series.")
        self.assertEqual(reuse.status, ReuseRequest.Status.DECLINED)
        text = body_of(sink.messages[0], "plain")
        self.assertIn("declined", text)
        self.assertIn("We do not license this series.", text)
        self.assertNotIn("/reuse/download/", text)
        download = reverse("reuse:download", args=[reuse.download_token, "json"])
        self.assertEqual(self.client.get(download).status_code, 404)

    def test_no_form_for_a_story_not_offered_for_reuse(self) -> None:
        story = self.make_story(reusable=False)
        page = self.client.get(reverse("reuse:terms", args=[story.slug]))
        self.assertNotContains(page, "Ask to republish it")
        self.client.post(reverse("reuse:terms", args=[story.slug]), FORM)
        self.assertFalse(ReuseRequest.objects.exists())

    def test_requests_are_rate_limited_per_address(self) -> None:
        story = self.make_story(reusable=True)
        for _ in range(5):
            self.client.post(reverse("reuse:terms", args=[story.slug]), FORM)
        response = self.client.post(reverse("reuse:terms", args=[story.slug]), FORM, follow=True)
        self.assertContains(response, "at most 5 requests an hour")
        self.assertEqual(ReuseRequest.objects.count(), 5)
