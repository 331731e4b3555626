"""A progress bar on stderr for long jobs: redrawn in place on a terminal, a line a tenth
of the way through in logs."""

import sys
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str = "", stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def step(self, item: str = "") -> None:
        self.done += 1
        share = self.done / self.total if self.total else 1.0
        if self.tty:
            bar = "#" * int(share * 30)
            self.stream.write(
                f"\r{self.label} [{bar:<30}] {self.done}/{self.total} {item[:40]:<40}"
            )
            if self.done == self.total:
                self.stream.write("\n")
        elif int(share * 10) != self._last_tenth:
            self._last_tenth = int(share * 10)
            self.stream.write(f"{self.label} {self.done}/{self.total} ({share:.0%})\n")
        self.stream.flush()
