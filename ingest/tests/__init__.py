import json
from io import StringIO
from typing import Any

from django.core.management import CommandError, call_command

from tidings.test import BaseTestCase


class IngestCommandTestCase(BaseTestCase):
    def run_ingest(self, *args: str, failures: int = 0) -> list[dict[str, Any]]:
        """The JSON lines printed; the command must fail (exit non-zero) iff inputs failed."""
        out = StringIO()
        try:
            call_command("ingest", *args, stdout=out, stderr=StringIO())
            error = ""
        except CommandError as exc:
            error = str(exc)
        if failures:
            self.assertIn(f"{failures} of", error)
        else:
            self.assertEqual(error, "")
        return [json.loads(line) for line in out.getvalue().splitlines()]
