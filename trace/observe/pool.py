"""How many database connections each worker's pool has lent out, as a metric."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.observe.metrics import metrics


def watch_pool(engine: AsyncEngine) -> None:
    """Count ``engine``'s connections taken and given back (a few a request that reads
    the database, none for a page served from the cache)."""
    found = metrics()
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        found.connections_capacity.inc(int(size()) + max(0, int(overflow)))

    @event.listens_for(pool, "checkout")
    def taken(*_: Any) -> None:
        found.connections_in_use.inc()

    @event.listens_for(pool, "checkin")
    def given_back(*_: Any) -> None:
        found.connections_in_use.dec()
