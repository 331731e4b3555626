"""The query language on PostgreSQL gives what it gives on SQLite FTS5, and saved searches alert
through PostgreSQL's fan-out: the same script, run against both databases."""

import json
import os
from pathlib import Path

import pytest

from tidings.postgres_testing import Database, throwaway_postgres

QUERIES = [
    "offshore turbines",
    "turbine",
    '"wind farm"',
    '"farm wind"',
    "rail OR solar",
    "wind -turbines",
    "(trains OR panels) -Kisumu",
    "zurich",
    "Otieno",
    "topic:kestrel-energy",
    "topic:kenya -wind",
    "covid-19",
    "wind",
]

SCRIPT = f"""
import json, django; django.setup()
from accounts.actions import ensure_user
from alerts.actions import fan_out, follow_topic
from alerts.models import Alert, Event
from search import actions, index
from search.query import parse
from stories.actions import ensure_publisher, publish_story, save_story
from stories.models import Story
from topics.actions import attach_ranked_topics, ensure_topic

publisher = ensure_publisher("chronicle", name="Chronicle", copyright_holder="Chronicle")
kenya = ensure_topic("Kenya", "place")
kestrel = ensure_topic("Kestrel Energy", "organisation")
alice = ensure_user("alice", "x" * 20, email="alice@example.com")
actions.save_search(alice, "offshore wind -Uganda")
actions.save_search(alice, "turbines OR blades")
follow_topic(alice, kenya)

def story(slug, headline, body, topics, **fields):
    s = save_story(slug, headline=headline, body=body, publisher=publisher, **fields)
    attach_ranked_topics(s, [t.id for t in topics])
    publish_story(s)
    fan_out(Event.objects.filter(story=s).latest("id").id)
    return s

story("wind", "Kestrel Energy builds an offshore wind farm",
      "The turbines will stand off the coast.", [kestrel, kenya],
      standfirst="Forty turbines for the Kenyan coast.")
story("solar", "Solar panels for every school in Kisumu",
      "Wind was considered and dropped. Covid-19 delayed the work.", [kenya],
      byline="Peter Otieno")
story("rail", "Nairobi opens a commuter rail line",
      "Trains run every ten minutes to Zürich-style timetables.", [])
story("uganda", "Uganda studies offshore wind", "A survey of Lake Victoria.", [])

results = {{}}
for text in {QUERIES!r}:
    hits = index.find(parse(text), Story.objects.published(), limit=10)
    results[text] = [Story.objects.get(id=i).slug for i in hits.ids]
alerts = {{
    a.story.slug: sorted(str(r) for r in a.reason_list)
    for a in Alert.objects.filter(reader=alice)
}}
print(json.dumps({{"results": results, "alerts": alerts}}))
"""


def _sqlite(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'search.sqlite3'}"
    db = Database(
        url,
        {
            **os.environ,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "tidings.settings",
            "TASKS_BACKEND": "dummy",
        },
    )
    db.run("manage.py", "migrate", "--no-input", "-v0")
    return db


@pytest.mark.postgres
def test_postgres_finds_what_sqlite_finds_and_alerts_the_same(tmp_path: Path) -> None:
    with throwaway_postgres(tmp_path, TASKS_BACKEND="dummy") as db:
        on_postgres = json.loads(db.run("-c", SCRIPT).splitlines()[-1])
        assert db.scalar("SELECT count(*) FROM search_document") == 4
    on_sqlite = json.loads(_sqlite(tmp_path).run("-c", SCRIPT).splitlines()[-1])
    assert on_postgres == on_sqlite
    results = on_postgres["results"]
    assert results["offshore turbines"] == ["wind"]
    assert results['"farm wind"'] == []
    assert sorted(results["rail OR solar"]) == ["rail", "solar"]
    assert sorted(results["wind -turbines"]) == ["solar", "uganda"]
    assert results["(trains OR panels) -Kisumu"] == ["rail"]
    assert results["topic:kestrel-energy"] == ["wind"]
    assert results["topic:kenya -wind"] == []
    assert results["covid-19"] == ["solar"]
    assert results["wind"][0] in ("wind", "uganda"), "a headline word ranks first"
    assert on_postgres["alerts"] == {
        "wind": [
            "because you follow Kenya, which the story is about",
            "matches your search 'offshore wind -Uganda'",
            "matches your search 'turbines OR blades'",
        ],
        "solar": ["because you follow Kenya, the story's primary topic"],
    }
