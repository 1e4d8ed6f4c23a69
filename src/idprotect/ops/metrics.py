"""The service's metrics, in Prometheus' text format at /metrics (prometheus-client).

Made per app (nothing at import time) in a registry of their own. With several server
processes, `serve` points PROMETHEUS_MULTIPROC_DIR at a directory of its own before the
workers start: each process writes its values there and /metrics sums them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# From a cached GET (about 0.2 ms) to a slow write under load.
_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


# The signals' outbox at a scrape: events waiting for their receiver, and those it refused
# (None: it could not be read).
ReadOutbox = Callable[[], tuple[int, int] | None]


class _Outbox(Collector):
    """The outbox's backlog, read from the database when /metrics is scraped (a gauge of the
    deployment, the same whichever worker answers)."""

    def __init__(self, read: ReadOutbox) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        found = self._read()
        if found is None:
            return
        pending, rejected = found
        yield GaugeMetricFamily("idprotect_outbox_pending", "Events waiting for delivery", pending)
        yield GaugeMetricFamily(
            "idprotect_outbox_rejected", "Events their receiver refused", rejected
        )


class Metrics:
    def __init__(self, outbox: ReadOutbox | None = None) -> None:
        self._outbox = _Outbox(outbox) if outbox is not None else None
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
        self.group_commits = Histogram(
            "idprotect_group_commit_size",
            "Writers that shared one SQLite transaction and its fsync (store/group_commit.py)",
            buckets=(1, 2, 4, 8, 16),
            registry=r,
        )
        self.faults = Counter(
            "idprotect_faults_injected", "Faults injected, by status or drop", ("kind",), registry=r
        )

    def exposition(self) -> bytes:
        """Every metric, of every server process when there are several."""
        directory = multiprocess_dir()
        registry = self.registry
        if directory:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
        return text + generate_latest(_Only(self._outbox)) if self._outbox is not None else text


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None


class _Only(CollectorRegistry):
    """A registry of one collector, made for one scrape."""

    def __init__(self, collector: Collector) -> None:
        super().__init__(auto_describe=False)
        self._collector = collector

    def collect(self) -> Iterator[Metric]:
        yield from self._collector.collect()
