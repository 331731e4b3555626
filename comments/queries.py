from dataclasses import dataclass, field

from comments.models import Comment
from stories.models import Story


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def comment_threads(story: Story, *, moderator: bool = False) -> list[Thread]:
    """Top-level comments in order, each with its replies. Readers see visible comments (and a
    deleted one's place while it has replies); moderators also see waiting and hidden ones."""
    shown = {Comment.Status.VISIBLE, Comment.Status.DELETED}
    if moderator:
        shown |= {Comment.Status.PENDING, Comment.Status.HIDDEN}
    rows = story.comments.filter(status__in=shown).select_related("author")
    threads: dict[int, Thread] = {}
    replies: list[Comment] = []
    for comment in rows:
        if comment.parent_id is None:
            threads[comment.pk] = Thread(comment)
        else:
            replies.append(comment)
    for reply in replies:
        thread = threads.get(reply.parent_id or 0)
        if thread is not None and reply.status != Comment.Status.DELETED:
            thread.replies.append(reply)
    return [
        t for t in threads.values()
        if t.comment.status != Comment.Status.DELETED or t.replies
    ]  # fmt: skip


def visible_count(threads: list[Thread]) -> int:
    """The count readers see, from threads already loaded: no second query."""
    comments = [c for t in threads for c in (t.comment, *t.replies)]
    return sum(1 for c in comments if c.status == Comment.Status.VISIBLE)
