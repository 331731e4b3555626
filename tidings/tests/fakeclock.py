"""Run a manage.py command on a wall clock the test steps: `python -m tidings.tests.fakeclock
CLOCK_FILE manage.py ARGS…` (test-only; libfaketime without the C library).

CLOCK_FILE holds an ISO 8601 time. The process starts at it and its clock ticks at real speed
(time-machine, tick=True); whenever the file changes, the clock jumps to the new time, forward
or back, so a test writing the file steps every process it started together. Only the wall
clock moves: time.monotonic() and sleeps stay real, as they do when NTP steps a server's clock.
"""

import datetime as dt
import runpy
import sys
import threading
import time
from pathlib import Path

import time_machine

POLL = 0.02  # seconds between looks at the clock file


def set_clock(path: Path, when: dt.datetime) -> None:
    """Write the clock file in one step, so that no process reads half a time."""
    part = path.with_suffix(".part")
    part.write_text(when.isoformat())
    part.replace(path)


def follow(path: Path, traveller: time_machine.Traveller, seen: str) -> None:
    while True:
        time.sleep(POLL)
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        if text and text != seen:
            traveller.move_to(dt.datetime.fromisoformat(text), tick=True)
            seen = text


def main() -> None:
    clock, script, *args = sys.argv[1:]
    path = Path(clock)
    text = path.read_text()
    traveller = time_machine.travel(dt.datetime.fromisoformat(text), tick=True).start()
    threading.Thread(target=follow, args=(path, traveller, text), daemon=True).start()
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
