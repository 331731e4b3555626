"""The full-text index of published stories: SQLite FTS5 in the embedded mode, a PostgreSQL
`tsvector` with a GIN index on the scale-out path. Both hold our terms (search.text), so the
same query finds the same stories on either; queries reach them compiled, as one parameter.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from search.query import Document, Query, to_fts5, to_tsquery
from search.text import tag_term, terms
from stories.models import Story
from topics.models import StoryTopic

FTS_TABLE = "search_fts"
PG_TABLE = "search_document"
# bm25 weights per column (FTS5) and the weight class per field (PostgreSQL): a word in the
# headline says more than one in the body.
FIELDS = ("headline", "standfirst", "topics", "byline", "body")
FTS_WEIGHTS = (10.0, 4.0, 5.0, 2.0, 1.0, 0.0)  # the last is the tags column
PG_CLASSES = ("A", "B", "B", "C", "D")
# Between two fields of one tsvector, so no phrase runs from the headline into the standfirst.
_GAP = "zqz0"


@dataclass(frozen=True)
class Indexed:
    """What the index holds of one story: its terms per field and its topics' slugs."""

    fields: tuple[list[str], ...]
    tags: list[str]

    def document(self) -> Document:
        return Document.of(self.fields, self.tags)


def indexed(story: Story) -> Indexed:
    central = StoryTopic.objects.filter(
        story=story, role__in=[StoryTopic.Role.PRIMARY, StoryTopic.Role.ABOUT]
    ).select_related("topic")
    topics = [st.topic for st in central]
    texts = (
        story.headline,
        story.standfirst,
        " . ".join(t.name for t in topics),
        story.byline,
        "\n\n".join(story.paragraphs()),
    )
    return Indexed(tuple(terms(text) for text in texts), sorted({t.slug for t in topics}))


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def put(story: Story) -> None:
    """Index (or index again) one story."""
    entry = indexed(story)
    texts = [" ".join(field) for field in entry.fields]
    tags = " ".join(tag_term(slug) for slug in entry.tags)
    with connection.cursor() as cursor:
        if _postgres():
            vector = " || ".join(
                f"setweight(to_tsvector('simple', %s), '{weight}')" for weight in PG_CLASSES
            )
            cursor.execute(
                f"""INSERT INTO {PG_TABLE} (story_id, vector)
                    VALUES (%s, {vector} || to_tsvector('simple', %s))
                    ON CONFLICT (story_id) DO UPDATE SET vector = EXCLUDED.vector""",  # noqa: S608
                [story.pk, *(f"{text} {_GAP}" for text in texts), tags],
            )
        else:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [story.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FIELDS)}, tags) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [story.pk, *texts, tags],
            )


def drop(story_id: int) -> None:
    table, key = (PG_TABLE, "story_id") if _postgres() else (FTS_TABLE, "rowid")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", [story_id])  # noqa: S608


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PG_TABLE if _postgres() else FTS_TABLE}")  # noqa: S608


def count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {PG_TABLE if _postgres() else FTS_TABLE}")  # noqa: S608
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class Hits:
    total: int
    ids: list[int]


def find(
    query: Query, within: QuerySet[Story], *, limit: int, offset: int = 0, newest: bool = False
) -> Hits:
    """Stories of `within` matching the query, best first (or newest first), one page of ids."""
    inner, inner_params = within.values("id").query.sql_with_params()
    if _postgres():
        match = f"""FROM {PG_TABLE} d, to_tsquery('simple', %s) q
                    WHERE d.vector @@ q AND d.story_id IN ({inner})"""
        params = [to_tsquery(query.root), *inner_params]
        key, score = "d.story_id", "ts_rank_cd(d.vector, q, 1)"
        order = f"{score} DESC, {key} DESC"
    else:
        match = f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({inner})"
        params = [to_fts5(query.root), *inner_params]
        key = f"{FTS_TABLE}.rowid"  # qualified: the stories table has a rowid of its own
        weights = ", ".join(map(str, FTS_WEIGHTS))
        order = f"bm25({FTS_TABLE}, {weights}), {key} DESC"
    if newest:
        published = f"(SELECT published_at FROM {Story._meta.db_table} WHERE id = {key})"  # noqa: S608
        order = f"{published} DESC, {key} DESC"
    with connection.cursor() as cursor:
        # Only table names, column names and the inner query Django compiled are interpolated;
        # the reader's query is one parameter.
        cursor.execute(f"SELECT count(*) {match}", params)
        total = int(cursor.fetchone()[0])
        cursor.execute(
            f"SELECT {key} {match} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
    return Hits(total, ids)


def matches_story(query: Query, story_id: int) -> bool:
    """One query against one indexed story through the engine: the naive percolator, kept for
    the benchmark that the real one is measured against."""
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                f"SELECT 1 FROM {PG_TABLE} WHERE story_id = %s "  # noqa: S608
                "AND vector @@ to_tsquery('simple', %s)",
                [story_id, to_tsquery(query.root)],
            )
        else:
            cursor.execute(
                f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = %s",  # noqa: S608
                [to_fts5(query.root), story_id],
            )
        return cursor.fetchone() is not None
