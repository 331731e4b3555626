"""A process-wide "please stop" flag, set by `manage.py worker` on SIGTERM/SIGINT.

Long jobs (delivering a batch, polling many feeds) check it between items and leave the rest for
the next run: their rows are the truth and nothing unclaimed is lost, so the worker can stop in
seconds instead of finishing a batch that may take minutes.
"""

import threading

_requested = threading.Event()


def request_stop() -> None:
    _requested.set()


def stop_requested() -> bool:
    return _requested.is_set()


def wait(seconds: float) -> bool:
    """Sleep up to `seconds`, waking at once when a stop is requested; True if it was."""
    return _requested.wait(seconds)


def reset() -> None:
    _requested.clear()
