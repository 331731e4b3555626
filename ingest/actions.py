import datetime as dt
import hashlib
import logging
import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from datasketch import MinHash
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from ingest.dedupe import DuplicateIndex, Match, Prints, from_bytes, to_bytes
from ingest.feeds import FeedError, parse_feed
from ingest.fetch import FetchError, fetch
from ingest.models import Fingerprint, IngestedItem, Source
from ingest.photos import PhotoError, download_photo
from ingest.pipeline import IngestError, parse_entry
from ingest.textparse import ParsedStory
from stories.actions import ensure_publisher, publish_story, save_image, save_story, unique_slug
from stories.models import Publisher, Story

log = logging.getLogger(__name__)

# Agencies re-send and sites re-publish a story within days; comparing each new story with the
# whole archive would cost memory for nothing, so near-duplicates are looked for in this window.
# Exact matches (URL, content hash) are looked up in the database over all time.
NEAR_DUPLICATE_WINDOW = dt.timedelta(days=30)
MAX_BACKOFF = dt.timedelta(days=1)
# A poll in progress holds its source this long; a crashed poller's claim then simply expires.
POLL_LEASE = dt.timedelta(minutes=10)


def publisher_for(parsed: ParsedStory) -> Publisher:
    name = parsed.site_name or parsed.copyright_holder or "Ingested stories"
    return ensure_publisher(
        slugify(name)[:200] or "ingested",
        name=name,
        copyright_holder=parsed.copyright_holder or name,
    )


def published_time(parsed: ParsedStory, now: dt.datetime) -> dt.datetime | None:
    """The source's publication time (ISO 8601 or RFC 2822), never later than now; None when
    it is missing or unreadable, with a warning for the latter."""
    raw = (parsed.published_at or "").strip()
    if not raw:
        return None
    when: dt.datetime | None
    try:
        when = parse_datetime(raw)
    except ValueError:
        when = None
    if when is None:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed.warnings.append(
                f"publication time {raw[:60]!r} not understood: ingest time used"
            )
            return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    return min(when, now)  # a clock ahead of ours, or an embargo, does not schedule the story


def lead_photo(parsed: ParsedStory) -> bytes | None:
    """The lead photo's checked bytes, downloaded before any transaction opens; None (with a
    warning) when there is none or it cannot be used."""
    url = parsed.image.url
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        # A page read from a file has no address to resolve "/photo.jpg" against.
        parsed.warnings.append(f"photo left out: {url!r} is not an absolute URL")
        return None
    try:
        return download_photo(url)
    except PhotoError as exc:
        parsed.warnings.append(f"photo left out: {exc}")
        return None


@transaction.atomic
def save_ingested_story(
    parsed: ParsedStory,
    *,
    publish: bool = False,
    publisher: Publisher | None = None,
    photo: bytes | None = None,
) -> Story:
    """Create the story an editor would have typed: a draft, or published with `publish`.

    `photo` is the lead photo's bytes from `lead_photo` (stored in MEDIA_ROOT, never linked).
    All or nothing: a failure part-way leaves no story, image or publisher behind.
    """
    headline = parsed.headline or parsed.body[0][:120]
    slug = unique_slug(headline)
    image = None
    if photo is not None:
        image = save_image(
            content=photo,
            filename=f"{slug[:80]}.jpg",
            alt_text=(parsed.image.alt_text or parsed.image.display_caption or headline)[:300],
            display_caption=parsed.image.display_caption or "",
            caption=parsed.image.caption or "",
            photographer=parsed.image.photographer or "",
            agency=parsed.image.agency or "",
        )
    story = save_story(
        slug,
        publisher=publisher or publisher_for(parsed),
        headline=headline,
        standfirst=parsed.standfirst or "",
        byline=(parsed.byline or "")[:200],
        body="\n\n".join(parsed.body),
        lead_image=image,
        comments_enabled=parsed.comments_enabled is not False,
        copyright_holder=parsed.copyright_holder or "",
        copyright_year=parsed.copyright_year,
        topic_hint=(parsed.alert_topic_hint or "")[:200],
        topic_hints=[name[:200] for name in parsed.topic_hints[:20]],
        published_at=published_time(parsed, timezone.now()),
    )
    if publish:
        publish_story(story)
    return story


def prints_of(parsed: ParsedStory) -> Prints:
    return Prints(f"{parsed.headline or ''}\n" + "\n".join(parsed.body))


