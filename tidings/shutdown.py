"""A process-wide "please stop" flag, set by `manage.py worker` on SIGTERM/SIGINT.

Long jobs (delivering a batch, polling many feeds) check it between items and leave the rest for
the next run: their rows are the truth and nothing unclaimed is lost, so the worker can stop in
seconds instead of finishing a batch that may take minutes.
"""

import threading
import time

_requested = threading.Event()


def request_stop() -> None:
    _requested.set()


def stop_requested() -> bool:
    return _requested.is_set()


def wait(seconds: float) -> bool:
    """Sleep up to `seconds`, waking within a tenth of a second when a stop is requested; True
    if it was. Short sleeps rather than Event.wait(timeout): a timed wait on a condition takes
    an absolute deadline, which a shifted clock (libfaketime in CI) turns into years."""
    deadline = time.monotonic() + seconds
    while not _requested.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.1))
    return True


def reset() -> None:
    _requested.clear()
