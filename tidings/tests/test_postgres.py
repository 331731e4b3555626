"""The product on PostgreSQL: migrate, load the sample content, serve a story page.

Runs against a throwaway database on the server named by TIDINGS_TEST_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/postgres); skipped when none is reachable.
"""

from pathlib import Path

import pytest

from tidings.postgres_testing import throwaway_postgres

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


@pytest.mark.postgres
def test_migrate_load_and_serve_on_postgresql(tmp_path: Path) -> None:
    with throwaway_postgres(tmp_path) as db:
        db.run("manage.py", "load_sample_content")
        assert db.run("-c", SMOKE).startswith("ok")
