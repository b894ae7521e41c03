"""The service keeps within its PostgreSQL connection budget and answers every request.

A burst of page requests larger than a worker's pool waits for connections instead of
opening more (on PostgreSQL, more would end in "too many clients"); every request is
answered. On SQLite there is no budget to keep; the same burst is answered too.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import event

from tests.conftest import Cast
from tests.integration.helpers import register
from trace.api.app import create_app
from trace.config import MIN_POOL, Settings
from trace.store.database import is_sqlite
from trace.store.ledger import open_ledger

BURST = 60


def test_each_worker_gets_its_part_of_the_budget_less_its_listener() -> None:
    base = Settings(
        database_url="postgresql://db/trace",
        data_dir=None,  # type: ignore[arg-type]
        public_url="https://trace.example.vn",
        master_key_b64=None,
        max_body_bytes=1024,
    )
    assert replace(base, database_connections=80, workers=1).pool_size == 79
    assert replace(base, database_connections=80, workers=4).pool_size == 19
    assert replace(base, database_connections=10, workers=4).pool_size == MIN_POOL


async def test_a_burst_larger_than_the_pool_waits_for_connections_and_every_page_answers(
    settings: Settings, client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    # Two workers sharing 10 connections: a pool of 4 each, rendering every request afresh.
    tight = replace(settings, database_connections=10, workers=2, page_cache=False)
    tight = replace(tight, page_rate_per_minute=0)
    ledger = open_ledger(tight)
    lent: list[int] = []
    if not is_sqlite(ledger.engine):
        pool: Any = ledger.engine.sync_engine.pool

        @event.listens_for(pool, "checkout")
        def on_checkout(*_: object) -> None:
            lent.append(pool.checkedout())

    try:
        app = create_app(tight, ledger=ledger)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            pages = await asyncio.gather(*(http.get(f"/b/{batch['code']}") for _ in range(BURST)))
        assert [page.status_code for page in pages] == [200] * BURST
        assert all(batch["lot"] in page.text for page in pages)
        if not is_sqlite(ledger.engine):
            assert tight.pool_size == MIN_POOL
            assert max(lent) == tight.pool_size  # the burst used the whole pool, and no more
    finally:
        await ledger.close()
