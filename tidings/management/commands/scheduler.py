import logging
import random
import signal
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from alerts.actions import tick_schedules
from tidings import shutdown

log = logging.getLogger("tidings.scheduler")


class Command(BaseCommand):
    help = (
        "Tick the Schedule table (sweeper, digests, feed polling, scheduled stories) and enqueue "
        "what is due, for the scale-out mode where Celery workers run the tasks. Any number may "
        "run at once, on any machines: each slot is claimed by one conditional update. SIGTERM "
        "or Ctrl-C stops it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tick-interval", type=float, default=15.0, help="seconds between schedule ticks"
        )
        parser.add_argument("--once", action="store_true", help="tick once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            log.warning("%s: stopping", signal.strsignal(signum))
            shutdown.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        interval = max(0.1, min(options["tick_interval"], 3600.0))
        log.info("scheduler started")
        # Schedulers started together (a deploy) would otherwise tick in lockstep.
        if not options["once"]:
            shutdown.wait(random.random() * interval)
        while not shutdown.stop_requested():
            try:
                for name in tick_schedules():
                    log.info("schedule %s is due: enqueued", name)
            except DatabaseError:
                # The database is away (a failover, a restart): the next tick tries again.
                log.exception("the schedule could not be read; trying again next tick")
            close_old_connections()
            if options["once"] or shutdown.wait(interval):
                break
        log.info("scheduler stopped")
