import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingest.actions import save_ingested_story
from ingest.dedupe import DuplicateIndex
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
from stories.models import Story
from tidings.progress import Progress


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
        index = self._stored_stories_index()
        progress = Progress(len(inputs), "ingest") if len(inputs) > 1 else None
        failures = 0
        for name in inputs:
            try:
                records = [
                    self._ingest(name, parsed, index, options)
                    for parsed in self._parse(name, options["format"])
                ]
            except IngestError as exc:
                failures += 1
                records = [{"input": name, "error": str(exc)}]
            for record in records:
                if options["json"]:
                    self.stdout.write(json.dumps(record, ensure_ascii=False))
                else:
                    self.stdout.write(self._summary(record))
            if progress:
                progress.step(name)
        if failures and not options["json"]:
            self.stderr.write(f"{failures} of {len(inputs)} inputs failed.")

    def _ingest(
        self, name: str, parsed: Parsed, index: DuplicateIndex, options: dict[str, Any]
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"input": name, **self._describe(name, parsed, index)}
        if not options["dry_run"] and record["duplicate_of"] is None:
            story = save_ingested_story(parsed.story, publish=options["publish"])
            record["story"] = story.get_absolute_url()
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
            return parse_feed_bytes(data, fetch_page=_fetch_page)
        return [parse_bytes(data, fmt=fmt, url=url, declared_encoding=encoding)]

    def _read_file(self, name: str, fmt: str) -> bytes:
        path = Path(name)
        if not path.is_file():
            raise IngestError(f"no such file: {name}")
        check_size(path.stat().st_size, fmt)  # refuse a huge file before reading any of it
        return path.read_bytes()

    def _stored_stories_index(self) -> DuplicateIndex:
        index = DuplicateIndex()
        for slug, headline, body in Story.objects.values_list("slug", "headline", "body"):
            index.add(f"story:{slug}", f"{headline}\n{body}")
        return index

    def _describe(self, name: str, parsed: Parsed, index: DuplicateIndex) -> dict[str, Any]:
        story = parsed.story
        text = f"{story.headline or ''}\n" + "\n".join(story.body)
        urls = (story.canonical_url,)
        label = f"{name}#{story.guid}" if story.guid else name
        match = index.find(text, urls=urls)
        index.add(label, text, urls=urls)
        data = story.to_dict()
        data.pop("url", None)
        return {
            **({"entry": story.guid} if story.guid else {}),
            "format": parsed.format,
            "encoding": parsed.encoding,
            **data,
            "duplicate_of": match.key if match else None,
            "similarity": match.similarity if match else None,
        }

    def _summary(self, record: dict[str, Any]) -> str:
        if "error" in record:
            return f"✗ {record['input']}: {record['error']}"
        if record.get("duplicate_of"):
            return (
                f"= {record['input']}: duplicate of {record['duplicate_of']} "
                f"(similarity {record['similarity']})"
            )
        where = record.get("story", "(dry run)")
        return f"✓ {record['input']}: {record.get('headline') or '(no headline)'} → {where}"


def _fetch_page(url: str) -> bytes:
    try:
        return fetch(url, kind="html").content
    except FetchError as exc:
        raise IngestError(f"not fetched: {exc}") from None
