"""A follow clicked while signed out is kept in the session and made when the reader signs in
or signs up, so nobody has to find the button again."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from accounts.models import User
from alerts import actions
from topics.models import Topic

PENDING_FOLLOWS = "alerts.pending_follows"
MAX_PENDING = 10


def remember_follow(request: HttpRequest, topic: Topic) -> None:
    pending = [slug for slug in request.session.get(PENDING_FOLLOWS, []) if slug != topic.slug]
    request.session[PENDING_FOLLOWS] = [*pending, topic.slug][-MAX_PENDING:]


def follow_pending(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    slugs = request.session.pop(PENDING_FOLLOWS, [])
    if not isinstance(slugs, list) or not slugs:
        return
    for topic in Topic.objects.live().filter(slug__in=[str(s) for s in slugs[:MAX_PENDING]]):
        actions.follow_topic(user, topic)
        messages.success(
            request,
            f"You now follow {topic.name}: you will get an alert when a new story on it is "
            "published.",
        )
