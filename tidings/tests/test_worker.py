"""`manage.py worker` as an operator runs it: real processes on a SQLite file, and signals."""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import SimpleTestCase

from alerts.actions import deliver_due, fan_out, follow_topic
from alerts.models import Delivery, Event
from tidings import shutdown
from tidings.test import BaseTestCase

SCHEDULE_STORY = """
import datetime as dt
from django.utils import timezone
from stories.actions import ensure_publisher, publish_story, save_story
publisher = ensure_publisher("p", name="The Paper", copyright_holder="Paper Ltd")
story = save_story("soon", publisher=publisher, headline="Ferry timetable changes", body="Text.")
publish_story(story, at=timezone.now() + dt.timedelta(seconds=2))
"""


def wait_for(check: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


class WorkerProcessTests(SimpleTestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tidings-worker-"))
        self.db = self.dir / "tidings.sqlite3"
        self.env = {
            **os.environ,
            "TIDINGS_VAR_DIR": str(self.dir),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "TASKS_BACKEND": "database",
            "DEBUG": "true",
        }
        self.manage("migrate", "--no-input", "-v0")
        self.manage("shell", "-c", SCHEDULE_STORY)

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            check=True,
            timeout=120,
            capture_output=True,
        )

    def start_worker(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2", "--tick-interval", "0.5"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(sql).fetchall()

    def test_three_workers_run_each_schedule_once_publish_on_time_and_stop_on_a_signal(
        self,
    ) -> None:
        workers = [self.start_worker() for _ in range(3)]
        problem = None
        try:
            wait_for(
                lambda: self.query("SELECT status FROM stories_story") == [("published",)],
                90,
                "the scheduled story to be published",
            )
            wait_for(
                lambda: (
                    not self.query(
                        "SELECT 1 FROM alerts_schedule WHERE enabled AND last_run_at IS NULL"
                    )
                ),
                30,
                "every schedule to be ticked",
            )
            # What those runs enqueued (the story's fan-out, deliveries) is done too.
            wait_for(
                lambda: (
                    not self.query(
                        "SELECT 1 FROM django_tasks_database_dbtaskresult "
                        "WHERE status != 'SUCCESSFUL'"
                    )
                ),
                30,
                "the queue to drain",
            )
        except AssertionError as exc:
            problem = exc
        finally:
            for number, worker in enumerate(workers):
                worker.send_signal(signal.SIGINT if number == 0 else signal.SIGTERM)
            outputs = [worker.communicate(timeout=30)[0] for worker in workers]
        if problem is not None:
            raise AssertionError(f"{problem}; the workers said:\n" + "\n".join(outputs))
        for worker, output in zip(workers, outputs, strict=True):
            self.assertEqual(worker.returncode, 0, output)
            self.assertIn("stopped", output)
        # Every schedule's slot lasts at least a minute: three tickers, one run each.
        schedule_tasks = {row[0] for row in self.query("SELECT task FROM alerts_schedule")}
        runs: dict[str, int] = dict(
            self.query(
                "SELECT task_path, COUNT(*) FROM django_tasks_database_dbtaskresult "
                "GROUP BY task_path"
            )
        )
        for task in schedule_tasks:
            self.assertEqual(runs.get(task), 1, task)
        self.assertEqual(
            self.query(
                "SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
            ),
            [("SUCCESSFUL", sum(runs.values()))],
            "nothing left running or failed",
        )


class StopRequestTests(BaseTestCase):
    def tearDown(self) -> None:
        shutdown.reset()

    def test_a_stopping_worker_leaves_unclaimed_deliveries_due_for_the_next_one(self) -> None:
        from topics.models import Topic

        follow_topic(self.alice, Topic.objects.get_or_create(name="Kenya", kind="place")[0])
        story = self.make_story()
        fan_out(Event.objects.get(story=story).id)
        shutdown.request_stop()
        with self.settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self.assertEqual(deliver_due(), 0)
            (delivery,) = Delivery.objects.all()
            self.assertEqual((delivery.state, delivery.attempts), (Delivery.State.PENDING, 0))
            shutdown.reset()
            self.assertEqual(deliver_due(), 1)
