"""`manage.py ingest`, as an integrator runs it on files."""

import os
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.management import CommandError, call_command

from ingest.actions import save_ingested_story
from ingest.tests import IngestCommandTestCase
from ingest.textparse import parse_text
from stories.models import Image, Publisher, Story
from tidings.sample.photos import draw_photo

FIXTURES = Path(__file__).parent / "fixtures"
CAPTION_FIRST = str(FIXTURES / "text" / "caption_first.txt")
ARTICLE = str(FIXTURES / "html" / "article_jsonld.html")


class IngestCommandTests(IngestCommandTestCase):
    def test_dry_run_json_lines_in_input_order(self) -> None:
        lines = self.run_ingest(CAPTION_FIRST, ARTICLE, "--dry-run", "--json")
        self.assertEqual([line["input"] for line in lines], [CAPTION_FIRST, ARTICLE])
        first = lines[0]
        for key in ("headline", "standfirst", "dateline", "body", "image", "copyright",
                    "comments_enabled", "alert_topic_hint", "boilerplate", "duplicate_of",
                    "similarity"):  # fmt: skip
            self.assertIn(key, first)
        self.assertEqual(first["image"]["photographer"], "Lena Brandt")
        self.assertEqual(first["copyright"], {"holder": "The Tidings Chronicle Ltd", "year": 2026})
        self.assertEqual(first["boilerplate"][0]["rule"], "alert_topic")
        self.assertEqual(lines[1]["headline"], "ECB holds interest rates as inflation cools")
        self.assertFalse(Story.objects.exists(), "a dry run writes nothing")

    def test_bad_inputs_fail_one_by_one_and_the_batch_goes_on(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            base = Path(folder)
            (base / "empty.txt").write_bytes(b"")
            (base / "blank.txt").write_bytes(b"  \n\n \t")
            (base / "binary.txt").write_bytes(bytes(range(256)) * 64)
            with (base / "huge.txt").open("wb") as handle:
                handle.truncate(50 * 1024 * 1024)  # 50 MB (sparse: cheap to make)
            (base / "mixed.txt").write_bytes(
                "Café owners protest rent rise\n".encode()
                + "Owners of the cafés said the rise was “unbearable” for them.\n".encode("cp1252")
                + b"A council spokesperson said the rents were fair and overdue.\n"
                + b"Talks are due to resume next week.\n"
            )
            (base / "tags.html").write_bytes(b"<html><body><div><p></div></b></i>")
            names = ["empty.txt", "blank.txt", "binary.txt", "huge.txt", "missing.txt",
                     "tags.html", "mixed.txt"]  # fmt: skip
            lines = self.run_ingest(
                *(str(base / n) for n in names), "--dry-run", "--json", failures=6
            )
        errors = {Path(line["input"]).name: line.get("error") or "" for line in lines}
        self.assertEqual(errors["empty.txt"], "input is empty")
        self.assertEqual(errors["blank.txt"], "input is empty")
        self.assertIn("binary data", errors["binary.txt"])
        self.assertIn("50.0 MiB, over the", errors["huge.txt"])
        self.assertIn("no such file", errors["missing.txt"])
        self.assertIn("no story text found", errors["tags.html"])
        self.assertEqual(errors["mixed.txt"], "")
        mixed = lines[-1]
        self.assertEqual(mixed["headline"], "Café owners protest rent rise")
        self.assertIn("“unbearable”", mixed["body"][0])

    def test_duplicates_within_a_batch_and_against_stored_stories(self) -> None:
        self.make_story(
            "Kestrel Energy to build offshore wind farm off Kenya",
            body="\n\n".join(parse_text(Path(CAPTION_FIRST).read_text()).body),
        )
        lines = self.run_ingest(ARTICLE, CAPTION_FIRST, ARTICLE, "--dry-run", "--json")
        self.assertIsNone(lines[0]["duplicate_of"])
        self.assertEqual(
            lines[1]["duplicate_of"], "story:kestrel-energy-to-build-offshore-wind-farm-off-kenya"
        )
        self.assertGreater(lines[1]["similarity"], 0.9)
        self.assertEqual(lines[2]["duplicate_of"], ARTICLE)
        self.assertEqual(lines[2]["similarity"], 1.0)

    def test_ingest_creates_a_draft_and_publish_publishes(self) -> None:
        # The photo's host is not reachable from tests; test_source_facts downloads one for real.
        with mock.patch("ingest.actions.download_photo", return_value=draw_photo(2, 600, 400)):
            self.run_ingest(ARTICLE, "--json")
        story = Story.objects.get()
        self.assertEqual(story.status, Story.Status.DRAFT)
        self.assertEqual(story.byline, "Jonas Weber and Clara Moreau")
        self.assertFalse(story.comments_enabled)
        self.assertEqual(
            story.copyright_line, "Copyright Harbour Ledger Media Ltd 2026. All rights reserved."
        )
        assert story.lead_image is not None
        self.assertEqual(story.lead_image.credit, "Photo by Jonas Keller/Mainland Press")
        lines = self.run_ingest(CAPTION_FIRST, "--publish", "--json")
        self.assertTrue(lines[0]["story"].startswith("/stories/"))
        self.assertEqual(Story.objects.published().count(), 1)

    def test_a_relative_photo_address_is_left_out_with_a_warning(self) -> None:
        [line] = self.run_ingest(str(FIXTURES / "html" / "article_plain.html"), "--json")
        story = Story.objects.get()
        self.assertIsNone(story.lead_image)
        self.assertIn("photo left out", " ".join(line["warnings"]))

    def test_the_exit_status_says_whether_every_input_made_it_and_names_the_failures(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.txt"
            empty.write_bytes(b"")
            for args in ((CAPTION_FIRST, str(empty)), (str(empty), "--json")):
                err = StringIO()
                with self.assertRaises(CommandError) as caught:
                    call_command("ingest", *args, "--dry-run", stdout=StringIO(), stderr=err)
                self.assertIn("1 of", str(caught.exception))
                self.assertIn(f"{empty}: input is empty", str(caught.exception))
            # From a shell, as a cron job sees it: a non-zero exit and the reason on stderr.
            env = {**os.environ, "TIDINGS_VAR_DIR": folder,
                   "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3"}  # fmt: skip
            for command in (["migrate", "-v0"], ["ingest", "--dry-run", str(empty)]):
                result = subprocess.run(
                    [sys.executable, "manage.py", *command],
                    cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120, env=env,
                )  # fmt: skip
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("input is empty", result.stderr)
        self.run_ingest(CAPTION_FIRST, "--dry-run", "--json")  # all well: no error, exit 0

    def test_a_failure_part_way_leaves_nothing_behind(self) -> None:
        parsed = parse_text(Path(CAPTION_FIRST).read_text())
        parsed.image.url = "https://images.example/buoy.jpg"
        parsed.site_name = "A publisher made on the way"
        before = (Story.objects.count(), Image.objects.count(), Publisher.objects.count())
        # The image and publisher are written first; then the story save fails.
        with (
            mock.patch("ingest.actions.save_story", side_effect=RuntimeError("disk full")),
            self.assertRaisesMessage(RuntimeError, "disk full"),
        ):
            save_ingested_story(parsed, photo=draw_photo(1, 600, 400))
        after = (Story.objects.count(), Image.objects.count(), Publisher.objects.count())
        self.assertEqual(before, after)

    def test_urls_are_fetched_safely(self) -> None:
        from ingest.tests.test_fetch import loopback_server

        with loopback_server() as port, self.settings(INGEST_FETCH_ALLOW=["127.0.0.1/32"]):
            lines = self.run_ingest(
                f"http://127.0.0.1:{port}/page", f"http://127.0.0.1:{port}/missing",
                "http://10.20.30.40/story", "file:///etc/passwd", "--dry-run", "--json",
                failures=3,
            )  # fmt: skip
        self.assertEqual(lines[0]["body"], ["A story."])
        self.assertIn("HTTP 404", lines[1]["error"])
        self.assertIn("10.20.30.40, a private address", lines[2]["error"])
        self.assertIn("only http and https", lines[3]["error"])
