"""The service's Prometheus metrics, shared by the workers of one deployment.

prometheus-client's multi-process mode: each worker writes its values to memory-mapped
files in one directory (``TRACE_METRICS_DIR``, emptied by ``serve`` at start, named to
the workers in ``PROMETHEUS_MULTIPROC_DIR``), and a scrape sums them. Writing a value
there costs a lock and a write to a mapped file, several microseconds: a histogram's
observation about 8, a noticeable share of a warm page (about 200 µs of CPU). So what
every request counts (its route, status and duration, the page cache, refusals) is
tallied in plain memory (:class:`Tally`) and written out at most once a second, and by
the worker that answers a scrape just before it reads. What happens a few times a second
at most (a group commit, a connection taken from the pool) is written at once.

The metric objects are made on first use, not at import: ``serve`` imports the store
before it names the directory, and its workers are forked from it.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Request durations, in seconds: a warm page takes well under a millisecond, a cold
# one a few, a bulk append or an export up to seconds.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# A request that matched no route: one label value, never the raw path.
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Metrics:
    """Every metric this service writes; the ones read from the database at each scrape
    are in ``trace/api/metrics.py``."""

    registry: CollectorRegistry
    requests: Histogram
    refusals: Counter
    page_cache: Counter
    appends: Counter
    append_refusals: Counter
    group_commits: Histogram
    connections_in_use: Gauge
    connections_capacity: Gauge


_metrics: Metrics | None = None


def use_directory(directory: Path) -> None:
    """Make ``directory`` the deployment's metrics directory, empty, for the processes
    started from now on (``serve`` calls it before its workers start)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[DIRECTORY_VARIABLE] = str(directory.resolve())


def directory() -> str | None:
    """The multi-process directory of this deployment, if the workers share one."""
    return os.environ.get(DIRECTORY_VARIABLE) or None


def metrics() -> Metrics:
    """This process's metrics, made on the first call."""
    global _metrics
    if _metrics is None:
        if directory() is not None and not _is_multiprocess():
            # prometheus-client chose its value class when it was imported, maybe before
            # the directory was named: choose again, before any value exists.
            values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
        _metrics = _make()
    return _metrics


def _is_multiprocess() -> bool:
    return getattr(values.ValueClass, "__name__", "") == "MmapedValue"


def _make() -> Metrics:
    registry = CollectorRegistry(auto_describe=True)
    return Metrics(
        registry=registry,
        requests=Histogram(
            "trace_http_request_duration_seconds",
            "Requests answered, by method, route template and status, with their duration "
            "(_count is the number of requests).",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        ),
        refusals=Counter(
            "trace_refusals",
            "Requests answered with a problem (RFC 9457), by its code.",
            ["code"],
            registry=registry,
        ),
        page_cache=Counter(
            "trace_page_cache",
            "Public pages sent from the page cache (hit) or rendered (miss).",
            ["result"],
            registry=registry,
        ),
        appends=Counter(
            "trace_appends",
            "Statements appended to the log as new records.",
            registry=registry,
        ),
        append_refusals=Counter(
            "trace_append_refusals",
            "Statements the append refused, by the refusal's code.",
            ["code"],
            registry=registry,
        ),
        group_commits=Histogram(
            "trace_group_commit_statements",
            "Statements written per append transaction (group commit).",
            buckets=GROUP_BUCKETS,
            registry=registry,
        ),
        connections_in_use=Gauge(
            "trace_db_connections_in_use",
            "Database connections taken from the pools of all workers.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        connections_capacity=Gauge(
            "trace_db_connections_capacity",
            "Database connections the pools of all workers may open.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
    )


@dataclass
class Tally:
    """What this worker's requests counted since the last :meth:`flush`, in plain memory."""

    # (method, route, status) -> observations per bucket (the last is +Inf), then the sum.
    requests: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0

    def request(self, method: str, route: str, status: str, seconds: float) -> None:
        """Count one request answered in ``seconds``."""
        key = (method, route, status)
        row = self.requests.get(key)
        if row is None:
            row = self.requests[key] = [0.0] * (len(REQUEST_BUCKETS) + 2)
        row[bisect_left(REQUEST_BUCKETS, seconds)] += 1
        row[-1] += seconds

    def refusal(self, code: str) -> None:
        """Count one problem answered."""
        self.refusals[code] = self.refusals.get(code, 0) + 1

    def flush(self) -> None:
        """Write what was tallied to the metrics and start again from nothing."""
        if not (self.requests or self.refusals or self.cache_hits or self.cache_misses):
            return
        found = metrics()
        requests, self.requests = self.requests, {}
        for key, row in requests.items():
            child: Any = found.requests.labels(*key)
            # One write per bucket touched instead of one per request. prometheus-client
            # keeps a histogram child's buckets (not cumulative) and sum as values;
            # tests/integration/test_observability.py checks the exposed counts.
            for i, count in enumerate(row[:-1]):
                if count:
                    child._buckets[i].inc(count)
            child._sum.inc(row[-1])
        refusals, self.refusals = self.refusals, {}
        for code, count in refusals.items():
            found.refusals.labels(code).inc(count)
        if self.cache_hits:
            found.page_cache.labels("hit").inc(self.cache_hits)
            self.cache_hits = 0
        if self.cache_misses:
            found.page_cache.labels("miss").inc(self.cache_misses)
            self.cache_misses = 0


# The one tally of this process (its event loop runs every request).
TALLY = Tally()


def count_group(size: int, recorded: int, refused: Iterable[str]) -> None:
    """Count one committed group: how many statements it held, how many records it
    appended (replays are not new records), and the code of each refusal."""
    found = metrics()
    found.group_commits.observe(size)
    if recorded:
        found.appends.inc(recorded)
    for code in refused:
        found.append_refusals.labels(code).inc()


def exposition(extra: Collector | None = None) -> bytes:
    """Every worker's metrics (this one's tally written first), and ``extra``'s, in the
    Prometheus text format."""
    TALLY.flush()
    shared = directory()
    registry = CollectorRegistry(auto_describe=False)
    if shared is not None:
        multiprocess.MultiProcessCollector(registry, path=shared)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Own())
    if extra is not None:
        registry.register(extra)
    return generate_latest(registry)


class _Own(Collector):
    """This process's own metrics, when it is the only worker."""

    def collect(self) -> Iterable[Any]:
        return metrics().registry.collect()


def worker_stopped() -> None:
    """Drop this worker's live gauges (its pool use) from the shared directory."""
    if directory() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
