import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from stories.models import Story
from topics.models import Quote as StoredQuote
from topics.models import StoryTopic, Topic
from topics.signals import stories_retopiced
from topics.tagging import Article, Candidate, Entry, Tagger
from topics.tagging.model import load_model
from topics.tagging.pipeline import NAMED_KINDS
from topics.tagging.quotes import Quote
from topics.tagging.salience import Salience
from topics.tagging.text import kind_from_words

log = logging.getLogger(__name__)


@transaction.atomic
def sync_primary_topic(story: Story) -> None:
    """Make the story's primary topic, if any, its only StoryTopic in the primary role.

    The editor's choice always wins: any other row marked primary is demoted to "about".
    """
    if story.primary_topic_id is None:
        return
    rows = StoryTopic.objects.filter(story=story, role=StoryTopic.Role.PRIMARY)
    rows.exclude(topic_id=story.primary_topic_id).update(role=StoryTopic.Role.ABOUT)
    StoryTopic.objects.update_or_create(
        story=story,
        topic_id=story.primary_topic_id,
        defaults={
            "role": StoryTopic.Role.PRIMARY,
            "salience": 1.0,
            "origin": StoryTopic.Origin.EDITOR,
        },
    )


@transaction.atomic
def attach_topic(
    story: Story,
    topic_id: int,
    *,
    role: str = StoryTopic.Role.ABOUT,
    salience: float = 0.5,
    origin: str = StoryTopic.Origin.EDITOR,
) -> StoryTopic:
    story_topic, _ = StoryTopic.objects.update_or_create(
        story=story,
        topic_id=topic_id,
        defaults={"role": role, "salience": salience, "origin": origin},
    )
    stories_retopiced.send(sender=Story, story_ids=[story.pk])
    return story_topic


@transaction.atomic
def attach_ranked_topics(story: Story, topic_ids: list[int]) -> None:
    """Attach topics in the editor's order: the first is primary, salience falls with rank."""
    for rank, topic_id in enumerate(topic_ids):
        role = StoryTopic.Role.PRIMARY if rank == 0 else StoryTopic.Role.ABOUT
        attach_topic(story, topic_id, role=role, salience=1.0 - rank / 10)


def ensure_topic(name: str, kind: str, *, aliases: list[str] | None = None, **extra: str) -> Topic:
    """The live topic with this slug, created (reviewed, as an editor's) if missing."""
    topic, created = Topic.objects.get_or_create(
        slug=slugify(name),
        defaults={"name": name, "kind": kind, "aliases": aliases or [], "reviewed": True, **extra},
    )
    if not created and topic.merged_into_id is not None:
        survivor = topic.merged_into
        assert survivor is not None
        return survivor
    return topic


# --- tagging -------------------------------------------------------------------------------

_tagger: tuple[tuple[object, ...], Tagger] | None = None
_ROLE_RANK: dict[str, int] = {
    StoryTopic.Role.PRIMARY: 0,
    StoryTopic.Role.ABOUT: 1,
    StoryTopic.Role.MENTION: 2,
}


def registry_entries() -> list[Entry]:
    topics = Topic.objects.live().values_list("slug", "name", "kind", "aliases", "reviewed")
    return [
        Entry(slug, name, kind, tuple(aliases), reviewed)
        for slug, name, kind, aliases, reviewed in topics
    ]


def rejected_names() -> set[str]:
    """The names and aliases of topics editors rejected: never proposed again."""
    rows = Topic.objects.filter(rejected=True).values_list("name", "aliases")
    return {name for row_name, aliases in rows for name in (row_name, *aliases)}


@transaction.atomic
def reject_topics(topics: "QuerySet[Topic]") -> int:
    """An editor's "not a topic": the tagger's rows for it go, and it is never proposed again.
    Rows an editor pinned stay: rejecting is about the tagger's proposals."""
    ids = list(topics.values_list("id", flat=True))
    rows = StoryTopic.objects.filter(topic_id__in=ids, origin=StoryTopic.Origin.TAGGER)
    story_ids = list(rows.values_list("story_id", flat=True).distinct())
    rows.delete()
    stories_retopiced.send(sender=Topic, story_ids=story_ids)
    return Topic.objects.filter(id__in=ids).update(rejected=True, reviewed=True)


