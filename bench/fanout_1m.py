"""One story fanned out to 100k, 300k and 1M followers on PostgreSQL: does its cost grow linearly?

On demand only (`python -m bench fanout_1m`; `make bench` leaves it out): a few minutes. A
million readers, ten percent following instantly (an email delivery each), the rest in the
daily digest; three topics followed by the first 100k, 300k and all of them, so that each size
has the same mix and the same density of reader ids. Each size starts from empty alert tables,
just after a checkpoint.
The cost per follower at 1M over that at 100k is 1.0 when the fan-out is linear; the 1M run
prints its batches as it goes, and each tenth's rate shows whether later batches slow down.
"""

import time

from django.conf import settings
from django.db import connection

from accounts.models import User
from alerts.actions import fan_out
from alerts.models import Delivery, Event, Follow
from bench.fanout_pg import (
    batches_for,
    bulk_load,
    clear,
    count_batches,
    follow,
    load_readers,
    on_throwaway_postgres,
    story_about,
    vacuum,
    wal_position,
    wal_since,
)
from topics.actions import ensure_topic

SIZES = (100_000, 300_000, 1_000_000)
TOPICS = ("Kenya", "Ghana", "Nigeria")
INSTANT_EVERY = 10


def _fan_out(event: Event, readers: int, *, progress: bool) -> tuple[float, int]:
    """Seconds, and bytes of WAL written, for one fan-out from empty alert tables."""
    clear(event)
    position = wal_position()
    total = batches_for(readers)
    step = max(1, total // 10)
    start = last = time.perf_counter()
    last_readers = 0

    def report(done: int) -> None:
        nonlocal last, last_readers
        if progress and (done % step == 0 or done == total):
            now, upto = time.perf_counter(), min(done * settings.ALERTS_FANOUT_BATCH, readers)
            rate = (upto - last_readers) / (now - last)
            print(f"    {done:4d}/{total} batches  {now - start:6.1f} s  "
                  f"{rate:8.0f} readers/s in these", flush=True)  # fmt: skip
            last, last_readers = now, upto

    with connection.execute_wrapper(count_batches(report)):
        count = fan_out(event.id)
    report(total)
    elapsed, wal = time.perf_counter() - start, wal_since(position)
    assert count == readers, count
    deliveries = Delivery.objects.filter(alert__event=event).count()
    assert deliveries == readers // INSTANT_EVERY, deliveries
    return elapsed, wal


def measure(sizes: tuple[int, ...]) -> None:
    start = time.perf_counter()
    topics = [ensure_topic(name, "place") for name in TOPICS]
    with bulk_load(User, Follow):
        ids = load_readers(max(sizes))
        for topic, readers in zip(topics, sizes, strict=True):
            follow(topic, ids[:readers], instant_every=INSTANT_EVERY)
        loaded = time.perf_counter()
    indexed = time.perf_counter()
    events = {readers: story_about(topic) for topic, readers in zip(topics, sizes, strict=True)}
    vacuum()
    done = time.perf_counter()
    print(f"set up {max(sizes):,} readers and {sum(sizes):,} follows in {done - start:.1f} s: "
          f"rows {loaded - start:.1f} s, indexes and constraints {indexed - loaded:.1f} s, "
          f"stories and VACUUM ANALYZE {done - indexed:.1f} s", flush=True)  # fmt: skip

    # The smallest size again at the end: the machine's drift, and the best of two to compare.
    order = [*sizes, sizes[0]]
    times: dict[int, list[float]] = {n: [] for n in sizes}
    wal: dict[int, list[int]] = {n: [] for n in sizes}
    for readers in order:
        big = readers == max(sizes)
        print(f"  fanning out to {readers:,} followers…", flush=True)
        seconds, written = _fan_out(events[readers], readers, progress=big)
        times[readers].append(seconds)
        wal[readers].append(written)
        print(f"  {readers:>9,} followers: {seconds:7.2f} s  {readers / seconds:8.0f} readers/s",
              flush=True)  # fmt: skip
    print("followers   seconds   readers/s   µs per follower   WAL bytes per follower")
    for readers in sizes:
        best = min(times[readers])
        written = wal[readers][times[readers].index(best)]
        print(f"{readers:>9,}  {best:8.2f}  {readers / best:10.0f}  {best / readers * 1e6:16.1f}"
              f"  {written / readers:22.0f}")  # fmt: skip
    small, large = min(sizes), max(sizes)
    ratio = (min(times[large]) / large) / (min(times[small]) / small)
    print(f"cost per follower at {large:,} / at {small:,}: {ratio:.2f} (linear ⇒ 1.0)")
    print(f"setup and fan-outs: {time.perf_counter() - start:.0f} s", flush=True)


def run(quick: bool = False) -> None:
    sizes = tuple(n // 10 for n in SIZES) if quick else SIZES
    on_throwaway_postgres(f"from bench.fanout_1m import measure; measure({sizes!r})", timeout=1800)
