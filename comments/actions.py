from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from comments.models import Comment
from stories.models import Story


@transaction.atomic
def post_comment(story: Story, author: User, body: str) -> Comment:
    if not story.comments_enabled:
        raise PermissionDenied("Comments have not been enabled for this article.")
    return Comment.objects.create(story=story, author=author, body=body.strip())