def current_tagger() -> Tagger:
    """This process's tagger, rebuilt when any topic was added, changed or removed."""
    global _tagger
    stamp = tuple(Topic.objects.aggregate(n=Count("id"), at=Max("updated_at")).values())
    if _tagger is None or _tagger[0] != stamp:
        nlp = load_model(settings.TAGGING_MODEL)
        tagger = Tagger(
            registry_entries(), nlp, batch_size=settings.TAGGING_BATCH, rejected=rejected_names(),
            salience=Salience.load(),
        )  # fmt: skip
        _tagger = (stamp, tagger)
    return _tagger[1]


def article_of(story: Story) -> Article:
    image = story.lead_image
    credits = [story.byline, *((image.photographer, image.agency) if image else ())]
    return Article(
        headline=story.headline,
        standfirst=story.standfirst,
        body=story.paragraphs(),
        credits=[c for c in credits if c],
        publisher=story.publisher.name,
        primary_hint=story.topic_hint or None,
        topic_hints=story.topic_hints or (),
    )


def topic_slug(candidate: Candidate) -> str:
    return candidate.key or slugify(candidate.name)[:200]


def describe_tags(candidates: list[Candidate]) -> list[dict[str, object]]:
    return [{"slug": topic_slug(c), **c.as_dict()} for c in candidates]


def describe_quotes(candidates: list[Candidate], quotes: list[Quote]) -> list[dict[str, object]]:
    """Quotes as the API and `ingest --json` show them; `speaker_topic` is the speaker's slug
    when the speaker is one of the story's topics."""
    slugs = {c.name: topic_slug(c) for c in candidates if c.kind in ("person", "organisation")}
    return [
        {
            "text": q.text,
            "speaker": q.speaker,
            "speaker_topic": slugs.get(q.speaker or ""),
            "role": q.role,
            "partial": q.partial,
        }
        for q in quotes
    ]


def preview_tags(article: Article) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """What tagging would attach (topics, quotes), as data, writing nothing (ingest --dry-run)."""
    candidates, quotes = current_tagger().tag_with_quotes([article])[0]
    return describe_tags(candidates), describe_quotes(candidates, quotes)


# What the tagger makes of a story: its candidate topics and its quotes.
Reading = tuple[list[Candidate], list[Quote]]


def read_story(story: Story) -> Reading:
    """The tagger's reading of one story: the model's work, with no writes, so that a caller
    can do it before its transaction (on SQLite a transaction holds the one write lock from
    its first statement, and the model is most of a publish's time)."""
    return current_tagger().tag_with_quotes([article_of(story)])[0]


def tag_story(story: Story, reading: Reading | None = None) -> None:
    """Tag one story (on publish, or when an editor asks): the tagger's rows are replaced,
    the editor's are kept, and the editor's primary topic stays primary. `reading`: what
    read_story gave for the story as it is now, when the caller has it already."""
    story.tag_candidates, story.tag_quotes = reading or read_story(story)
    apply_tags(story, story.tag_candidates, story.tag_quotes)


def tag_stories(stories: list[Story]) -> None:
    """Tag many stories with one pass of the model; each is written in its own transaction."""
    tagger = current_tagger()
    for story, (candidates, quotes) in zip(
        stories, tagger.tag_with_quotes([article_of(s) for s in stories]), strict=True
    ):
        apply_tags(story, candidates, quotes)


