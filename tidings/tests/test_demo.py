"""`make demo`'s script, run with a stand-in Python that records what it was asked to run."""

import os
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

# The server stand-in waits (up to 30 s: a loaded machine, or libfaketime's slower process
# start in CI's clock-ahead pass) for the background worker's line: the script's exit stops
# the worker, which may not have written it yet. ("$*" is "manage.py runserver HOST:PORT".)
STAND_IN = """#!/bin/sh
log="$(dirname "$0")/calls.log"
case "$*" in *" runserver "*)
    for _ in $(seq 300); do grep -qs " worker" "$log" && break; sleep 0.1; done ;;
esac
echo "SITE_URL=$SITE_URL $*" >> "$log"
"""


class DemoScriptTests(SimpleTestCase):
    def run_demo(self, tmp: Path, **env: str) -> list[str]:
        python = tmp / "python"
        python.write_text(STAND_IN)
        python.chmod(0o755)
        clean = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
        subprocess.run(
            ["sh", "scripts/demo.sh"],
            cwd=settings.BASE_DIR,
            env={**clean, "BIN": str(tmp), **env},
            check=True,
            timeout=90,
            capture_output=True,
        )
        return (tmp / "calls.log").read_text().splitlines()

    def test_links_follow_the_port_the_demo_is_served_on(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            calls = self.run_demo(Path(tmp), HOST="127.0.0.1", PORT="8765")
        commands = sorted(line.split(" ", 2)[2] for line in calls)
        self.assertEqual(
            commands,
            [
                "load_sample_content",
                "migrate --no-input",
                "runserver 127.0.0.1:8765",
                "worker",
            ],
        )
        for line in calls:
            self.assertTrue(line.startswith("SITE_URL=http://127.0.0.1:8765 "), line)

    def test_an_explicit_site_url_wins(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            calls = self.run_demo(
                Path(tmp),
                HOST="news-host",
                PORT="80",
                SITE_URL="https://news.example",
            )
        self.assertTrue(all(line.startswith("SITE_URL=https://news.example ") for line in calls))
