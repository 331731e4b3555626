"""Run the benchmarks: `make bench`, or `python -m bench NAME...` for some of them.

Each benchmark prints its figure beside a baseline measured in the same run, so the ratio
holds on a noisy machine even when the absolute numbers move.
"""

import argparse
import importlib
import os
import sys
import tempfile

import django

BENCHMARKS = {
    "story_page": "Story page requests/s and p99 latency, against the trivial /healthz view",
    "extraction": "HTML extraction pages/s against bare trafilatura.extract; text parser pages/s",
    "alerts": "Fan-out readers/s against bulk_create; email deliveries/s against line speed",
    "tagging": "Tagging stories/s against bare spaCy NER nlp.pipe; and in two processes",
    "dedupe": "Edited copies caught as near-duplicates, and false alarms: old rule against new",
    "search": "One story against 100,000 saved searches: the percolator against each query in FTS5",
    "latency": "Publish → first in-app alert and first email, p50/p90, worker idle and under "
    "10 publishes/s, against the worker's polling floor (a no-op task)",
    "fanout_pg": "Fan-out readers/s on PostgreSQL against bulk_create, 100,000 followers",
    "celery_workers": "Fan-out alerts/s and emails/s with 1, 2 and 4 Celery workers on RabbitMQ "
    "against the embedded worker and the SMTP line speed (PostgreSQL)",
    "fanout_1m": "On demand only: fan-out to 100k, 300k and 1M followers on PostgreSQL, cost per "
    "follower",
}
# Named only: too long for every `make bench`.
ON_DEMAND = {"fanout_1m"}


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    default = [name for name in BENCHMARKS if name not in ON_DEMAND]
    parser.add_argument("names", nargs="*", help=f"default: all of {', '.join(default)}")
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    if {"alerts", "search", "latency"} & set(args.names or default):
        # Their readers, alerts and searches go to a throwaway database, never the site's own.
        folder = tempfile.mkdtemp(prefix="tidings-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    for name in args.names or default:
        print(f"== {name}: {BENCHMARKS[name]}", flush=True)
        if name != "story_page":
            django.setup()
        module = importlib.import_module(f"bench.{name}")
        module.run(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
