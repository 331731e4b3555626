"""Reads the follow buttons and the header need; no writes here."""

from accounts.models import User
from alerts.models import Alert, Follow


def followed_topic_ids(user: User) -> set[int]:
    # order_by(): the default ordering by topic name would join the topic table for nothing.
    follows = Follow.objects.filter(reader=user).order_by()
    return set(follows.values_list("topic_id", flat=True))


def unread_count(user: User) -> int:
    return Alert.objects.filter(reader=user).shown().unread().count()
