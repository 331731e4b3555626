from typing import Any

from django.core.management.base import BaseCommand

from search.actions import reindex
from stories.models import Story
from tidings.progress import Progress


class Command(BaseCommand):
    help = (
        "Build the full-text index again from every published story (SQLite FTS5 or "
        "PostgreSQL, whichever DATABASE_URL names). Searches keep working meanwhile: the old "
        "index is replaced when the new one commits."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Story.objects.published().count()
        progress = Progress(total, "reindex", stream=self.stderr)  # type: ignore[arg-type]
        done = reindex(progress)
        self.stdout.write(f"Indexed {done} published stories.")
