"""A bounded HTTP load generator: several processes of keep-alive-free GET loops on loopback."""

import http.client
import multiprocessing
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    url: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def summary(self) -> str:
        return (
            f"{self.rps:8.1f} req/s  p50 {self.percentile(50):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  ({self.requests} requests, {self.errors} errors)"
        )


def _worker(args: tuple[str, int, str, int, float]) -> tuple[list[float], int]:
    host, port, path, count, deadline = args
    latencies: list[float] = []
    errors = 0
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                errors += 1
                continue
        except OSError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, errors


def hammer(
    host: str, port: int, path: str, *, requests: int, concurrency: int, max_seconds: float
) -> LoadResult:
    """Send `requests` GETs from `concurrency` processes; stop early after `max_seconds`."""
    per_worker = max(1, requests // concurrency)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(concurrency) as pool:
        pool.map(abs, range(concurrency))  # start the processes before the clock runs
        deadline = time.monotonic() + max_seconds
        started = time.perf_counter()
        results = pool.map(
            _worker, [(host, port, path, per_worker, deadline)] * concurrency, chunksize=1
        )
        elapsed = time.perf_counter() - started
    latencies = [lat for worker_latencies, _ in results for lat in worker_latencies]
    errors = sum(err for _, err in results)
    return LoadResult(path, len(latencies), errors, elapsed, latencies)


def median_result(results: list[LoadResult]) -> LoadResult:
    """The run with the median throughput, so one noisy round does not decide the figure."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]
