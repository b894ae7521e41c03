"""bench/page.py with a streaming replica serving the reads, and appends on the primary meanwhile.

``--replica`` makes a throwaway PostgreSQL primary and a hot standby of it
(tests/pgcluster.py: ``initdb``, ``pg_basebackup --write-recovery-conf``, a second
``postgres`` on a spare port; both stopped and removed at the end), runs the bench's
database on the primary and gives the server ``TRACE_READ_DATABASE_URL`` naming the
standby. ``--read-url URL`` does the same with a replica you run yourself of the
``--postgres-url`` server. Either way the warm kinds are measured on a second server that
reads from the primary too, interleaved run by run (``--compare``), so that the table's
ratio is the replica's gain measured in the same run.

``--appends RATE`` appends RATE events a second on the primary through the first server's
API during every measurement (one producer, one batch, one request at a time paced by the
clock), as a cooperative's phones would while shoppers scan: each append moves the log state,
so the pages' caches empty and the ETags change (``warm 304`` then answers 200s).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from harness import EVENT_BODY, EVENT_KIND, OCCURRED_AT, log, pg_dsn

# The bench's servers each keep within the default budget of 80 on each database: the first
# server, the compared one and a cold one may hold 3 x 80 on the primary at once.
CLUSTER_CONNECTIONS = 300
# The setting the compared server turns off: it reads from the primary.
READ_SETTING = "TRACE_READ_DATABASE_URL"


@contextmanager
def replica_clusters(wanted: bool) -> Iterator[tuple[str, str] | None]:
    """Without ``wanted``, nothing; else a throwaway primary and standby: their admin URLs."""
    if not wanted:
        yield None
        return
    from tests.pgcluster import cluster, standby  # the tests' helper, not a copy of it

    log("-- starting a throwaway PostgreSQL primary and a streaming replica of it")
    with cluster(max_connections=CLUSTER_CONNECTIONS) as primary, standby(primary) as replica:
        yield primary.admin_url, replica.admin_url


def wait_replayed(primary_url: str, replica_url: str, database: str) -> None:
    """Wait until the replica has replayed all the primary wrote (the bench's database)."""

    async def wait() -> None:
        import asyncpg

        primary = await asyncpg.connect(pg_dsn(primary_url, database))
        replica = await asyncpg.connect(pg_dsn(replica_url, "postgres"))
        try:
            written = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
            async with asyncio.timeout(60):
                while not await replica.fetchval(  # noqa: ASYNC110 (a server's state, polled)
                    f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"
                ):
                    await asyncio.sleep(0.05)
        finally:
            await primary.close()
            await replica.close()

    asyncio.run(wait())


def _post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        found: dict[str, Any] = json.loads(answer.read())
        return found


@dataclass
class Appender:
    """Appends ``rate`` events a second to one batch through ``base``'s API, in a thread."""

    base: str
    token: str
    rate: float
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    _batch: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        if not self._batch:
            origin = {"province": "01"}
            registered = {"product": "Lúa ST25", "lot": "BENCH-APPENDS", "origin": origin}
            body = {"occurred_at": OCCURRED_AT, "body": registered}
            self._batch = _post(f"{self.base}/api/v1/batches", self.token, body)["batch"]["id"]
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        url = f"{self.base}/api/v1/batches/{self._batch}/events"
        body = {"kind": EVENT_KIND, "occurred_at": OCCURRED_AT, "body": EVENT_BODY}
        started = time.monotonic()
        sent = 0
        while not self._stop.is_set():
            wait = started + sent / self.rate - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                break
            sent += 1
            try:
                _post(url, self.token, body)
                self.done += 1
            except OSError:
                self.failed += 1
        self.seconds += time.monotonic() - started

    def summary(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        return (
            f"Appends on the primary during the measurements: {self.done:,} answered 201"
            f" ({rate:,.1f}/s of {self.rate:g}/s asked), {self.failed:,} failed."
        )