@transaction.atomic
def apply_tags(
    story: Story, candidates: list[Candidate], quotes: list[Quote] | None = None
) -> None:
    rows = {row.topic_id: row for row in StoryTopic.objects.filter(story=story)}
    pinned = {tid for tid, row in rows.items() if row.origin == StoryTopic.Origin.EDITOR}
    # Read afresh: the caller's copy may predate a merge or a deleted topic.
    chosen = Story.objects.filter(pk=story.pk).values_list("primary_topic_id", flat=True)[0]
    story.primary_topic_id = chosen
    # A primary topic with no tagger row behind it was chosen by an editor (or a test, or an
    # import) and stays primary.
    editor_primary = (
        chosen if chosen in pinned or (chosen is not None and chosen not in rows) else None
    )
    StoryTopic.objects.filter(story=story, origin=StoryTopic.Origin.TAGGER).delete()
    topics = _topics_for(candidates)
    new: dict[int, StoryTopic] = {}
    by_name: dict[str, Topic | None] = {}  # each speaker's topic, for the quotes
    for candidate in candidates:
        topic = by_name[candidate.name] = topics.get(topic_slug(candidate))
        if topic is None or topic.id in pinned or topic.id == editor_primary:
            continue
        role = candidate.role
        if role == StoryTopic.Role.PRIMARY and editor_primary is not None:
            role = StoryTopic.Role.ABOUT
        row = new.get(topic.id)
        if row is None or _ROLE_RANK[role] < _ROLE_RANK[row.role]:
            new[topic.id] = StoryTopic(
                story=story,
                topic=topic,
                role=role,
                salience=candidate.salience,
                origin=StoryTopic.Origin.TAGGER,
                evidence=candidate.evidence(),
                quoted=bool(candidate.quoted) or (row is not None and row.quoted),
            )
        elif candidate.quoted:
            row.quoted = True
    StoryTopic.objects.bulk_create(new.values())
    _weigh_kinds([row.topic for row in new.values() if not row.topic.reviewed])
    if quotes is not None:
        _save_quotes(story, quotes, by_name)
    tagger_primary = next(
        (tid for tid, row in new.items() if row.role == StoryTopic.Role.PRIMARY), None
    )
    primary = editor_primary or tagger_primary
    if primary != story.primary_topic_id:
        story.primary_topic_id = primary
        story.save(update_fields=["primary_topic", "updated_at"])
    if editor_primary is not None:
        sync_primary_topic(story)
    stories_retopiced.send(sender=Story, story_ids=[story.pk])


# How many of an unreviewed topic's latest stories decide its kind.
KIND_EVIDENCE_STORIES = 200


def _weigh_kinds(topics: list[Topic]) -> None:
    """An unreviewed topic's kind is what the evidence of its latest stories says, taken
    together (each story's votes: the model's labels and the words around the mentions), not
    what its first story guessed. Reviewed topics are final: the editor's kind wins. A kind
    that changes rebuilds every process's tagger (the registry's stamp moves)."""
    for topic in topics:
        if topic.kind not in NAMED_KINDS or kind_from_words(topic.name):
            continue
        tally: dict[str, float] = {topic.kind: 0.0}  # a tie keeps the kind it has
        rows = StoryTopic.objects.filter(topic=topic, origin=StoryTopic.Origin.TAGGER)
        for evidence in rows.order_by("-id").values_list("evidence", flat=True)[
            :KIND_EVIDENCE_STORIES
        ]:
            votes = evidence.get("kind_votes") if isinstance(evidence, dict) else None
            for kind, vote in (votes if isinstance(votes, dict) else {}).items():
                if kind in NAMED_KINDS and isinstance(vote, int | float):
                    tally[kind] = tally.get(kind, 0.0) + float(vote)
        best = max(tally, key=lambda kind: tally[kind])
        if best != topic.kind:
            log.info(
                "topic %s: kind %s → %s on its stories' evidence", topic.slug, topic.kind, best
            )
            Topic.objects.filter(pk=topic.pk, reviewed=False).update(
                kind=best, updated_at=timezone.now()
            )
            topic.kind = best


