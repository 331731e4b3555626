import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tidings.progress import Progress
from topics.actions import current_tagger
from topics.evaluation import load_sel_scorer
from topics.tagging import Article, Candidate
from topics.tagging.salience import MODEL_PATH, Salience, fit, fit_choice


class Command(BaseCommand):
    help = (
        "Fit the salience model (topics/tagging/salience.py) on the SEL dev set and write its "
        "coefficients. Prints cross-validated figures (each fold scored by the dataset's own "
        "scorer on articles the fold did not see) beside the rule ranking's. Deterministic."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sel", type=Path, required=True, metavar="PATH", help="sel-dev.jsonl")
        parser.add_argument("--out", type=Path, default=MODEL_PATH, help="default: %(default)s")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument(
            "--l2", type=float, default=5.0,
            help="the penalty on the weights (chosen by the cross-validated figures)",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="print figures, write nothing")
        parser.add_argument(
            "--held-out", type=Path, metavar="PATH",
            help="write the held-out predictions here, for the scorer's --per-doc analysis",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["sel"]
        try:
            scorer = load_sel_scorer(path)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        rules = current_tagger().with_salience(None)
        articles = [_article(r) for r in records]
        progress = Progress(len(records), label="articles tagged", stream=sys.stderr)
        tagged: list[list[Candidate]] = []
        for start in range(0, len(records), 32):
            tagged += rules.tag_many(articles[start : start + 32])
            for record in records[start : start + 32]:
                progress.step(record["id"])
        rows, owner = [], []
        targets: dict[str, list[float]] = {"ranking": [], "primary": []}
        for number, (record, candidates) in enumerate(zip(records, tagged, strict=True)):
            gold = [e for e in record["gold_entities"] if e.get("name")]
            top = max((e.get("salience_grade", 0) for e in gold), default=0)
            for c in candidates:
                if not c.features:  # keyword themes: ranked by their own rules
                    continue
                found = [e for e in gold if scorer.match_entity(c.name, e)]
                rows.append(c.features)
                owner.append(number)
                # Ranking: half "is it one of the story's real entities at all" (what the
                # top of the list must hold), half how central the readers graded it.
                # Primary: is it the one the story is chiefly about (the single top-graded
                # entity, or one of the top-graded where tied).
                grade = max((e.get("salience_grade", 0) for e in found), default=0) / 3
                targets["ranking"].append(0.5 * bool(found) + 0.5 * grade)
                chief = record.get("primary")
                targets["primary"].append(float(
                    any(e["name"] == chief for e in found) if chief
                    else any(e.get("salience_grade", 0) >= top for e in found)
                ))  # fmt: skip
        self.stdout.write(f"{len(records)} articles, {len(rows)} named candidates")
        l2 = options["l2"]

        def fitted(indices: list[int]) -> Salience:
            ranking = fit(
                [rows[i] for i in indices], [targets["ranking"][i] for i in indices], l2=l2
            )
            # The primary: one choice per story, among that story's candidates.
            stories: dict[int, list[int]] = {}
            for i in indices:
                stories.setdefault(owner[i], []).append(i)
            primary = fit_choice(
                [[rows[i] for i in members] for members in stories.values()],
                [[targets["primary"][i] for i in members] for members in stories.values()],
                l2=l2,
            )
            return Salience(ranking, primary)

        folds = max(2, options["folds"])
        # Each article is scored by the tagger as it would run with a model fitted without it.
        held_out: list[list[Candidate]] = [[] for _ in records]
        for fold in range(folds):
            ranker = rules.with_salience(
                fitted([i for i, n in enumerate(owner) if n % folds != fold])
            )
            numbers = [n for n in range(len(records)) if n % folds == fold]
            for n, candidates in zip(
                numbers, ranker.tag_many([articles[n] for n in numbers]), strict=True
            ):
                held_out[n] = candidates
        model = fitted(list(range(len(rows))))
        self._report("rules (no model)", scorer, records, tagged)
        self._report(f"model, {folds}-fold held out", scorer, records, held_out)
        if options["held_out"] is not None:
            with options["held_out"].open("w", encoding="utf-8") as handle:
                for record, topics in _predictions(records, held_out).items():
                    handle.write(json.dumps({"id": record, "topics": topics}) + "\n")
        in_sample = rules.with_salience(model).tag_many(articles)
        self._report("model, fitted on all (in-sample)", scorer, records, in_sample)
        for label, part in (("ranking", model.ranking), ("primary", model.primary)):
            weights = ", ".join(
                f"{n} {w:+.2f}" for n, w in zip(part.features, part.weights, strict=True)
            )
            self.stdout.write(f"{label}: {weights}, bias {part.bias:+.2f}")
        if not options["dry_run"]:
            options["out"].write_text(
                model.to_json(trained_on=f"{path.name}: {len(records)} articles", l2=l2)
            )
            self.stdout.write(f"wrote {options['out']}")

    def _report(self, label: str, scorer: ModuleType, records: list[dict[str, Any]],
                tagged: list[list[Candidate]]) -> None:  # fmt: skip
        pred = _predictions(records, tagged)
        figures, _ = scorer.score(records, pred)
        kinds, _ = scorer.kind_accuracy(records, pred)
        self.stdout.write(
            f"{label}: P@5 {figures['p5']:.3f}, salient recall {figures['salient_recall']:.3f}, "
            f"primary hit {figures['primary_hit']:.3f} (source primary "
            f"{figures['source_primary_hit']:.3f}); kinds right {kinds:.3f}"
        )


def _predictions(
    records: list[dict[str, Any]], tagged: list[list[Candidate]]
) -> dict[str, list[dict[str, Any]]]:
    """The scorer's shape: topics by article id."""
    return {
        record["id"]: [
            {"name": c.name, "salience": c.salience, "role": c.role, "kind": c.kind}
            for c in candidates
        ]
        for record, candidates in zip(records, tagged, strict=True)
    }


def _article(record: dict[str, Any]) -> Article:
    body = [p.strip() for p in str(record.get("text", "")).split("\n\n") if p.strip()]
    return Article(headline=record.get("title") or "", body=body)
