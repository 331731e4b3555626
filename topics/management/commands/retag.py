import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone

from stories.models import Story
from tidings.progress import Progress
from topics.actions import tag_stories
from topics.models import Topic


class Command(BaseCommand):
    help = (
        "Re-tag published stories with the current registry and model. Editors' topics stay. "
        "Works in batches, oldest first; each batch commits, so an interrupted run resumes "
        "with --after-id (the last id it printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every published story")
        which.add_argument("--since", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
        which.add_argument("--topic", metavar="SLUG", help="stories tagged with or naming it")
        parser.add_argument("--after-id", type=int, default=0, help="resume after this story")
        parser.add_argument("--batch", type=int, default=64, help="stories per model pass")

    def handle(self, *args: Any, **options: Any) -> None:
        stories = self._stories(options).filter(id__gt=options["after_id"]).order_by("id")
        ids = list(stories.values_list("id", flat=True))
        progress = Progress(len(ids), "retag", stream=self.stderr)  # type: ignore[arg-type]
        last = options["after_id"]
        try:
            for i in range(0, len(ids), options["batch"]):
                batch = list(
                    Story.objects.filter(id__in=ids[i : i + options["batch"]])
                    .select_related("publisher", "lead_image")
                    .order_by("id")
                )
                tag_stories(batch)
                for story in batch:
                    progress.step(f"#{story.id}")
                last = batch[-1].id if batch else last
        except KeyboardInterrupt:
            self.stderr.write(f"\nInterrupted. Resume with: manage.py retag ... --after-id {last}")
            raise SystemExit(130) from None
        self.stdout.write(f"Re-tagged {len(ids)} stories (last id {last}).")

    def _stories(self, options: dict[str, Any]) -> QuerySet[Story]:
        published = Story.objects.published()
        if options["since"]:
            start = dt.datetime.combine(options["since"], dt.time(), tzinfo=dt.UTC)
            return published.filter(published_at__gte=timezone.localtime(start))
        if options["topic"]:
            topic = Topic.objects.filter(slug=options["topic"]).first()
            if topic is None:
                raise CommandError(f"no topic with the slug {options['topic']!r}")
            # Also the stories that name it without being tagged yet: a new alias finds them.
            named = Q(story_topics__topic=topic)
            for name in [topic.name, *topic.aliases]:
                named |= Q(headline__icontains=name) | Q(body__icontains=name)
            return published.filter(named).distinct()
        return published
