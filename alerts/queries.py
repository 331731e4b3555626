"""Read-side helpers other apps' views use to show follow state; no writes here."""

from accounts.models import User
from alerts.models import Alert, Follow


def followed_topic_ids(user: User | None, topic_ids: list[int]) -> set[int]:
    if user is None or not user.is_authenticated or not topic_ids:
        return set()
    follows = Follow.objects.filter(reader=user, topic_id__in=topic_ids)
    return set(follows.values_list("topic_id", flat=True))


def unread_count(user: User) -> int:
    return Alert.objects.filter(reader=user).unread().count()
