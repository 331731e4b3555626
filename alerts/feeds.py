from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import User
from stories.feeds import FEED_SIZE, StoryFeed
from stories.models import Story


class ReaderAlertsFeed(StoryFeed):
    """A reader's alerts as a private Atom feed; the secret in its address is the only key."""

    def get_object(self, request: HttpRequest, token: str) -> User:
        return get_object_or_404(User, feed_token=token, is_active=True)

    def title(self, reader: User) -> str:
        return f"Alerts for {reader}"

    def link(self, reader: User) -> str:
        return "/"

    def subtitle(self, reader: User) -> str:
        return "New stories on the topics you follow."

    def items(self, reader: User) -> QuerySet[Story]:
        return (
            Story.objects.published()
            .for_listing()
            .filter(alerts__reader=reader)
            .order_by("-alerts__created_at")[:FEED_SIZE]
        )
