from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from topics.actions import current_tagger
from topics.evaluation import evaluate, read_gold


class Command(BaseCommand):
    help = (
        "Score the tagger on a gold file (JSON Lines: text, headline, topics, primary; see "
        "docs/topics.md): precision, recall and F1 of topics, and the primary-topic hit rate. "
        "Uses this database's registry and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", type=Path)
        parser.add_argument(
            "--with-mentions",
            action="store_true",
            help="count passing mentions as predictions too (default: primary and about)",
        )
        parser.add_argument("--show", type=int, default=10, help="most frequent misses/extras")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["gold"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            golds = read_gold(path)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        roles = {"primary", "about"} | ({"mention"} if options["with_mentions"] else set())
        score = evaluate(current_tagger(), golds, roles=roles)
        self.stdout.write(
            f"stories {score.stories}  gold topics {score.expected}  predicted {score.predicted}\n"
            f"precision {score.precision:.3f}  recall {score.recall:.3f}  F1 {score.f1:.3f}\n"
            f"primary hit rate {score.primary_rate:.3f} ({score.primary_hits}/{score.primaries})"
        )
        if options["show"]:
            for label, names in (("missed", score.misses), ("extra", score.extras)):
                common = Counter(names).most_common(options["show"])
                self.stdout.write(f"{label}: " + ", ".join(f"{n} ×{c}" for n, c in common))