class Deduper:
    """Finds what a new story repeats: stored stories (exact over the archive, near within
    NEAR_DUPLICATE_WINDOW) and the inputs seen earlier in this run. With `persist`, the
    fingerprints it computes are stored for next time."""

    def __init__(self, *, persist: bool) -> None:
        self.persist = persist
        self.index = DuplicateIndex(texts=self._text_of)
        self.story_ids: dict[str, int] = {}
        recent = Fingerprint.objects.filter(
            story__created_at__gte=timezone.now() - NEAR_DUPLICATE_WINDOW
        ).values_list(
            "story_id", "story__slug", "signature", "content_hash", "canonical_url", "shingles"
        )
        for story_id, slug, signature, digest, url, size in recent.iterator():
            self._add_stored(story_id, slug, from_bytes(bytes(signature)), digest, url, size)
        # Stories written in the newsroom have no fingerprint until ingest first meets them.
        unprinted = Story.objects.filter(fingerprint__isnull=True)
        for story_id, slug, headline, body in unprinted.values_list(
            "id", "slug", "headline", "body"
        ).iterator():
            prints = Prints(f"{headline}\n{body}")
            self._add_stored(story_id, slug, prints.signature, prints.digest, "", prints.size)
            if persist:
                Fingerprint.objects.get_or_create(
                    story_id=story_id,
                    defaults={
                        "content_hash": prints.digest,
                        "signature": to_bytes(prints.signature),
                        "shingles": prints.size,
                    },
                )

    def _text_of(self, key: str) -> str | None:
        """A stored story's text, for measuring a likely match exactly (asked rarely: LSH
        candidates only)."""
        story_id = self.story_ids.get(key)
        if story_id is None:
            return None
        row = Story.objects.filter(id=story_id).values_list("headline", "body").first()
        return f"{row[0]}\n{row[1]}" if row else None

    def _add_stored(
        self, story_id: int, slug: str, signature: MinHash, digest: str, url: str, size: int = 0
    ) -> None:
        key = f"story:{slug}"
        self.story_ids[key] = story_id
        self.index.add_signature(key, signature, digest, urls=(url or None,), size=size)

    def find(self, parsed: ParsedStory, prints: Prints) -> Match | None:
        match = self.index.find(prints, urls=(parsed.canonical_url,))
        if match is not None:
            return match
        exact = Q(content_hash=prints.digest)
        if parsed.canonical_url:
            exact |= Q(canonical_url=parsed.canonical_url)
        stored = Fingerprint.objects.filter(exact).values_list("story_id", "story__slug").first()
        if stored is None:
            return None
        key = f"story:{stored[1]}"
        self.story_ids[key] = stored[0]
        return Match(key, 1.0, exact=True)

    def remember(
        self,
        label: str,
        parsed: ParsedStory,
        prints: Prints,
        story: Story | None = None,
        *,
        duplicate_of: str | None = None,
    ) -> None:
        """Keep this input for the ones after it; a duplicate stands for the story it repeats,
        so that a copy of it is reported as a copy of the original."""
        url = parsed.canonical_url
        if story is None:
            self.index.add(label, prints, urls=(url,), original=duplicate_of)
            return
        self._add_stored(
            story.id, story.slug, prints.signature, prints.digest, url or "", prints.size
        )
        if self.persist:
            Fingerprint.objects.update_or_create(
                story=story,
                defaults={
                    "content_hash": prints.digest,
                    "canonical_url": url or "",
                    "signature": to_bytes(prints.signature),
                    "shingles": prints.size,
                },
            )


@dataclass
class Outcome:
    story: Story | None = None
    duplicate: Match | None = None


def item_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ingest_story(
    parsed: ParsedStory,
    deduper: Deduper,
    *,
    label: str,
    source: Source | None = None,
    publish: bool = False,
) -> Outcome:
    """Dedupe one parsed story, then save it (or, for a repeat, link it to the story it repeats).

    Without `deduper.persist` nothing is written: it reports what would happen.
    """
    prints = prints_of(parsed)  # hashed once, for the lookup and for the record
    match = deduper.find(parsed, prints)
    if not deduper.persist:
        deduper.remember(label, parsed, prints, duplicate_of=match.key if match else None)
        return Outcome(duplicate=match)
    key = item_key(parsed.guid or parsed.canonical_url or label)
    # Downloaded first: a slow photo server must not hold the database's write lock.
    photo = lead_photo(parsed) if match is None else None
    with transaction.atomic():
        story = None
        if match is None:
            publisher = source.publisher if source else None
            story = save_ingested_story(parsed, publish=publish, publisher=publisher, photo=photo)
        IngestedItem.objects.create(
            source=source,
            key=key,
            guid=parsed.guid or "",
            url=parsed.canonical_url or "",
            story=story,
            duplicate_of_id=deduper.story_ids.get(match.key) if match else None,
            similarity=match.similarity if match else None,
        )
        deduper.remember(label, parsed, prints, story, duplicate_of=match.key if match else None)
    return Outcome(story=story, duplicate=match)


