"""Story page throughput and tail latency under a loopback load, against a trivial view.

Both URLs are served by the same gunicorn process group, on a fresh SQLite database holding
the sample content, and measured in alternating rounds so that drift hits both alike.
"""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.loadgen import LoadResult, hammer, median_result

ROOT = Path(__file__).resolve().parent.parent
STORY = "/stories/kestrel-energy-to-build-offshore-wind-farm-off-kenya/"
BASELINE = "/healthz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")


def run(*, quick: bool = False) -> None:
    requests, rounds, concurrency = (400, 1, 4) if quick else (3000, 3, 4)
    workers = os.cpu_count() or 2
    with tempfile.TemporaryDirectory(prefix="tidings-bench-") as var:
        env = {
            **os.environ,
            "TIDINGS_VAR_DIR": var,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1",  # production needs one; plain http: no redirect
            "LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        print("  preparing a fresh database with the sample content...", file=sys.stderr)
        for command in (["migrate", "--no-input", "-v0"], ["load_sample_content"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "tidings.wsgi",
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--log-level", "warning",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            _wait_until_up(f"http://127.0.0.1:{port}{BASELINE}")
            _wait_until_up(f"http://127.0.0.1:{port}{STORY}")
            results: dict[str, list[LoadResult]] = {BASELINE: [], STORY: []}
            for round_number in range(1, rounds + 1):
                for path in (BASELINE, STORY):
                    print(
                        f"  round {round_number}/{rounds}: {requests} GET {path}", file=sys.stderr
                    )
                    results[path].append(
                        hammer(
                            "127.0.0.1",
                            port,
                            path,
                            requests=requests,
                            concurrency=concurrency,
                            max_seconds=60,
                        )
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
    baseline, story = median_result(results[BASELINE]), median_result(results[STORY])
    print(f"  baseline  {BASELINE:<12} {baseline.summary()}")
    print(f"  story page {'':<11} {story.summary()}")
    print(
        f"  ratio: story page throughput {story.rps / baseline.rps:.2f}x the trivial view; "
        f"p99 {story.percentile(99) / baseline.percentile(99):.2f}x "
        f"({workers} gunicorn workers, {concurrency} client processes, SQLite)"
    )
