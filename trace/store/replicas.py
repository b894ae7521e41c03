"""Which database a request reads from: a streaming replica while one is fit, else the primary.

PostgreSQL scales reads with streaming replicas (hot standbys replaying the primary's
write-ahead log, https://www.postgresql.org/docs/15/hot-standby.html). With
``TRACE_READ_DATABASE_URL`` naming some, the reads that dominate (pages, proofs, search,
history, genealogy, EPCIS queries) go to them; every write, and every read that must see
its own write (tokens, sessions, appends, label runs, scan counts), stays on the primary.

- **One request, one replica.** A handler asks :meth:`Replicas.pick` once (through
  ``Ledger.reader()``) and does all its reads there. Replicas replay at their own pace:
  reading the log state from one and the rows from another could show rows older than
  the checkpoint the page cites. On one replica, replay only moves forward, so rows read
  after the state are at least as new as it. Requests take the fit replicas in turn.
- **A replica that is down** (it refused or lost a connection) is left for
  ``RETRY_AFTER_SECONDS``, then tried again: the request that met it is answered 503 with
  ``Retry-After``, as in any outage, and the next ones read from another replica or the
  primary. The primary always holds everything a replica does, so falling back is never
  wrong, only busier.
- **A replica that trails.** The page reads (trace/store/replica_reads.py) learn of each
  change from the primary and see whether the replica has replayed it. One that has not
  replayed a change ``TRACE_READ_MAX_LAG_SECONDS`` (10 s) after it was announced is left
  for the primary until it catches up; one request every ``RETRY_AFTER_SECONDS`` still
  goes to it, to see. A trailing replica is still consistent, only older: within the
  limit, a shopper sees a page a few seconds old rather than the primary taking the load.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from trace.store.outage import RETRY_AFTER_SECONDS, down_for
from trace.store.page_reads import PageReads

if TYPE_CHECKING:
    from trace.store.replica_reads import PrimaryPosition


@dataclass(eq=False)
class Replica:
    """One streaming replica, as this worker sees it."""

    engine: AsyncEngine
    # Since when (monotonic) it has not replayed a change the primary announced; None: caught up.
    behind_since: float | None = None
    # When a request was last sent to it while it was not fit, to see whether it is again.
    tried_at: float = 0.0
    # How the public pages read from it, made on the first page (trace/store/replica_reads.py).
    page_reads: PageReads | None = None

    def fit(self, now: float, max_lag: float) -> bool:
        """Whether reads may go to it now: it is fit, or was not for a while and is tried."""
        unfit_since = []
        down = down_for(self.engine)
        if down is not None:
            unfit_since.append(now - down)
        if self.behind_since is not None and now - self.behind_since > max_lag:
            unfit_since.append(self.behind_since + max_lag)
        if not unfit_since:
            return True
        if now - max(min(unfit_since), self.tried_at) < RETRY_AFTER_SECONDS:
            return False
        self.tried_at = now
        return True


class Replicas:
    """The worker's replicas, taken in turn; None from :meth:`pick` means the primary."""

    def __init__(self, engines: Sequence[AsyncEngine], *, max_lag_seconds: float) -> None:
        self.all = tuple(Replica(engine) for engine in engines)
        self.max_lag_seconds = max_lag_seconds
        # The primary's WAL position the replicas' page reads wait for, made on the first page.
        self.primary_position: PrimaryPosition | None = None
        self._turn = itertools.count()

    def pick(self) -> AsyncEngine | None:
        """The replica the next request reads from, or None when none is fit."""
        now = time.monotonic()
        start = next(self._turn)
        for step in range(len(self.all)):
            replica = self.all[(start + step) % len(self.all)]
            if replica.fit(now, self.max_lag_seconds):
                return replica.engine
        return None

    def of(self, engine: AsyncEngine) -> Replica:
        """The replica read through ``engine``."""
        for replica in self.all:
            if replica.engine is engine:
                return replica
        raise KeyError("not a replica of this ledger")

    async def close(self) -> None:
        """Release the replicas' connections."""
        for replica in self.all:
            await replica.engine.dispose()
