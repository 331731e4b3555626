import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import client_address, reader_of
from comments.actions import (
    CommentError,
    delete_comment,
    edit_comment,
    is_moderator,
    moderate_comment,
    post_comment,
    report_comment,
    stop_replies,
)
from comments.forms import CommentForm, EditForm, ReportForm
from comments.models import Comment
from stories.models import Story

log = logging.getLogger(__name__)


@login_required
@require_POST
def post(request: HttpRequest, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.published(), slug=slug)
    form = CommentForm(request.POST)
    if form.is_bot():
        log.info("comment refused by the honeypot from %s", client_address(request))
        messages.error(request, "Your comment was not posted.")
        return redirect(f"{story.get_absolute_url()}#comments")
    if not form.is_valid():
        messages.error(request, "Your comment was not posted: " + form.errors.as_text())
        return redirect(f"{story.get_absolute_url()}#comments")
    parent = None
    if form.cleaned_data["parent"]:
        parent = Comment.objects.filter(pk=form.cleaned_data["parent"]).first()
    try:
        comment = post_comment(
            story,
            reader_of(request),
            form.cleaned_data["body"],
            parent=parent,
            ip_address=client_address(request),
            notify_replies=form.cleaned_data["notify_replies"],
        )
    except CommentError as exc:
        # The text goes back into the box, so a refused comment loses nothing.
        request.session["comment_draft"] = form.cleaned_data["body"]
        messages.error(request, str(exc))
        return redirect(f"{story.get_absolute_url()}#comment-form")
    if comment.status == Comment.Status.PENDING:
        messages.success(request, "Thank you: your comment will appear once an editor approves it.")
    else:
        messages.success(request, "Your comment is posted.")
    return redirect(comment.get_absolute_url())


def _comment_for(request: HttpRequest, pk: int, *, author_only: bool = False) -> Comment:
    """A comment this reader may see: on a published story, and visible, unless they wrote it
    or moderate; with `author_only`, theirs alone. Anything else is a 404, as if it did not
    exist, so hidden and waiting comments cannot be read by id."""
    comment = get_object_or_404(
        Comment.objects.select_related("story", "author").filter(
            story__status=Story.Status.PUBLISHED
        ),
        pk=pk,
    )
    reader = reader_of(request)
    mine = comment.author_id == reader.pk
    if author_only and not mine:
        raise Http404("not your comment")
    if comment.status != Comment.Status.VISIBLE and not (mine or is_moderator(reader)):
        raise Http404("no such comment")
    return comment


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(request, pk, author_only=True)
    form = EditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            edit_comment(comment, reader_of(request), form.cleaned_data["body"])
        except CommentError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(request, "Your comment is updated.")
            return redirect(comment.get_absolute_url())
    return render(request, "comments/edit.html", {"comment": comment, "form": form})


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(request, pk)
    try:
        delete_comment(comment, reader_of(request))
    except CommentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The comment is deleted.")
    return redirect(f"{comment.story.get_absolute_url()}#comments")


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(request, pk)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_comment(
                comment, reader_of(request), form.cleaned_data["reason"], form.cleaned_data["note"]
            )
        except CommentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thank you: a moderator will look at the comment.")
        return redirect(comment.get_absolute_url())
    return render(request, "comments/report.html", {"comment": comment, "form": form})


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(request, pk)
    action = request.POST.get("action", "")
    try:
        moderate_comment(comment, reader_of(request), action)
    except CommentError as exc:
        messages.error(request, str(exc))
    else:
        done = {"hide": "hidden", "restore": "restored", "approve": "approved", "delete": "deleted"}
        messages.success(request, f"Comment {done[action]}.")
    return redirect(f"{comment.story.get_absolute_url()}#comment-{comment.pk}")


def stop(request: HttpRequest, token: str) -> HttpResponse:
    """From the reply alert's footer: GET confirms, POST switches off (works signed out)."""
    if request.method == "POST":
        try:
            comment = stop_replies(token)
        except (signing.BadSignature, Comment.DoesNotExist):
            return HttpResponseBadRequest("This link is not valid (or has expired).")
        return render(request, "comments/stopped.html", {"comment": comment})
    return render(request, "comments/stop.html", {"token": token})