def _save_quotes(story: Story, quotes: list[Quote], topics: dict[str, Topic | None]) -> None:
    StoredQuote.objects.filter(story=story).delete()
    StoredQuote.objects.bulk_create(
        StoredQuote(
            story=story,
            position=number,
            text=q.text[:20_000],
            partial=q.partial,
            speaker_name=(q.speaker or "")[:200],
            speaker_topic=topics.get(q.speaker or ""),
            role=(q.role or "")[:300],
            pattern=q.pattern[:40],
        )
        for number, q in enumerate(quotes)
    )


def _topics_for(candidates: list[Candidate]) -> dict[str, Topic]:
    """Slug → live topic, in one query: the registry's, or a new unreviewed one for a name the
    story is about. A name only mentioned in passing does not earn a topic."""
    slugs = {topic_slug(c) for c in candidates} - {""}
    found = {t.slug: t for t in Topic.objects.filter(slug__in=slugs).select_related("merged_into")}
    for candidate in candidates:
        slug = topic_slug(candidate)
        new = candidate.key is None and candidate.role != StoryTopic.Role.MENTION
        if slug and slug not in found and new:
            found[slug] = Topic.objects.create(
                name=candidate.name[:200], slug=slug, kind=candidate.kind, reviewed=False
            )
    return {slug: topic.merged_into or topic for slug, topic in found.items()}


# --- curation ------------------------------------------------------------------------------


@transaction.atomic
def merge_topics(loser: Topic, survivor: Topic) -> Topic:
    """Fold `loser` into `survivor`: its stories, followers and names move over, and its URL
    redirects. A reader who followed both keeps the survivor's follow as it was."""
    if loser.pk == survivor.pk or survivor.merged_into_id is not None:
        raise ValueError("merge into a different topic that has not itself been merged")
    on_survivor = {row.story_id: row for row in survivor.story_topics.all()}
    moved = list(loser.story_topics.values_list("story_id", flat=True))
    for row in loser.story_topics.all():
        kept = on_survivor.get(row.story_id)
        if kept is None:
            row.topic = survivor
            row.save(update_fields=["topic"])
            continue
        if _ROLE_RANK[row.role] < _ROLE_RANK[kept.role] or row.salience > kept.salience:
            kept.role = min(row.role, kept.role, key=lambda r: _ROLE_RANK[r])
            kept.salience = max(row.salience, kept.salience)
            kept.save(update_fields=["role", "salience"])
        row.delete()
    both = survivor.follows.values("reader_id")
    loser.follows.exclude(reader_id__in=both).update(topic=survivor)
    loser.follows.all().delete()
    Story.objects.filter(primary_topic=loser).update(primary_topic=survivor)
    Topic.objects.filter(merged_into=loser).update(merged_into=survivor, updated_at=timezone.now())
    names = [loser.name, *loser.aliases]
    merged = dict.fromkeys([*survivor.aliases, *names])
    survivor.aliases = [name for name in merged if name != survivor.name]
    survivor.save(update_fields=["aliases", "updated_at"])
    loser.merged_into = survivor
    loser.save(update_fields=["merged_into", "updated_at"])
    stories_retopiced.send(sender=Topic, story_ids=moved)
    return survivor


@transaction.atomic
def pin_topic(story: Story, topic: Topic, *, role: str = StoryTopic.Role.ABOUT) -> StoryTopic:
    """An editor's tag: kept through every re-tagging until unpinned."""
    if role == StoryTopic.Role.PRIMARY:
        story.primary_topic = topic
        story.save(update_fields=["primary_topic", "updated_at"])
        sync_primary_topic(story)
        return StoryTopic.objects.get(story=story, topic=topic)
    return attach_topic(story, topic.id, role=role, salience=1.0)


@transaction.atomic
def unpin_topic(story: Story, topic: Topic) -> None:
    """Hand the topic back to the tagger: the next tagging keeps it only if the text does."""
    StoryTopic.objects.filter(story=story, topic=topic).update(origin=StoryTopic.Origin.TAGGER)
    tag_story(story)
