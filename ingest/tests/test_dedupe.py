"""Near-duplicate rules on invented stories: edited copies are caught, different stories on one
event are not, and a copy of a copy names the original."""

import json
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import SimpleTestCase

from ingest.dedupe import DuplicateIndex, Prints
from ingest.tests.test_sources import PARAGRAPHS
from tidings.test import BaseTestCase

HEADLINE = "Almsford swing bridge to close to lorries"
SYNDICATED = "This story first appeared in the Almsford Echo and is republished with permission."
# The same meeting, written up by another paper: its own words, one quote in common.
OTHER_PAPER = [
    "Lorry drivers in Almsford will have to find another way across the river from March, "
    "the town council decided on Tuesday, in a vote that split the chamber.",
    "The council's head of highways, Ines Marlowe, said the repairs would take at least a year "
    "and cost more than the town's entire roads budget.",
    "Opposition councillors wanted a weight limit instead of a ban, and local businesses "
    "warned that deliveries to the high street would become slower and dearer.",
    "A decision on a temporary crossing is expected after a consultation that closes in May.",
]


def text(headline: str, paragraphs: list[str]) -> Prints:
    return Prints(headline + "\n" + "\n".join(paragraphs))


def edited_copy() -> list[str]:
    reworded = PARAGRAPHS[1].replace("Hauliers say", "Haulage firms told reporters that")
    return [SYNDICATED, PARAGRAPHS[0], reworded, PARAGRAPHS[3]]  # paragraph 3 of 4 dropped


class DuplicateRuleTests(SimpleTestCase):
    def test_an_edited_copy_is_caught_and_another_papers_story_is_not(self) -> None:
        index = DuplicateIndex()
        index.add("story:original", text(HEADLINE, PARAGRAPHS))
        match = index.find(text("Almsford bridge closes to heavy traffic", edited_copy()))
        assert match is not None
        self.assertEqual(match.key, "story:original")
        self.assertLess(match.similarity, 1.0)
        self.assertIsNone(index.find(text("Almsford votes to ban lorries", OTHER_PAPER)))

    def test_a_copy_of_a_copy_names_the_original(self) -> None:
        index = DuplicateIndex()
        index.add("story:original", text(HEADLINE, PARAGRAPHS))
        copy = text(HEADLINE, edited_copy())
        index.add("input:copy", copy, original=index.find(copy).key)  # type: ignore[union-attr]
        copy_of_copy = text(HEADLINE, [*edited_copy()[:3], "Reporting by the wire desk."])
        match = index.find(copy_of_copy)
        assert match is not None
        self.assertEqual(match.key, "story:original")


class IngestDuplicateTests(BaseTestCase):
    def test_ingest_links_an_edited_copy_to_the_stored_story(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            first, second = Path(folder) / "first.txt", Path(folder) / "second.txt"
            first.write_text("\n\n".join([HEADLINE, *PARAGRAPHS]))
            second.write_text("\n\n".join(["Almsford bridge closes", *edited_copy()]))
            call_command("ingest", str(first), stdout=StringIO(), stderr=StringIO())
            out = StringIO()
            call_command("ingest", str(second), "--json", stdout=out, stderr=StringIO())
        record = json.loads(out.getvalue())
        self.assertTrue(record["duplicate_of"].startswith("story:almsford-swing-bridge"))
