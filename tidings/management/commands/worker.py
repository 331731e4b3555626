import logging
import random
import signal
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker

from alerts.actions import tick_schedules
from tidings import shutdown

log = logging.getLogger("tidings.worker")


class Worker(DatabaseWorker):
    """django-tasks-db's worker in batch mode, run in a loop that also ticks the Schedule table.

    The first SIGTERM/SIGINT lets the task in hand finish (long tasks see
    `shutdown.stop_requested()` and stop early, leaving unclaimed rows for the next run) and then
    exits 0; a second one interrupts the task and exits 1.
    """

    def __init__(self, *, tick_interval: float, **options: Any) -> None:
        super().__init__(batch=True, startup_delay=False, max_tasks=None, **options)
        self.tick_interval = tick_interval
        self.next_tick = 0.0
        self.forced = False

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            log.warning("%s again: interrupting the task in hand", signal.strsignal(signum))
            self.reset_signals()
            self.forced = True
            sys.exit(1)
        log.warning("%s: stopping after the task in hand", signal.strsignal(signum))
        self.running = False
        shutdown.request_stop()

    def loop(self) -> None:
        log.info("worker %s started: tasks and schedules", self.worker_id)
        # Workers started together (a deploy) would otherwise poll and tick in lockstep.
        shutdown.wait(random.random() * min(self.interval, 1.0))
        while self.running:
            if time.monotonic() >= self.next_tick:
                for name in tick_schedules():
                    log.info("schedule %s is due: enqueued", name)
                self.next_tick = time.monotonic() + self.tick_interval
            self.run()  # batch mode: every ready task, then back here
            close_old_connections()
            if self.running:
                shutdown.wait(min(self.interval, max(self.next_tick - time.monotonic(), 0)))
        log.info("worker %s stopped", self.worker_id)
        if self.forced:  # the interrupted task was recorded as failed; its rows are re-driven
            sys.exit(1)


def positive(value: str) -> float:
    number = float(value)
    if not 0 < number < 86400:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run background work for the embedded mode: the database task worker and the Schedule "
        "table (sweeper, digests, feed polling, scheduled stories) in one process. Any number may "
        "run at once; SIGTERM or Ctrl-C stops it cleanly."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=positive,
            # One indexed query per look; at 1 s the wait dominated publish → first alert.
            default=0.2,
            help="seconds between looks for new tasks",
        )
        parser.add_argument(
            "--tick-interval", type=positive, default=15.0, help="seconds between schedule ticks"
        )
        parser.add_argument("--queue-name", default="default", help="queues, comma-separated")
        parser.add_argument("--backend", default="default", dest="backend_name")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_tasks import task_backends

        backend_name = options["backend_name"]
        if not isinstance(task_backends[backend_name], DatabaseBackend):
            raise CommandError(
                f"manage.py worker runs the database task backend; TASKS_BACKEND names "
                f"{type(task_backends[backend_name]).__name__} (set TASKS_BACKEND=database)"
            )
        # One line per batch ("no more tasks") would drown the tasks' own log lines.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker = Worker(
            tick_interval=options["tick_interval"],
            interval=options["interval"],
            queue_names=options["queue_name"].split(","),
            backend_name=backend_name,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.loop()
