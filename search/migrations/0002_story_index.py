"""The full-text index: engine-specific tables that Django's models do not describe."""

from typing import Any

from django.db import migrations

FTS5 = """CREATE VIRTUAL TABLE search_fts USING fts5(
    headline, standfirst, topics, byline, body, tags,
    tokenize = 'unicode61 remove_diacritics 0'
)"""
POSTGRES = [
    # No foreign key: a row left by a deleted story is never shown (searches join the published
    # stories), and a key would stop Django's test flush from truncating the stories table.
    """CREATE TABLE search_document (
        story_id bigint PRIMARY KEY,
        vector tsvector NOT NULL
    )""",
    "CREATE INDEX search_document_vector ON search_document USING GIN (vector)",
]


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = POSTGRES if vendor == "postgresql" else [FTS5] if vendor == "sqlite" else None
    if statements is None:
        raise RuntimeError(f"search has no full-text index for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)
    apps.get_model("search", "Generation").objects.using(schema_editor.connection.alias).create(
        pk=1, number=0
    )


def drop(apps: Any, schema_editor: Any) -> None:
    table = "search_document" if schema_editor.connection.vendor == "postgresql" else "search_fts"
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_saved_searches"), ("stories", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
