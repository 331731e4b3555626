"""bob, the editor, reaches every page of the newsroom the docs send editors to."""

from django.contrib.auth.models import Group
from django.test import TestCase

from accounts.actions import sign_up
from alerts.actions import fan_out, follow_topic
from alerts.models import Delivery, Event
from tidings.test import PASSWORD, BaseTestCase
from topics.models import Topic

NEWSROOM = [
    "/admin/stories/story/",
    "/admin/stories/story/add/",
    "/admin/stories/image/",
    "/admin/stories/image/add/",
    "/admin/stories/publisher/add/",
    "/admin/topics/topic/",
    "/admin/topics/storytopic/",
    "/admin/comments/comment/",
    "/admin/reuse/reuserequest/",
    "/admin/ingest/source/",
    "/admin/ingest/source/add/",
    "/admin/ingest/ingesteditem/",
    "/admin/alerts/delivery/",
    "/admin/alerts/schedule/",
]


class EditorsGroupMigrationTests(TestCase):
    """No helper has made an editor here: what the group holds comes from the migrations."""

    def test_the_group_comes_with_its_permissions_from_the_migrations(self) -> None:
        codenames = set(
            Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
        )
        needed = {
            "change_story", "change_topic", "change_comment", "change_reuserequest",
            "add_source", "view_ingesteditem", "change_delivery", "change_schedule",
        }  # fmt: skip
        self.assertLessEqual(needed, codenames)
        self.assertNotIn("view_follow", codenames, "readers' follows stay private")

    def test_an_editor_added_to_the_group_reaches_the_newsroom(self) -> None:
        # Made the way an administrator would: a new account put in the Editors group.
        dana = sign_up("dana", "dana@example.com", PASSWORD)
        dana.is_staff = True
        dana.save()
        dana.groups.add(Group.objects.get(name="Editors"))
        self.client.force_login(dana)
        for url in NEWSROOM:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)
        self.assertEqual(self.client.get("/admin/alerts/follow/").status_code, 403)


class EditorTests(BaseTestCase):
    def test_bob_reaches_the_newsroom(self) -> None:
        self.client.force_login(self.bob)
        for url in NEWSROOM:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_bob_retries_a_dead_delivery(self) -> None:
        follow_topic(self.alice, Topic.objects.get_or_create(name="Kenya", kind="place")[0])
        fan_out(Event.objects.get(story=self.make_story()).id)
        Delivery.objects.update(state=Delivery.State.DEAD, last_error="550 mailbox full")
        delivery = Delivery.objects.get()
        self.client.force_login(self.bob)
        response = self.client.post(
            "/admin/alerts/delivery/", {"action": "retry", "_selected_action": [delivery.id]}
        )
        self.assertEqual(response.status_code, 302)
        delivery.refresh_from_db()
        self.assertEqual((delivery.state, delivery.attempts), (Delivery.State.PENDING, 0))
