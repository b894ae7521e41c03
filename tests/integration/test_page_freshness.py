"""Page workers learn of records written by another process: at once on SQLite, by NOTIFY on PG."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import Cast
from tests.integration.helpers import kg, register
from tests.integration.helpers import record as event
from tests.integration.test_tamper import rewrite_statement
from trace.api.app import create_app
from trace.config import Settings
from trace.labels.runs import run_serials
from trace.store.database import connect
from trace.store.ledger import Ledger
from trace.store.page_reads import PostgresPageReads

# A notification is delivered within milliseconds; this only bounds a broken test.
PATIENCE_SECONDS = 10.0


@pytest.fixture
async def other(settings: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """A second worker: its own engine on the same database, as another process has."""
    second = Ledger(engine=connect(settings.database_url), master_key=ledger.master_key)
    app = create_app(settings, ledger=second)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await second.close()


async def _until_shown(client: httpx.AsyncClient, path: str, words: str, backend: str) -> str:
    """The page once it shows ``words``: the first answer on SQLite, soon after on PostgreSQL."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while True:
        page = (await client.get(path)).text
        if words in page or backend == "sqlite" or loop.time() > deadline:
            return page
        await asyncio.sleep(0.01)


async def _until_listening(client: httpx.AsyncClient, path: str, reads: PostgresPageReads) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while not reads.listening and loop.time() < deadline:
        await client.get(path)  # a request is what (re)starts listening
        await asyncio.sleep(0.1)
    assert reads.listening


async def test_a_record_written_elsewhere_reaches_the_page(
    client: Any, other: httpx.AsyncClient, cast: Cast, backend: str
) -> None:
    batch = (await register(client, cast.producer, lot="F-1"))["batch"]
    path = f"/b/{batch['code']}"
    first = await client.get(path)
    assert "Thu hoạch" not in first.text
    await event(other, cast.producer, batch["id"], "harvested", {"quantity": kg("5")})
    assert "Thu hoạch" in await _until_shown(client, path, "Thu hoạch", backend)


# Only PostgreSQL workers listen for notifications (SQLite asks data_version every time).
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_without_its_listening_connection_a_worker_reads_the_state_every_time(
    client: Any, other: httpx.AsyncClient, cast: Cast, ledger: Ledger, backend: str
) -> None:
    batch = (await register(client, cast.producer, lot="F-2"))["batch"]
    path = f"/b/{batch['code']}"
    await client.get(path)
    reads = ledger.page_reads
    assert isinstance(reads, PostgresPageReads)
    await _until_listening(client, path, reads)
    async with ledger.engine.connect() as conn:
        killed = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            )
        )
        assert killed.scalars().all() == [True]
    await event(other, cast.producer, batch["id"], "harvested", {"quantity": kg("5")})
    assert "Thu hoạch" in await _until_shown(client, path, "Thu hoạch", backend)
    await _until_listening(client, path, reads)  # it listens again


async def test_many_scans_at_once_of_pages_not_yet_rendered_all_get_their_page(
    settings: Settings, ledger: Ledger, client: Any, cast: Cast
) -> None:
    """A serial page writes its scan between reads: a worker must not run out of readers."""
    batch = (await register(client, cast.producer, gtin="8936047000128", lot="S-9"))["batch"]
    run = (
        await client.post(
            f"/api/v1/batches/{batch['id']}/label-runs",
            json={"count": 40},
            headers=cast.producer.headers,
        )
    ).json()
    serials = [serial async for serial in run_serials(ledger, run["id"])]
    assert len(serials) == 40
    app = create_app(replace(settings, page_rate_per_minute=0), ledger=ledger)  # one client
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as phones:
        pages = await asyncio.gather(
            *(phones.get(f"/01/08936047000128/10/S-9/21/{serial}") for serial in serials)
        )
    assert [p.status_code for p in pages] == [200] * len(serials)
    assert all("Đây là lần quét đầu tiên" in p.text for p in pages)


@pytest.mark.parametrize("caching", [True, False])
async def test_without_the_page_cache_every_request_reads_and_renders_again(
    settings: Settings, ledger: Ledger, client: Any, cast: Cast, caching: bool
) -> None:
    """A row changed behind the service's back leaves the log state as it was: a kept page
    stays as rendered until the log moves, a page rendered for every request shows it."""
    batch = (await register(client, cast.producer, lot="C-1"))["batch"]
    await event(client, cast.producer, batch["id"], "harvested", {"quantity": kg("101")})
    app = create_app(replace(settings, page_cache=caching), ledger=ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as phone:
        path = f"/b/{batch['code']}"
        assert 'data-verdict="intact"' in (await phone.get(path)).text
        await rewrite_statement(ledger, batch["id"], 2, b'"101"', b'"901"')
        again = (await phone.get(path)).text
        assert ('data-verdict="broken"' in again) is not caching
        # Any new record moves the log state: the kept page is made again, and shows it.
        await event(client, cast.producer, batch["id"], "harvested", {"quantity": kg("1")})
        assert 'data-verdict="broken"' in (await phone.get(path)).text


async def test_many_first_requests_for_the_proofs_at_once_all_get_them(
    settings: Settings, ledger: Ledger, client: Any, cast: Cast
) -> None:
    """The JSON page reads its proofs after the view: no reader may be held meanwhile."""
    batch = (await register(client, cast.producer, lot="J-1"))["batch"]
    app = create_app(replace(settings, page_rate_per_minute=0), ledger=ledger)  # one client
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as phones:
        answers = await asyncio.gather(
            *(phones.get(f"/b/{batch['code']}?format=json") for _ in range(40))
        )
    assert [a.status_code for a in answers] == [200] * 40
    assert all(a.json()["proofs"]["format"] == "trace.page-proofs/v1" for a in answers)
