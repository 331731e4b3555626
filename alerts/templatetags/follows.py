from typing import Any

from django import template

from alerts.queries import followed_topic_ids, unread_count
from topics.models import Topic

register = template.Library()


def _followed(context: template.Context) -> set[int]:
    """The reader's followed topic ids, read once per request however many buttons a page has."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return set()
    if not hasattr(request, "_followed_topic_ids"):
        request._followed_topic_ids = followed_topic_ids(request.user)
    return request._followed_topic_ids


@register.inclusion_tag("alerts/_follow_button.html", takes_context=True)
def follow_button(
    context: template.Context, topic: Topic, variant: str = "follow"
) -> dict[str, Any]:
    return {
        "topic": topic,
        "following": topic.id in _followed(context),
        "variant": variant,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def unread_alerts(context: template.Context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return unread_count(request.user)
