"""A small closed-loop load generator: N threads, keep-alive connections, latency per request."""

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    expect: int = 200


@dataclass
class Sample:
    latency: float
    status: int
    queries: int | None
    sql_ms: float | None
    server_ms: float | None


@dataclass
class Result:
    concurrency: int
    seconds: float
    samples: list[Sample]

    def _percentile(self, p: float) -> float:
        latencies = sorted(s.latency for s in self.samples)
        index = min(len(latencies) - 1, max(0, round(p / 100 * len(latencies)) - 1))
        return latencies[index] * 1000

    def summary(self) -> dict:
        ok = [s for s in self.samples if s.status < 400]
        timed = [s for s in self.samples if s.sql_ms is not None and s.server_ms]
        queries = sorted({s.queries for s in self.samples if s.queries is not None})
        sql = sum(s.sql_ms for s in timed)
        server = sum(s.server_ms for s in timed)
        return {
            "concurrency": self.concurrency,
            "requests": len(self.samples),
            "errors": len(self.samples) - len(ok),
            "rps": round(len(self.samples) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(self._percentile(50), 1),
            "p95_ms": round(self._percentile(95), 1),
            "p99_ms": round(self._percentile(99), 1),
            "queries": queries[0] if len(queries) == 1 else queries,
            "server_over_sql": round(server / sql, 1) if sql else None,
            "mean_server_ms": round(statistics.mean(s.server_ms for s in timed), 1)
            if timed
            else None,
        }


def run(port: int, make_request, concurrency: int, seconds: float, max_requests: int) -> Result:
    """Send requests from `concurrency` threads for `seconds` (or up to max_requests)."""
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    counter = iter(range(max_requests))

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            request = make_request(number)
            started = time.perf_counter()
            connection.request(request.method, request.path, request.body, request.headers)
            response = connection.getresponse()
            response.read()
            latency = time.perf_counter() - started
            header = response.getheader
            sample = Sample(
                latency,
                response.status,
                int(header("X-Norma-Queries")) if header("X-Norma-Queries") else None,
                float(header("X-Norma-SQL-ms")) if header("X-Norma-SQL-ms") else None,
                float(header("X-Norma-Server-ms")) if header("X-Norma-Server-ms") else None,
            )
            with lock:
                samples.append(sample)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(concurrency, time.monotonic() - started, samples)
