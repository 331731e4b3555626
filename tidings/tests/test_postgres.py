"""The product on PostgreSQL: migrate, load the sample content, serve a story page.

Runs against a throwaway database on the server named by TIDINGS_TEST_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/postgres); skipped when none is reachable.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

SERVER_URL = os.environ.get(
    "TIDINGS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SMOKE = """
import django; django.setup()
from django.test import Client
from stories.models import Story
stories = Story.objects.published()
assert stories.count() >= 20, stories.count()
page = Client().get(stories.first().get_absolute_url())
assert page.status_code == 200 and b"Follow the topics in this article" in page.content
print("ok", stories.count())
"""


def _connect(url: str) -> Any:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(
            f"PostgreSQL is not reachable at {url} ({exc.__class__.__name__}); "
            "set TIDINGS_TEST_POSTGRES_URL to run this test"
        )


@pytest.mark.postgres
def test_migrate_load_and_serve_on_postgresql(tmp_path: Path) -> None:
    name = f"tidings_test_{uuid.uuid4().hex[:8]}"
    with _connect(SERVER_URL) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = SERVER_URL.rsplit("/", 1)[0]
        env = {
            **os.environ,
            "DATABASE_URL": f"{base}/{name}",
            "MEDIA_ROOT": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "tidings.settings",
            "ALLOWED_HOSTS": "testserver",
        }
        for args in (
            ["manage.py", "migrate", "--no-input", "-v0"],
            ["manage.py", "load_sample_content"],
            ["-c", SMOKE],
        ):
            result = subprocess.run(
                [sys.executable, *args],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("ok")
    finally:
        with _connect(SERVER_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
