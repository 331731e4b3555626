import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Cadence, User
from search import index
from search.models import Generation, SavedSearch, SearchMatch
from search.percolator import matching_searches
from search.query import Query, QueryError, parse
from stories.models import Story
from tidings.db import lock_row
from tidings.progress import Progress

# Far more than a person keeps (the FT stops at five); only a script would reach it.
MAX_SAVED_SEARCHES = 200


def index_story(story: Story) -> None:
    """Keep the index in step with the story: published stories are found, others are not."""
    if story.status == Story.Status.PUBLISHED:
        index.put(story)
    else:
        index.drop(story.pk)


def reindex_stories(sender: object, story_ids: list[int], **kwargs: object) -> None:
    """Their topics changed (tagging, a merge, a rename): index them again."""
    for story in Story.objects.filter(id__in=story_ids):
        index_story(story)


def forget_deleted(sender: object, instance: SavedSearch, **kwargs: object) -> None:
    """However a saved search was deleted, the warm percolators must hear of it."""
    _bump()


def reindex(progress: Progress | None = None) -> int:
    """Build the index again from every published story."""
    stories = Story.objects.published().order_by("id")
    with transaction.atomic():
        index.clear()
        done = 0
        for story in stories.iterator(chunk_size=500):
            index.put(story)
            done += 1
            if progress is not None:
                progress.step()
    return done


def _bump() -> int:
    """A new generation for a change to saved searches; call inside its transaction. The row
    lock orders the changes, so versions are committed in the order they were handed out."""
    if not Generation.objects.filter(pk=1).update(number=F("number") + 1):
        # The migration makes the row; a database flushed since (tests do) gets it back here.
        Generation.objects.get_or_create(pk=1)
        Generation.objects.filter(pk=1).update(number=F("number") + 1)
    return Generation.objects.values_list("number", flat=True).get(pk=1)


def same_search(reader: User, query: Query) -> SavedSearch | None:
    """The reader's saved search that means the same ("Wind" and "winds" are "wind")."""
    for search in SavedSearch.objects.filter(reader=reader):
        try:
            if parse(search.query).root == query.root:
                return search
        except QueryError:
            continue
    return None


@transaction.atomic
def save_search(reader: User, text: str, **settings: object) -> SavedSearch:
    """Save a search as an alert (or update the settings of the same one). Raises QueryError
    for a query that is malformed or can never match, or past the reader's limit."""
    query = parse(text)
    lock_row(User, reader.pk)
    existing = same_search(reader, query)
    if existing is not None:
        return update_search(existing, **settings) if settings else existing
    if SavedSearch.objects.filter(reader=reader).count() >= MAX_SAVED_SEARCHES:
        raise QueryError(
            f"You have {MAX_SAVED_SEARCHES} saved searches, the most one reader may keep: "
            "delete one on My topics first."
        )
    fields = {"cadence": reader.default_cadence, **settings}
    return SavedSearch.objects.create(reader=reader, query=query.text, version=_bump(), **fields)


@transaction.atomic
def update_search(search: SavedSearch, **fields: object) -> SavedSearch:
    """Cadence, mute and snooze, as for a follow."""
    allowed = {"cadence", "muted", "snoozed_until"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not a saved search setting: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(search, name, value)
    search.version = _bump()
    search.save(update_fields=[*fields, "version"])
    return search


@transaction.atomic
def delete_search(reader: User, search_id: int) -> bool:
    """False when the reader has no such search (someone else's is as good as none)."""
    return SavedSearch.objects.filter(reader=reader, id=search_id).delete()[0] > 0


def snooze_until(days: int | None, now: dt.datetime | None = None) -> dt.datetime | None:
    return (now or timezone.now()) + dt.timedelta(days=days) if days else None


def record_matches(story: Story) -> int:
    """Percolate a story through every saved search; the fan-out reads the matches. Running it
    again adds nothing twice."""
    if story.status != Story.Status.PUBLISHED:
        return 0
    found = matching_searches(index.indexed(story).document())
    # A search this worker still knew may be gone (its reader deleted meanwhile).
    found = list(SavedSearch.objects.filter(id__in=found).values_list("id", flat=True))
    # A story edited since it last matched may match less now: an update is judged afresh.
    stale = SearchMatch.objects.filter(story=story).exclude(search_id__in=found)
    if not found and not stale.exists():
        return 0  # nothing to write, so no write lock (on SQLite, the whole site's) is taken
    with transaction.atomic():
        stale.delete()
        SearchMatch.objects.bulk_create(
            [SearchMatch(story=story, search_id=search_id) for search_id in found],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return len(found)


@transaction.atomic
def apply_to_searches(
    action: str, reader_id: int, search_ids: list[int], snooze: dt.timedelta
) -> int:
    """An alert's one-click link, for the saved searches it names: delete, digest or snooze."""
    searches = SavedSearch.objects.filter(reader_id=reader_id, id__in=search_ids)
    if not search_ids or not searches.exists():
        return 0
    version = _bump()
    if action == "unfollow":
        return searches.delete()[0]
    if action == "digest":
        return searches.update(cadence=Cadence.DAILY, version=version)
    return searches.update(snoozed_until=timezone.now() + snooze, version=version)
