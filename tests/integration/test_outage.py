"""A database outage is a 503 with Retry-After, logged once, and the service recovers by itself.

Security review of b0cfdce, finding 6: while its database was down the service answered
500 and logged a stack trace per request. Each test runs a service of its own against a
database it may take away: an SQLite file put out of reach, and a PostgreSQL cluster of
the test's own (tests/pgcluster.py), stopped and started again; never the shared server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import Member, make_member
from tests.integration.helpers import WHEN, registration
from tests.pgcluster import cluster
from trace.api.app import create_app, keep_checkpointing
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.store.custody import MasterKey
from trace.store.database import connect
from trace.store.ledger import Ledger
from trace.store.migrate import migrate

UNAVAILABLE = "urn:trace:problem:unavailable"


class Checkpointer:
    """The service's background checkpointer, which a test stops and starts again."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger, self.settings = ledger, settings
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(keep_checkpointing(self.ledger, self.settings))

    async def stop(self) -> None:
        """Cancel it and wait until it has let go of its connection."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None


@asynccontextmanager
async def service(
    database_url: str, data_dir: Path, master_key_b64: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Ledger, Member, Checkpointer]]:
    """The application on ``database_url``, a producer's token, and a checkpointer running."""
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        public_url="https://trace.example.vn",
        master_key_b64=master_key_b64,
        max_body_bytes=64 * 1024,
        checkpoint_seconds=0.05,
    )
    ledger = Ledger(
        engine=connect(database_url), master_key=MasterKey(base64.b64decode(master_key_b64))
    )
    producer = await make_member(ledger, "HTX Bưởi Diễn", AgencyKind.PRODUCER)
    checkpointer = Checkpointer(ledger, settings)
    checkpointer.start()
    transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, ledger, producer, checkpointer
    finally:
        await checkpointer.stop()
        await ledger.close()


async def register(http: httpx.AsyncClient, producer: Member, lot: str) -> httpx.Response:
    return await http.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(lot=lot)},
        headers=producer.headers,
    )


async def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == UNAVAILABLE


async def assert_outage(http: httpx.AsyncClient, producer: Member, batch: str) -> None:
    """Reads and writes are 503 with Retry-After, and say so in both languages."""
    english = await http.get(f"/api/v1/batches/{batch}", headers={"Accept-Language": "en"})
    await assert_unavailable(english)
    words = english.json()["detail"]
    assert "cannot reach its database" in words and "5 seconds" in words
    assert "Nothing was lost" in words
    vietnamese = await http.get(f"/api/v1/batches/{batch}/records")
    await assert_unavailable(vietnamese)
    assert "cơ sở dữ liệu" in vietnamese.json()["detail"]
    await assert_unavailable(await register(http, producer, "BD-2"))
    await assert_unavailable(await http.get("/healthz"))
    await asyncio.sleep(0.3)  # the checkpointer meets the outage too, several times


class Lines(logging.Handler):
    """The service's log lines, kept (the application's logging setup replaces pytest's)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    lines = Lines()
    loggers = [logging.getLogger(name) for name in ("trace.database", "trace.api", "trace")]
    for logger in loggers:
        logger.addHandler(lines)
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(lines)


def assert_logged_once(log_lines: Lines) -> None:
    """One line when the outage began, one when it ended; no stack trace for any request."""
    seen = {id(r): r for r in log_lines.records}.values()  # a line reaches two of the loggers
    lines = [r for r in seen if r.name == "trace.database"]
    assert [r.levelno for r in lines] == [logging.ERROR, logging.WARNING], lines
    assert "cannot be reached" in lines[0].getMessage()
    assert "answers again" in lines[1].getMessage()
    assert [r.name for r in seen if r.name != "trace.database"] == []


async def assert_recovered(http: httpx.AsyncClient, producer: Member, batch: str) -> None:
    """The service answers again by itself, and what was recorded before is all there."""
    read = await http.get(f"/api/v1/batches/{batch}")
    assert read.status_code == 200, read.text
    assert read.json()["version"] == 1
    written = await register(http, producer, "BD-3")
    assert written.status_code == 201, written.text


async def test_an_sqlite_file_out_of_reach_is_a_503_until_it_is_back(
    sqlite_template: Path, tmp_path: Path, master_key_b64: str, log_lines: Lines
) -> None:
    path = tmp_path / "db" / "trace.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    async with service(f"sqlite:///{path}", tmp_path / "data", master_key_b64) as (
        http,
        ledger,
        producer,
        checkpointer,
    ):
        created = await register(http, producer, "BD-1")
        assert created.status_code == 201, created.text
        batch = created.json()["batch"]["id"]
        # The volume goes away: open connections are closed, and where the file was there
        # is something SQLite cannot open (a folder; root could still open a file chmod 000).
        # A connection the checkpointer held meanwhile would still reach the moved file, so
        # it lets go first and starts again, on the missing file, with everyone else.
        await checkpointer.stop()
        await ledger.engine.dispose()
        aside = tmp_path / "aside"
        aside.mkdir()
        for part in path.parent.iterdir():
            part.rename(aside / part.name)
        path.mkdir()
        checkpointer.start()
        await assert_outage(http, producer, batch)
        # SQLite makes an empty database where it finds no file: nothing may connect while
        # the files move back.
        await checkpointer.stop()
        path.rmdir()
        for part in aside.iterdir():
            part.rename(path.parent / part.name)
        checkpointer.start()
        await assert_recovered(http, producer, batch)
    assert_logged_once(log_lines)


async def test_a_postgres_outage_is_a_503_until_the_server_is_back(
    tmp_path: Path, master_key_b64: str, log_lines: Lines
) -> None:
    with cluster() as pg:
        url = await pg.create_database("trace")
        await asyncio.to_thread(migrate, url)
        async with service(url, tmp_path / "data", master_key_b64) as (http, _, producer, _):
            created = await register(http, producer, "BD-1")
            assert created.status_code == 201, created.text
            batch = created.json()["batch"]["id"]
            page = f"/b/{created.json()['batch']['code']}"
            # Stopping the server cuts the pooled connections (the first request loses its
            # connection mid-query), then refuses new ones. The public page, which reads
            # straight through asyncpg (trace/store/driver_reads.py), meets it first.
            await asyncio.to_thread(pg.stop)
            await assert_unavailable(await http.get(page))
            await assert_unavailable(await http.get(page))
            await assert_outage(http, producer, batch)
            await asyncio.to_thread(pg.start)
            # The page's reads are the first after the outage: none meets a lost connection.
            assert (await http.get(page)).status_code == 200
            await assert_recovered(http, producer, batch)
    assert_logged_once(log_lines)
