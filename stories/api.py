"""The JSON API: stories with their credits and rights, and their comments. Reading is public;
posting a comment needs a signed-in session (and its CSRF token), like the page's form."""

import json
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from accounts.forms import client_address
from accounts.models import User
from comments.actions import CommentError, CommentRateLimited, CommentsClosed, post_comment
from comments.models import Comment
from stories.models import Story
from topics.models import StoryTopic

API_PAGE = 20


def rights_of(story: Story) -> dict[str, Any]:
    """What must travel with the story wherever it goes: credit, copyright and licence."""
    url = settings.SITE_URL + story.get_absolute_url()
    return {
        "byline": story.byline,
        "copyright": story.copyright_line,
        "copyright_holder": story.effective_copyright_holder,
        "copyright_year": story.effective_copyright_year,
        "licence": story.licence_label,
        "licence_code": story.effective_licence,
        "reusable": story.reusable,
        "photo_credit": story.photo_credit,
        "canonical_url": url,
        "attribution": attribution_of(story),
    }


def attribution_of(story: Story) -> str:
    if story.attribution:
        return story.attribution
    url = settings.SITE_URL + story.get_absolute_url()
    who = story.byline or story.publisher.name
    return f'"{story.headline}" by {who}, {story.publisher.name}, {url}. {story.copyright_line}'


def story_json(story: Story) -> dict[str, Any]:
    image = story.lead_image
    topics = StoryTopic.objects.filter(story=story, topic__merged_into__isnull=True)
    return {
        "slug": story.slug,
        "url": settings.SITE_URL + story.get_absolute_url(),
        "headline": story.headline,
        "standfirst": story.standfirst,
        "published_at": story.published_at.isoformat() if story.published_at else None,
        "body": story.paragraphs(),
        "photo": {
            "url": urljoin(settings.SITE_URL + "/", image.src),
            "alt_text": image.alt_text,
            "caption": image.display_caption,
            "credit": image.credit,
        } if image else None,
        "topics": [
            {"name": st.topic.name, "slug": st.topic.slug, "kind": st.topic.kind,
             "role": st.role, "salience": st.salience}
            for st in topics.select_related("topic").order_by("-salience")
        ],
        "comments": {
            "state": story.comments_state(),
            "count": story.comments.visible().count(),
        },
        "rights": rights_of(story),
    }  # fmt: skip


def _comment_json(comment: Comment) -> dict[str, Any]:
    deleted = comment.status == Comment.Status.DELETED
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "author": None if deleted else (comment.author.display_name or comment.author.username),
        "html": "" if deleted else comment.body_html,
        "status": comment.status,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


def story_list(request: HttpRequest) -> JsonResponse:
    stories = Story.objects.published().for_listing()[:API_PAGE]
    return JsonResponse({"stories": [story_json(s) for s in stories]})


def story_detail(request: HttpRequest, slug: str) -> JsonResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    return JsonResponse(story_json(story))


@require_http_methods(["GET", "POST"])
def story_comments(request: HttpRequest, slug: str) -> JsonResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    if request.method == "GET":
        rows = story.comments.filter(status=Comment.Status.VISIBLE).select_related("author")
        return JsonResponse(
            {"state": story.comments_state(), "comments": [_comment_json(c) for c in rows]}
        )
    if not isinstance(request.user, User):
        return JsonResponse({"error": "Sign in to comment."}, status=401)
    try:
        data = json.loads(request.body or b"{}")
        body, parent_id = str(data.get("body", "")), data.get("parent")
    except (ValueError, AttributeError):
        return JsonResponse({"error": 'Send JSON: {"body": "...", "parent": ID}.'}, status=400)
    parent = Comment.objects.filter(pk=parent_id).first() if parent_id else None
    try:
        comment = post_comment(
            story, request.user, body, parent=parent, ip_address=client_address(request),
            notify_replies=bool(data.get("notify_replies")),
        )  # fmt: skip
    except CommentsClosed as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except CommentRateLimited as exc:
        return JsonResponse({"error": str(exc)}, status=429)
    except CommentError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(_comment_json(comment), status=201)
