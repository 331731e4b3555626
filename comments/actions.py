import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.actions import throttle
from accounts.models import User
from comments.models import Comment, CommentReport
from comments.render import clean_text, render_comment
from stories.models import Story

EDIT_WINDOW = dt.timedelta(minutes=10)
RATE_WINDOW = dt.timedelta(minutes=10)
CLOSED_MESSAGES = {
    "off": "Comments have not been enabled for this article.",
    "closed": "Comments on this article are now closed.",
}
_STOP_SALT = "comments.stop-replies"


class CommentError(ValueError):
    """A comment refused; the message says which rule or limit, in words a reader follows."""


class CommentsClosed(CommentError):
    pass


class CommentRateLimited(CommentError):
    pass


def is_moderator(user: User) -> bool:
    return user.is_active and user.has_perm("comments.change_comment")


def _check_text(body: str) -> str:
    body = clean_text(body)
    if not body:
        raise CommentError(
            "Write something first: the comment is empty (spaces and invisible characters "
            "do not count)."
        )
    limit = settings.COMMENT_MAX_CHARS
    if len(body) > limit:
        raise CommentError(
            f"Your comment is {len(body):,} characters long; the limit is {limit:,}. "
            "Nothing was lost: shorten it and post again."
        )
    return body


@transaction.atomic
def post_comment(
    story: Story,
    author: User,
    body: str,
    *,
    parent: Comment | None = None,
    ip_address: str | None = None,
    notify_replies: bool = False,
) -> Comment:
    """Post a comment or a reply. Replies to a reply join the top-level comment's thread."""
    state = story.comments_state()
    if state != "open":
        raise CommentsClosed(CLOSED_MESSAGES[state])
    body = _check_text(body)
    if parent is not None:
        if parent.story_id != story.id:
            raise CommentError("That comment belongs to another story.")
        if parent.parent_id is not None:
            parent = parent.parent
        assert parent is not None
        if parent.status != Comment.Status.VISIBLE:
            raise CommentError("That comment can no longer be replied to.")
    moderator = is_moderator(author)
    if not moderator:
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        if not throttle(
            f"comment:reader:{author.pk}", limit=settings.COMMENT_RATE_PER_READER,
            window=RATE_WINDOW,
        ):  # fmt: skip
            raise CommentRateLimited(
                f"You have posted {settings.COMMENT_RATE_PER_READER} comments in {minutes} "
                "minutes, the most we allow. Please wait a few minutes."
            )
        if ip_address and not throttle(
            f"comment:ip:{ip_address}", limit=settings.COMMENT_RATE_PER_IP, window=RATE_WINDOW
        ):
            raise CommentRateLimited(
                f"Too many comments from your network in {minutes} minutes. Please wait a "
                "few minutes."
            )
    waits = story.comments_premoderated and not moderator
    comment = Comment.objects.create(
        story=story,
        author=author,
        parent=parent,
        body=body,
        body_html=render_comment(body),
        status=Comment.Status.PENDING if waits else Comment.Status.VISIBLE,
        notify_replies=notify_replies,
        ip_address=ip_address,
    )
    if not waits:
        _notify_reply(comment)
    return comment


@transaction.atomic
def record_comment(story: Story, author: User, body: str, *, at: dt.datetime) -> Comment:
    """A comment written elsewhere (the sample content, an import), stored as posted at `at`.

    It skips the rate limits, which guard readers typing now: counting old comments against
    their author would leave a demo reader unable to comment for ten minutes.
    """
    body = _check_text(body)
    comment = Comment.objects.create(
        story=story, author=author, body=body, body_html=render_comment(body)
    )
    Comment.objects.filter(id=comment.id).update(created_at=at)
    comment.created_at = at
    return comment


@transaction.atomic
def edit_comment(comment: Comment, user: User, body: str) -> Comment:
    if comment.author_id != user.pk:
        raise CommentError("Only the author can edit a comment.")
    if comment.status == Comment.Status.DELETED:
        raise CommentError("A deleted comment cannot be edited.")
    if timezone.now() - comment.created_at > EDIT_WINDOW:
        raise CommentError(
            "Comments can be edited for 10 minutes after posting; this one no longer."
        )
    comment.body = _check_text(body)
    comment.body_html = render_comment(comment.body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


@transaction.atomic
def delete_comment(comment: Comment, user: User) -> None:
    """The author's or a moderator's delete: the text goes; a thread keeps its place."""
    if comment.author_id != user.pk and not is_moderator(user):
        raise CommentError("Only the author or a moderator can delete a comment.")
    comment.status = Comment.Status.DELETED
    comment.body = comment.body_html = ""
    fields = ["status", "body", "body_html"]
    if comment.author_id != user.pk:
        comment.moderated_by, comment.moderated_at = user, timezone.now()
        fields += ["moderated_by", "moderated_at"]
    comment.save(update_fields=fields)
    comment.reports.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())


@transaction.atomic
def moderate_comment(comment: Comment, moderator: User, action: str) -> Comment:
    """hide, restore (a hidden comment), approve (a waiting one) or delete."""
    if not is_moderator(moderator):
        raise CommentError("Only editors can moderate comments.")
    if action == "delete":
        delete_comment(comment, moderator)
        return comment
    allowed = {
        "hide": {Comment.Status.VISIBLE, Comment.Status.PENDING},
        "restore": {Comment.Status.HIDDEN},
        "approve": {Comment.Status.PENDING},
    }
    if action not in allowed:
        raise CommentError(f"Unknown moderation action {action!r}.")
    if comment.status not in allowed[action]:
        raise CommentError(f"A {comment.get_status_display().lower()} comment cannot be {action}d.")
    was_pending = comment.status == Comment.Status.PENDING
    comment.status = Comment.Status.HIDDEN if action == "hide" else Comment.Status.VISIBLE
    comment.moderated_by, comment.moderated_at = moderator, timezone.now()
    comment.save(update_fields=["status", "moderated_by", "moderated_at"])
    comment.reports.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    if action == "approve" and was_pending:
        _notify_reply(comment)
    return comment


@transaction.atomic
def report_comment(comment: Comment, reporter: User, reason: str, note: str = "") -> CommentReport:
    if reason not in CommentReport.Reason.values:
        raise CommentError("Choose a reason for the report.")
    if comment.status != Comment.Status.VISIBLE:
        raise CommentError("That comment is not shown any more.")
    report, _ = CommentReport.objects.update_or_create(
        comment=comment,
        reporter=reporter,
        defaults={"reason": reason, "note": note.strip()[:500], "resolved_at": None},
    )
    return report


def _notify_reply(comment: Comment) -> None:
    """A visible reply to a comment whose author asked: an alert through their channels."""
    from alerts.actions import queue_reply_deliveries

    parent = comment.parent
    if parent is None or not parent.notify_replies or parent.author_id == comment.author_id:
        return
    queue_reply_deliveries(parent.author, comment)


def stop_replies_url(comment: Comment) -> str:
    token = signing.dumps(comment.pk, salt=_STOP_SALT)
    return settings.SITE_URL + reverse("comments:stop_replies", args=[token])


def stop_replies(token: str) -> Comment:
    """The signed link in a reply alert: no login needed, and it only ever switches off."""
    comment_id = signing.loads(token, salt=_STOP_SALT, max_age=dt.timedelta(days=365))
    comment = Comment.objects.get(pk=comment_id)
    if comment.notify_replies:
        comment.notify_replies = False
        comment.save(update_fields=["notify_replies"])
    return comment
