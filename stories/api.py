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


class InputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


MAX_BODY_BYTES = 64 * 1024  # a comment's JSON: its text is capped far below this


def _comment_input(raw: bytes) -> tuple[str, int | None, bool]:
    """(body, parent id, notify_replies) from a JSON body; InputError names the bad field."""
    if len(raw) > MAX_BODY_BYTES:
        raise InputError("body", f"the request is over {MAX_BODY_BYTES // 1024} KiB")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past Python's stack
        raise InputError("body", 'send JSON: {"body": "...", "parent": ID}') from None
    if not isinstance(data, dict):
        raise InputError("body", 'send a JSON object: {"body": "...", "parent": ID}')
    body = data.get("body")
    if not isinstance(body, str):
        raise InputError("body", "the comment's text, as a string, is required")
    parent = data.get("parent")
    if parent is not None and (type(parent) is not int or parent <= 0):
        raise InputError("parent", "the id of the comment replied to: a positive integer")
    notify = data.get("notify_replies", False)
    if not isinstance(notify, bool):
        raise InputError("notify_replies", "true or false")
    return body, parent, notify


@require_http_methods(["GET", "POST"])
def story_comments(request: HttpRequest, slug: str) -> JsonResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    if request.method == "GET":
        # As on the page: a reply shows only under a visible comment.
        rows = (
            story.comments.filter(status=Comment.Status.VISIBLE)
            .exclude(parent__status__in=[Comment.Status.HIDDEN, Comment.Status.PENDING])
            .select_related("author")
        )
        return JsonResponse(
            {"state": story.comments_state(), "comments": [_comment_json(c) for c in rows]}
        )
    if not isinstance(request.user, User):
        return JsonResponse({"error": "Sign in to comment."}, status=401)
    try:
        body, parent_id, notify = _comment_input(request.body)
    except InputError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    parent = None
    if parent_id is not None:
        # A hidden or waiting comment answers as a missing one: its id tells nothing.
        parent = Comment.objects.filter(
            pk=parent_id, story=story, status=Comment.Status.VISIBLE
        ).first()
        if parent is None:
            return JsonResponse(
                {"error": f"parent: no comment {parent_id} on this story", "field": "parent"},
                status=400,
            )
    try:
        comment = post_comment(
            story, request.user, body, parent=parent, ip_address=client_address(request),
            notify_replies=notify,
        )  # fmt: skip
    except CommentsClosed as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except CommentRateLimited as exc:
        return JsonResponse({"error": str(exc)}, status=429)
    except CommentError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(_comment_json(comment), status=201)