@dataclass
class PollResult:
    source: str
    status: str  # "polled", "not-modified", "failed" or "not-due"
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seen: int = 0

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def add_source(url: str, **fields: object) -> Source:
    source, _ = Source.objects.update_or_create(url=url, defaults=fields)
    return source


def poll_source(source_id: int, *, force: bool = False) -> PollResult:
    """Fetch one feed (conditionally) and ingest its new entries.

    The source is claimed by moving `next_poll_at` forward with a conditional update, so two
    pollers never read the same feed at once; `force` ignores the time but not the claim.
    """
    now = timezone.now()
    due = Q(id=source_id, paused=False)
    if not force:
        due &= Q(next_poll_at__lte=now)
    source = Source.objects.filter(due).first()
    if source is None or not Source.objects.filter(
        id=source_id, next_poll_at=source.next_poll_at
    ).update(next_poll_at=now + POLL_LEASE):
        return PollResult(source=str(source_id), status="not-due")
    result = PollResult(source=source.url, status="polled")
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        page = fetch(source.url, kind="feed", headers=headers)
        if page.status == 304:
            result.status = "not-modified"
        else:
            _ingest_feed(source, page.content, result)
            source.etag = page.etag or ""
            source.last_modified = page.last_modified or ""
    except Exception as exc:
        message = str(exc)
        if not isinstance(exc, FetchError | FeedError | IngestError):
            log.exception("feed %s: unexpected error", source.url)
            message = f"unexpected error ({type(exc).__name__}): {exc}"
        result.status = "failed"
        result.errors.append(message)
        _schedule_next(source, failed=message)
        log.warning("feed %s not polled: %s", source.url, message)
        return result
    _schedule_next(source)
    return result


def _ingest_feed(source: Source, data: bytes, result: PollResult) -> None:
    feed = parse_feed(data)
    if not source.title and feed.title:
        source.title = feed.title[:300]
    seen = set(
        source.items.filter(
            key__in=[item_key(e.guid or e.link or "") for e in feed.entries]
        ).values_list("key", flat=True)
    )
    deduper: Deduper | None = None
    limit = settings.FEED_MAX_ENTRIES
    if len(feed.entries) > limit:
        result.errors.append(f"the feed has {len(feed.entries)} entries; the first {limit} read")
    for entry in feed.entries[:limit]:
        if item_key(entry.guid or entry.link or "") in seen:
            result.seen += 1
            continue
        deduper = deduper or Deduper(persist=True)
        label = entry.guid or entry.link or source.url
        try:
            parsed = parse_entry(entry, feed, fetch_page=fetch_page)
            outcome = ingest_story(
                parsed.story, deduper, label=label, source=source, publish=source.publish
            )
        except IngestError as exc:
            result.errors.append(f"{label}: {exc}")
            continue
        if outcome.story is not None:
            result.created.append(outcome.story.slug)
        elif outcome.duplicate is not None:
            result.duplicates.append(outcome.duplicate.key)


def fetch_page(url: str) -> bytes:
    try:
        return fetch(url, kind="html").content
    except FetchError as exc:
        raise IngestError(f"not fetched: {exc}") from None


def _schedule_next(source: Source, *, failed: str | None = None) -> None:
    now = timezone.now()
    if failed is None:
        source.failures, source.last_error = 0, ""
        wait = source.poll_every
    else:
        source.failures += 1
        source.last_error = failed
        wait = min(source.poll_every * 2**source.failures, MAX_BACKOFF)
    # Jitter spreads sources added together so they do not all poll in the same minute forever.
    source.next_poll_at = now + wait * random.uniform(0.9, 1.1)
    source.last_polled_at = now
    source.save(
        update_fields=[
            "title",
            "etag",
            "last_modified",
            "failures",
            "last_error",
            "next_poll_at",
            "last_polled_at",
        ]
    )


def due_source_ids() -> list[int]:
    due = Source.objects.filter(paused=False, next_poll_at__lte=timezone.now())
    return list(due.values_list("id", flat=True))
