import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.actions import Deduper, fetch_page, ingest_story
from ingest.fetch import FetchError, fetch
from ingest.pipeline import (
    FORMATS,
    IngestError,
    Parsed,
    check_size,
    parse_bytes,
    parse_feed_bytes,
    sniff_format,
)
from ingest.textparse import ParsedStory
from tidings.progress import Progress
from topics.actions import describe_quotes, describe_tags, preview_tags
from topics.tagging import Article


def article_from(story: ParsedStory) -> Article:
    credits = (story.byline, story.image.photographer, story.image.agency)
    return Article(
        headline=story.headline or "",
        standfirst=story.standfirst or "",
        body=story.body,
        credits=[c for c in credits if c],
        publisher=story.site_name or "",
        primary_hint=story.alert_topic_hint,
        topic_hints=story.topic_hints,
    )


class Command(BaseCommand):
    help = (
        "Ingest stories from text files, HTML pages, feeds or their URLs. With --dry-run --json, "
        "write nothing and print one JSON object per story (JSON Lines); see docs/ingest.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument("--publish", action="store_true", help="publish, not draft")
        parser.add_argument("--dry-run", action="store_true", help="write nothing")
        parser.add_argument("--json", action="store_true", help="print JSON Lines on stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        inputs: list[str] = options["inputs"]
        deduper = Deduper(persist=not options["dry_run"])
        progress = Progress(len(inputs), "ingest") if len(inputs) > 1 else None
        failures: list[str] = []
        for name in inputs:
            try:
                records = [
                    self._ingest(name, parsed, deduper, options)
                    for parsed in self._parse(name, options["format"])
                ]
            except Exception as exc:
                message = str(exc)
                if not isinstance(exc, IngestError):
                    logging.getLogger(__name__).exception("%s: unexpected error", name)
                    message = f"unexpected error ({type(exc).__name__}): {exc}"
                failures.append(f"{name}: {message}")
                records = [{"input": name, "error": message}]
            for record in records:
                if options["json"]:
                    self.stdout.write(json.dumps(record, ensure_ascii=False))
                else:
                    self.stdout.write(self._summary(record))
            if progress:
                progress.step(name)
        if failures:
            # A script or cron job must see that something was not ingested.
            raise CommandError(
                f"{len(failures)} of {len(inputs)} inputs failed or were refused:\n  "
                + "\n  ".join(failures)
            )

    def _ingest(
        self, name: str, parsed: Parsed, deduper: Deduper, options: dict[str, Any]
    ) -> dict[str, Any]:
        story = parsed.story
        label = f"{name}#{story.guid}" if story.guid else name
        outcome = ingest_story(story, deduper, label=label, publish=options["publish"])
        data = story.to_dict()
        data.pop("url", None)
        record: dict[str, Any] = {
            "input": name,
            **({"entry": story.guid} if story.guid else {}),
            "format": parsed.format,
            "encoding": parsed.encoding,
            **data,
            "duplicate_of": outcome.duplicate.key if outcome.duplicate else None,
            "similarity": outcome.duplicate.similarity if outcome.duplicate else None,
        }
        tagged = outcome.story.tag_candidates if outcome.story is not None else None
        # A published story was tagged as it went out; only a draft or a dry run needs a preview.
        if tagged is not None and outcome.story is not None:
            record["topics"] = describe_tags(tagged)
            record["quotes"] = describe_quotes(tagged, outcome.story.tag_quotes or [])
        else:
            record["topics"], record["quotes"] = preview_tags(article_from(story))
        if outcome.story is not None:
            record["story"] = outcome.story.get_absolute_url()
        return record

    def _parse(self, name: str, fmt: str) -> list[Parsed]:
        """One Parsed for a text or HTML input; one per entry for a feed."""
        url = encoding = None
        if "://" in name:
            try:
                page = fetch(name, kind="html" if fmt in ("text", "html") else "feed")
            except FetchError as exc:
                raise IngestError(f"not fetched: {exc}") from None
            data, url, encoding = page.content, page.url, page.encoding
        else:
            data = self._read_file(name, fmt)
        if fmt == "feed" or (fmt == "auto" and sniff_format(data) == "feed"):
            return parse_feed_bytes(
                data, fetch_page=fetch_page, max_entries=settings.FEED_MAX_ENTRIES
            )
        return [parse_bytes(data, fmt=fmt, url=url, declared_encoding=encoding)]

    def _read_file(self, name: str, fmt: str) -> bytes:
        path = Path(name)
        if not path.is_file():
            raise IngestError(f"no such file: {name}")
        check_size(path.stat().st_size, fmt)  # refuse a huge file before reading any of it
        return path.read_bytes()

    def _summary(self, record: dict[str, Any]) -> str:
        if "error" in record:
            return f"✗ {record['input']}: {record['error']}"
        if record.get("duplicate_of"):
            return (
                f"= {record['input']}: duplicate of {record['duplicate_of']} "
                f"(similarity {record['similarity']})"
            )
        where = record.get("story", "(dry run)")
        topics = ", ".join(t["name"] for t in record["topics"] if t["role"] != "mention")
        headline = record.get("headline") or "(no headline)"
        return f"✓ {record['input']}: {headline} → {where}" + (f" [{topics}]" if topics else "")
