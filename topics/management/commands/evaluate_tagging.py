import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from topics.actions import current_tagger
from topics.evaluation import (
    evaluate,
    evaluate_quotes,
    kind_disagreements,
    load_sel_scorer,
    read_gold,
    read_quote_gold,
)
from topics.tagging import Article

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Score the tagger on a gold file (JSON Lines: text, headline, topics, primary; see "
        "docs/topics.md): precision, recall and F1 of topics, and the primary-topic hit rate. "
        "Uses this database's registry and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", type=Path, nargs="?", help="an invented gold file")
        parser.add_argument(
            "--sel",
            type=Path,
            metavar="PATH",
            help="the SEL dev set (sel-dev.jsonl, with score.py beside it): write predictions "
            "and print the scorer's figures",
        )
        parser.add_argument(
            "--predictions",
            type=Path,
            default=Path("var/sel-predictions.jsonl"),
            help="where --sel writes its predictions (default: %(default)s)",
        )
        parser.add_argument(
            "--with-mentions",
            action="store_true",
            help="count passing mentions as predictions too (default: primary and about)",
        )
        parser.add_argument(
            "--kind-errors",
            action="store_true",
            help="with --sel: list each topic whose kind the scorer counts wrong, and the gold "
            "entities it was matched to (by the whole name or by shared words)",
        )
        parser.add_argument("--show", type=int, default=10, help="most frequent misses/extras")
        parser.add_argument(
            "--quotes",
            type=Path,
            metavar="PATH",
            help="a quotes gold file (topics/gold/quotes.jsonl): quote precision and recall, "
            "speaker accuracy",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quotes"] is not None:
            self._quotes(options["quotes"], options["show"])
        if options["sel"] is not None:
            self._sel(options["sel"], options["predictions"], options["kind_errors"])
        if options["gold"] is None:
            if options["sel"] is None and options["quotes"] is None:
                raise CommandError("give a gold file, --sel PATH, --quotes PATH, or several")
            return
        golds = _read(options["gold"], read_gold)
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

    def _quotes(self, path: Path, show: int) -> None:
        golds = _read(path, read_quote_gold)
        score = evaluate_quotes(current_tagger(), golds)
        self.stdout.write(
            f"quotes: {score.stories} stories, {score.expected} quotes, {score.predicted} found; "
            f"precision {score.precision:.3f}  recall {score.recall:.3f}  speaker accuracy "
            f"{score.speaker_accuracy:.3f} ({score.speakers_right}/{score.matched}); partial "
            f"quotes marked {score.partial_found}/{score.partial_expected}"
        )
        for line in score.wrong[:show]:
            self.stdout.write(f"  {line}")

    def _sel(self, path: Path, out: Path, kind_errors: bool = False) -> None:
        """Tag every SEL article (read where it lies: the texts never enter the repository)
        and let the dataset's own scorer judge the predictions."""
        scorer = path.parent / "score.py"
        if not path.is_file() or not scorer.is_file():
            raise CommandError(f"no SEL dev set at {path} (with score.py beside it)")
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        articles = [
            Article(
                headline=record.get("title") or "",
                body=[p.strip() for p in str(record.get("text", "")).split("\n\n") if p.strip()],
            )
            for record in records
        ]
        tagged = current_tagger().tag_many(articles)
        out.parent.mkdir(parents=True, exist_ok=True)
        pred = {
            record["id"]: [
                {"name": c.name, "salience": c.salience, "role": c.role, "kind": c.kind}
                for c in candidates
            ]
            for record, candidates in zip(records, tagged, strict=True)
        }
        with out.open("w", encoding="utf-8") as handle:
            for record_id, topics in pred.items():
                handle.write(json.dumps({"id": record_id, "topics": topics}) + "\n")
        result = subprocess.run(
            [sys.executable, str(scorer), str(path), str(out)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        self.stdout.write(f"SEL dev set: {len(records)} articles, predictions in {out}")
        self.stdout.write(result.stdout.rstrip())
        if result.returncode:
            raise CommandError(f"the scorer failed: {result.stderr.strip()[-500:]}")
        if kind_errors:
            self._kind_errors(path, records, pred)

    def _kind_errors(
        self, path: Path, records: list[dict[str, Any]], pred: dict[str, list[dict[str, Any]]]
    ) -> None:
        try:
            found = kind_disagreements(load_sel_scorer(path), records, pred)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        exact = sum(d.exact for d in found)
        self.stdout.write(
            f"kinds counted wrong: {len(found)} ({exact} matched by the whole name, "
            f"{len(found) - exact} by shared words only)"
        )
        for d in found:
            gold = "; ".join(f"{name} ({kind})" for name, kind in d.gold)
            how = "by name" if d.exact else "by shared words"
            self.stdout.write(f"  {d.article}  {d.name} ({d.kind}) vs {gold}, {how}")


def _read(path: Path, reader: Callable[[Path], list[T]]) -> list[T]:
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        return reader(path)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
