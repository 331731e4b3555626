from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person with a login: a reader, and an editor too when `is_staff` is set."""

    display_name = models.CharField(
        max_length=100, blank=True, help_text="Shown beside comments; the username when empty."
    )

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_editor(self) -> bool:
        return self.is_staff and self.has_perm("stories.change_story")
