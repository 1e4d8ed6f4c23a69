"""The service's metrics, in Prometheus' text format at /metrics (prometheus-client).

Made per app (nothing at import time) in a registry of their own. With several server
processes, `serve` points PROMETHEUS_MULTIPROC_DIR at a directory of its own before the
workers start: each process writes its values there and /metrics sums them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# From a cached GET (about 0.2 ms) to a slow write under load.
_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        if not multiprocess_dir():
            ProcessCollector(registry=self.registry)  # RSS, CPU, open files of this process
        r = self.registry
        self.requests = Counter(
            "idprotect_requests", "Requests answered", ("operation", "status"), registry=r
        )
        self.latency = Histogram(
            "idprotect_request_duration_seconds",
            "Time from a request's arrival to its answer",
            ("operation",),
            buckets=_LATENCY,
            registry=r,
        )
        self.database = Histogram(
            "idprotect_database_seconds",
            "Time a request spent in its unit of work, waiting for a database thread included",
            ("runs",),
            buckets=_LATENCY,
            registry=r,
        )
        self.throttled = Counter(
            "idprotect_throttled", "Requests refused with 429 by a throttle bucket", ("bucket",),
            registry=r,
        )  # fmt: skip
        self.faults = Counter(
            "idprotect_faults_injected", "Faults injected, by status or drop", ("kind",), registry=r
        )

    def exposition(self) -> bytes:
        """Every metric, of every server process when there are several."""
        directory = multiprocess_dir()
        if not directory:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None
