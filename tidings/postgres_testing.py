"""A throwaway PostgreSQL database for tests that need the real thing (scale-out, crashes).

It lives on the server named by TIDINGS_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); tests skip, saying so, when none is reachable.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

SERVER_URL = os.environ.get(
    "TIDINGS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def connect(url: str) -> Any:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(
            f"PostgreSQL is not reachable at {url} ({exc.__class__.__name__}); "
            "set TIDINGS_TEST_POSTGRES_URL to run this test"
        )


@dataclass
class Database:
    url: str
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        return [sys.executable, *args]

    def run(self, *args: str, timeout: float = 300) -> str:
        """Run `python ARGS` (a manage.py command or -c SCRIPT) against this database."""
        result = subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Start `python ARGS` in the background (its output is not kept)."""
        return subprocess.Popen(
            self.command(*args), env=self.env, cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def scalar(self, sql: str) -> Any:
        with connect(self.url) as conn:
            return conn.execute(sql).fetchone()[0]


@contextmanager
def throwaway_postgres(tmp_path: Path, **env: str) -> Iterator[Database]:
    """A new, migrated database; dropped afterwards whatever happens."""
    name = f"tidings_test_{uuid.uuid4().hex[:8]}"
    with connect(SERVER_URL) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{SERVER_URL.rsplit('/', 1)[0]}/{name}"
    try:
        db = Database(
            url,
            {
                **os.environ,
                "DATABASE_URL": url,
                "MEDIA_ROOT": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "tidings.settings",
                "ALLOWED_HOSTS": "testserver",
                **env,
            },
        )
        db.run("manage.py", "migrate", "--no-input", "-v0")
        yield db
    finally:
        with connect(SERVER_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
