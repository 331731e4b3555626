from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingest.actions import add_source, due_source_ids, poll_source
from ingest.models import Source
from tidings.progress import Progress


class Command(BaseCommand):
    help = "Poll feed sources now: the due ones, every one with --all, or add one with --add URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="poll every unpaused source")
        parser.add_argument("--add", metavar="URL", help="add (or update) this feed first")
        parser.add_argument("--publish", action="store_true", help="with --add: publish at once")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["add"]:
            add_source(options["add"], publish=options["publish"])
        if options["all"] or options["add"]:
            ids = list(Source.objects.filter(paused=False).values_list("id", flat=True))
        else:
            ids = due_source_ids()
        progress = Progress(len(ids), "poll") if len(ids) > 1 else None
        for source_id in ids:
            result = poll_source(source_id, force=True)
            line = (
                f"{result.source}: {result.status}, {len(result.created)} new, "
                f"{len(result.duplicates)} duplicates, {result.seen} seen before"
            )
            self.stdout.write(line + "".join(f"\n  ✗ {error}" for error in result.errors))
            if progress:
                progress.step(result.source)
