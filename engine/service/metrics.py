"""Prometheus text metrics of one server process: requests, latencies, decisions by outcome.

Each worker process counts its own requests (scrape every worker, or sum them); the counters
are plain integers under a lock, so recording costs microseconds.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (method, route, status)
        self.latency_buckets: Counter[tuple[str, str, int]] = Counter()  # (method, route, bucket index)
        self.latency_sum: defaultdict[tuple[str, str], float] = defaultdict(float)  # seconds
        self.latency_count: Counter[tuple[str, str]] = Counter()
        self.decisions: Counter[tuple[str, str]] = Counter()  # (kind, outcome)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            self.latency_sum[(method, route)] += seconds
            self.latency_count[(method, route)] += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.latency_buckets[(method, route, i)] += 1

    def decision(self, kind: str, outcome: str) -> None:
        with self._lock:
            self.decisions[(kind, outcome)] += 1

    def render(self) -> str:
        with self._lock:
            out = ["# HELP ntmcert_http_requests_total HTTP requests by method, route and status.",
                   "# TYPE ntmcert_http_requests_total counter"]
            for (m, r, s), n in sorted(self.requests.items()):
                out.append(f'ntmcert_http_requests_total{{method="{m}",route="{_label(r)}",status="{s}"}} {n}')
            out += ["# HELP ntmcert_http_request_duration_seconds Request latency.",
                    "# TYPE ntmcert_http_request_duration_seconds histogram"]
            for (m, r), count in sorted(self.latency_count.items()):
                labels = f'method="{m}",route="{_label(r)}"'
                for i, bound in enumerate(BUCKETS):
                    n = self.latency_buckets[(m, r, i)]
                    out.append(f'ntmcert_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                out.append(f'ntmcert_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {count}')
                out.append(f"ntmcert_http_request_duration_seconds_sum{{{labels}}} {self.latency_sum[(m, r)]:.6f}")
                out.append(f"ntmcert_http_request_duration_seconds_count{{{labels}}} {count}")
            out += ["# HELP ntmcert_decisions_total Decisions logged by this process, by kind and outcome.",
                    "# TYPE ntmcert_decisions_total counter"]
            for (k, o), n in sorted(self.decisions.items()):
                out.append(f'ntmcert_decisions_total{{kind="{k}",outcome="{o}"}} {n}')
        return "\n".join(out) + "\n"
