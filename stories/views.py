from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from alerts.actions import mark_story_read
from comments.actions import EDIT_WINDOW, is_moderator
from comments.forms import CommentForm
from comments.queries import comment_threads, visible_count
from stories.models import Story
from topics.models import StoryTopic


def home(request: HttpRequest) -> HttpResponse:
    stories = Story.objects.published().for_listing()
    page = Paginator(stories, settings.STORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "stories/home.html", {"page": page})


def story_detail(request: HttpRequest, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    if request.user.is_authenticated:
        mark_story_read(request.user, story)
    return _render_story(request, story, preview=False)


@staff_member_required
def story_preview(request: HttpRequest, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.for_listing(), slug=slug)
    return _render_story(request, story, preview=True)


def _render_story(request: HttpRequest, story: Story, *, preview: bool) -> HttpResponse:
    story_topics = list(
        # Passing mentions still alert their followers (by scope) but would clutter the list.
        StoryTopic.objects.filter(story=story, topic__merged_into__isnull=True)
        .exclude(role=StoryTopic.Role.MENTION, origin=StoryTopic.Origin.TAGGER)
        .select_related("topic")
        .order_by("-salience", "topic__name")
    )
    primary = story.primary_topic or next(
        (st.topic for st in story_topics if st.role == StoryTopic.Role.PRIMARY), None
    )
    if primary is None and story_topics:
        primary = story_topics[0].topic
    moderator = request.user.is_authenticated and is_moderator(request.user)
    threads = comment_threads(story, moderator=moderator)
    draft = request.session.pop("comment_draft", "") if request.user.is_authenticated else ""
    context = {
        "story": story,
        "topics": [st.topic for st in story_topics],
        "primary_topic": primary,
        "comments_state": story.comments_state(),
        "threads": threads,
        "comment_count": visible_count(threads),
        "comment_form": CommentForm(initial={"body": draft}),
        "moderator": moderator,
        "edit_cutoff": timezone.now() - EDIT_WINDOW,
        "preview": preview,
        # Who said what: statements, not the few quoted words inside a sentence.
        "quotes": list(
            story.quotes.filter(partial=False)
            .exclude(speaker_name="")
            .select_related("speaker_topic__merged_into")
        ),
    }
    return render(request, "stories/story_detail.html", context)
