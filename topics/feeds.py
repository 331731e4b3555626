from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from stories.feeds import FEED_SIZE, StoryFeed
from stories.models import Story
from topics.models import Topic


class TopicFeed(StoryFeed):
    """The public Atom feed of a topic: its latest published stories."""

    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        return get_object_or_404(Topic.objects.live(), slug=slug)

    def title(self, topic: Topic) -> str:
        return f"{topic.name} — latest stories"

    def link(self, topic: Topic) -> str:
        return topic.get_absolute_url()

    def subtitle(self, topic: Topic) -> str:
        return f"New stories about {topic.name}."

    def items(self, topic: Topic) -> QuerySet[Story]:
        stories = Story.objects.published().filter(story_topics__topic=topic).for_listing()
        return stories.distinct()[:FEED_SIZE]
