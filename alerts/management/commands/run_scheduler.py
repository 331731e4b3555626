import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alerts.actions import tick_schedules


class Command(BaseCommand):
    help = (
        "Tick the Schedule table: enqueue each due periodic task (feed polling, the sweepers). "
        "Safe to run on several machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="tick once and exit (for cron)")
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between ticks")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            for name in tick_schedules():
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                return
            time.sleep(options["interval"])
