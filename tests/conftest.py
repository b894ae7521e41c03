"""Shared fixtures: a fresh, migrated ledger per test on SQLite and on PostgreSQL.

Every storage test takes the ``ledger`` fixture and so runs once per database.
PostgreSQL is found at ``TRACE_TEST_POSTGRES_URL`` (default: the local server);
when it cannot be reached the PostgreSQL cases skip, unless
``TRACE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which makes them fail.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import secrets
import shutil
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from trace.api.app import create_app
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.store.agencies import Actor, create_agency
from trace.store.custody import MasterKey
from trace.store.database import connect
from trace.store.ledger import Ledger
from trace.store.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "TRACE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("TRACE_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()


def _in_thread(work: object) -> None:
    """Work that runs its own event loop (Alembic's async env) runs on a fresh thread."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _dsn(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


class _Postgres:
    """A template database migrated once; each test gets a copy of it."""

    def __init__(self) -> None:
        self.prefix = f"trace_test_{os.getpid()}"
        self.template = f"{self.prefix}_tmpl"
        self.error: str | None = None
        try:
            _in_thread(lambda: asyncio.run(self._create_template()))
        except (OSError, asyncpg.PostgresError) as exc:
            self.error = f"PostgreSQL at {POSTGRES_URL} is not available: {exc}"

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            _dsn(POSTGRES_URL, make_url(POSTGRES_URL).database or "postgres")
        )

    async def _create_template(self) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        _in_thread(lambda: migrate(_dsn(POSTGRES_URL, self.template)))

    async def create(self) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await conn.close()
        return _dsn(POSTGRES_URL, name)

    async def drop(self, url: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        finally:
            await conn.close()

    def close(self) -> None:
        async def drop_template() -> None:
            conn = await self._admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            finally:
                await conn.close()

        if self.error is None:
            _in_thread(lambda: asyncio.run(drop_template()))


@pytest.fixture(scope="session")
def postgres() -> Iterator[_Postgres]:
    server = _Postgres()
    yield server
    server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    _in_thread(lambda: migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def master_key_b64() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
async def database_url(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """A freshly migrated database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "trace.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: _Postgres = request.getfixturevalue("postgres")
    if server.error is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(server.error + " (TRACE_REQUIRE_POSTGRES=1)")
        pytest.skip(server.error)
    url = await server.create()
    try:
        yield url
    finally:
        await server.drop(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, master_key_b64: str) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        public_url="https://trace.example.vn",
        master_key_b64=master_key_b64,
        max_body_bytes=64 * 1024,
    )


@pytest.fixture
async def ledger(settings: Settings, master_key_b64: str) -> AsyncIterator[Ledger]:
    ledger = Ledger(
        engine=connect(settings.database_url),
        master_key=MasterKey(base64.b64decode(master_key_b64)),
    )
    try:
        yield ledger
    finally:
        await ledger.close()


@dataclass(frozen=True)
class Member:
    """An agency made for a test: who it is, how it acts, its key and token."""

    actor: Actor
    key_id: str
    token: str

    @property
    def id(self) -> str:
        return self.actor.agency_id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_member(
    ledger: Ledger, name: str, kind: AgencyKind, public_key: bytes | None = None, **extra: object
) -> Member:
    agency, key_id, token = await create_agency(
        ledger,
        name=name,
        kind=kind,
        external_public_key=public_key,
        **extra,  # type: ignore[arg-type]
    )
    return Member(Actor(agency.id, kind, None), key_id, token)


@dataclass(frozen=True)
class Cast:
    operator: Member
    producer: Member
    other_producer: Member
    processor: Member
    distributor: Member
    authority: Member
    certifier: Member


@pytest.fixture
async def cast(ledger: Ledger) -> Cast:
    return Cast(
        operator=await make_member(ledger, "Vận hành", AgencyKind.OPERATOR),
        producer=await make_member(ledger, "HTX Bưởi Diễn", AgencyKind.PRODUCER, province="01"),
        other_producer=await make_member(ledger, "HTX Chè Thái", AgencyKind.PRODUCER),
        processor=await make_member(ledger, "Nhà máy xay", AgencyKind.PROCESSOR),
        distributor=await make_member(ledger, "Siêu thị", AgencyKind.DISTRIBUTOR),
        authority=await make_member(ledger, "Chi cục QLCL", AgencyKind.AUTHORITY),
        certifier=await make_member(ledger, "Hội đồng OCOP", AgencyKind.CERTIFIER),
    )


@pytest.fixture
async def client(settings: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the real application, in the test's own event loop."""
    app = create_app(settings, ledger=ledger)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def python() -> str:
    """The interpreter running the tests, for subprocess tests of the CLI."""
    return sys.executable


# The test files that take minutes, longest first (by a whole run's times): started first, so
# that with one process a core (pytest-xdist, a file per process) the short files fill the
# other cores meanwhile and the run ends when its longest file does, not a few minutes later.
# xdist keeps this order only with --no-loadscope-reorder (pyproject.toml): by default it
# hands out files by their number of tests, which put the one-test Schemathesis files last.
_LONG_FILES = (
    "tests/fuzz/test_schemathesis.py",
    "tests/fuzz/test_schemathesis_postgres.py",
    "tests/e2e/test_labels_cli.py",
    "tests/e2e/test_inspect_cli.py",
    "tests/e2e/test_producer_cli.py",
    "tests/e2e/test_witness.py",
    "tests/e2e/test_export_cli.py",
    "tests/integration/test_any_statement.py",
    "tests/integration/test_epcis_capture.py",
    "tests/integration/test_client_signed.py",
    "tests/browser/test_pages.py",
    "tests/integration/test_tamper.py",
    "tests/browser/test_console.py",
    "tests/e2e/test_faults.py",
    "tests/e2e/test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the long files first (see :data:`_LONG_FILES`); the rest keep their order."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return _LONG_FILES.index(path) if path in _LONG_FILES else len(_LONG_FILES)

    items.sort(key=rank)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With PostgreSQL required (CI), a skipped or absent PostgreSQL case fails the run."""
    if not REQUIRE_POSTGRES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r.nodeid for r in reporter.stats.get("skipped", []) if "postgres" in r.nodeid]
    ran = [r.nodeid for r in reporter.stats.get("passed", []) if "postgres" in r.nodeid]
    # Under pytest-xdist this runs in the controlling process, which collects nothing itself:
    # the reports it received say whether any test ran.
    if skipped or (reporter.stats.get("passed") and not ran):
        reporter.write_line(
            f"PostgreSQL is required: {len(skipped)} PostgreSQL cases skipped, {len(ran)} ran",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
