"""Reads served by a real streaming replica never show a page older than the checkpoint it cites.

The tests share a primary and a hot standby of their own (tests/pgcluster.py: ``initdb``,
``pg_basebackup --write-recovery-conf``, a second ``postgres``), each on a database of its
own; they pause the standby's replay to hold it behind the primary, and read through the
service with ``TRACE_READ_DATABASE_URL`` naming the standby. Replicas are PostgreSQL's: there is no
SQLite run of these tests (a replica beside SQLite is refused, as the first test shows).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Member, make_member
from tests.integration.helpers import WHEN, kg, register
from tests.integration.helpers import record as event
from tests.pgcluster import Cluster, cluster, standby
from trace.api.app import create_app
from trace.config import Settings, load_settings
from trace.domain.agency import AgencyKind
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import connect_replica
from trace.store.ledger import Ledger, open_ledger
from trace.store.migrate import migrate
from trace.store.outage import RETRY_AFTER_SECONDS
from trace.store.replicas import Replica

# Only bounds a broken test: a resumed standby replays within milliseconds.
PATIENCE_SECONDS = 10.0
ENGLISH = {"lang": "en"}
TEMPLATE = "migrated"


@dataclass
class Service:
    http: httpx.AsyncClient
    ledger: Ledger
    settings: Settings
    producer: Member
    primary: Cluster
    replica: Cluster

    async def sign(self) -> int:
        """Sign a checkpoint now, as the service's background task does; its size."""
        return (await sign_checkpoint(self.ledger, self.settings.log_origin)).checkpoint.size


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary with a migrated template database, and a streaming replica of it."""
    with cluster() as primary:
        asyncio.run(primary.create_database(TEMPLATE))
        migrate(primary.url(TEMPLATE))
        with standby(primary) as replica:
            yield primary, replica


@asynccontextmanager
async def service_with_replica(
    clusters: tuple[Cluster, Cluster],
    tmp_path: Path,
    master_key_b64: str,
    *,
    max_lag_seconds: float = 60.0,
) -> AsyncIterator[Service]:
    """The application on a new database of the primary, reading from the replica."""
    primary, replica = clusters
    name = tmp_path.name.lower().replace("-", "_")
    url = await primary.create_database(name, template=TEMPLATE)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path / "data",
        public_url="https://trace.example.vn",
        master_key_b64=master_key_b64,
        max_body_bytes=64 * 1024,
        read_database_urls=(replica.url(name),),
        replica_max_lag_seconds=max_lag_seconds,
    )
    ledger = open_ledger(settings)
    try:
        await replica.wait_replayed(primary)  # the new database is there
        producer = await make_member(ledger, "HTX Bưởi Diễn", AgencyKind.PRODUCER)
        transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Service(http, ledger, settings, producer, primary, replica)
    finally:
        await ledger.close()


def cited(page: str) -> int:
    """The checkpoint size an English page cites for its records (0: not yet in one)."""
    found = re.search(r"All are in checkpoint (\d+) of the public log", page)
    return int(found.group(1)) if found else 0


async def harvested_batches(service: Service) -> list[str]:
    """The batches an inspector's search finds with a harvest recorded."""
    inspector = await make_member(service.ledger, "Chi cục QLCL", AgencyKind.AUTHORITY)
    found = await service.http.get(
        "/api/v1/batches", params={"kind": "harvested"}, headers=inspector.headers
    )
    assert found.status_code == 200, found.text
    return [hit["id"] for hit in found.json()["batches"]]


async def until_page(service: Service, path: str, shows: Callable[[str], bool]) -> str:
    """The English page once ``shows`` holds of it (or when patience runs out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while True:
        page = (await service.http.get(path, params=ENGLISH)).text
        if shows(page) or loop.time() > deadline:
            return page
        await asyncio.sleep(0.02)


def test_replicas_are_named_by_comma_or_space_and_only_beside_a_postgresql_primary() -> None:
    primary = {"TRACE_DATABASE_URL": "postgresql://db/trace", "TRACE_WORKERS": "4"}
    replicas = "postgresql://r1/trace, postgresql://r2/trace postgresql://r3/trace"
    settings = load_settings({**primary, "TRACE_READ_DATABASE_URL": replicas})
    assert settings.read_database_urls == tuple(replicas.replace(",", "").split())
    # Each replica is a server of its own with the same budget, and no listener on it.
    assert (settings.pool_size, settings.replica_pool_size) == (19, 20)
    assert load_settings(primary).read_database_urls == ()
    with pytest.raises(ValueError, match="TRACE_DATABASE_URL is SQLite"):
        load_settings({"TRACE_READ_DATABASE_URL": "postgresql://r1/trace"})
    with pytest.raises(ValueError, match="is not a PostgreSQL URL"):
        load_settings({**primary, "TRACE_READ_DATABASE_URL": "sqlite:///copy.sqlite3"})


def test_a_trailing_replica_is_left_then_tried_again_once_every_few_seconds() -> None:
    engine = connect_replica("postgresql://replica.invalid/trace", pool_size=4)  # never used
    replica = Replica(engine, behind_since=100.0)
    assert replica.fit(now=100.5, max_lag=1.0)  # behind, within the limit: still read
    assert not replica.fit(now=101.5, max_lag=1.0)  # past it: left for the primary
    tried = 101.0 + RETRY_AFTER_SECONDS
    assert replica.fit(now=tried, max_lag=1.0)  # one request tries it again
    assert not replica.fit(now=tried + 1.0, max_lag=1.0)
    assert replica.fit(now=tried + RETRY_AFTER_SECONDS, max_lag=1.0)
    replica.behind_since = None  # a page read found it caught up
    assert replica.fit(now=tried + RETRY_AFTER_SECONDS + 0.1, max_lag=1.0)


async def test_a_replica_behind_shows_its_older_state_whole_and_catches_up(
    clusters: tuple[Cluster, Cluster], tmp_path: Path, master_key_b64: str
) -> None:
    async with service_with_replica(clusters, tmp_path, master_key_b64) as service:
        http, producer = service.http, service.producer
        batch = (await register(http, producer, lot="RR-1"))["batch"]
        path, old_size = f"/b/{batch['code']}", await service.sign()
        await service.replica.wait_replayed(service.primary)
        page = (await http.get(path, params=ENGLISH)).text
        assert cited(page) == old_size and "Harvested" not in page

        await service.replica.pause_replay()
        harvested = await event(http, producer, batch["id"], "harvested", {"quantity": kg("900")})
        new_size = await service.sign()
        assert new_size > old_size

        # The replica's reads: the page shows its older state whole, citing the older
        # checkpoint, which holds every record it shows; so do its data and the log's API.
        page = (await http.get(path, params=ENGLISH)).text
        assert "Harvested" not in page and cited(page) == old_size
        data = (await http.get(path, params={"format": "json"})).json()
        assert len(data["proofs"]["records"]) == 1
        assert f"\n{old_size}\n" in data["proofs"]["checkpoint"]
        assert (await http.get(f"/api/v1/batches/{batch['id']}")).json()["version"] == 1
        history = (await http.get(f"/api/v1/batches/{batch['id']}/records")).json()
        assert [r["seq"] for r in history["records"]] == [1]
        checkpoint = (await http.get("/api/v1/log/checkpoint")).text
        assert f"\n{old_size}\n" in checkpoint
        # Search catches its index up on the primary and reads the replica's copy of it.
        assert await harvested_batches(service) == []

        # The producer's own write-then-read paths go to the primary and see it at once.
        mine = await http.get(f"/api/v1/batches/{batch['id']}", headers=producer.headers)
        assert mine.json()["version"] == 2
        history = await http.get(f"/api/v1/batches/{batch['id']}/records", headers=producer.headers)
        assert [r["seq"] for r in history.json()["records"]] == [1, 2]
        position = harvested["record"]["position"]
        bundle = await http.get(f"/api/v1/log/records/{position}/bundle")
        assert bundle.status_code == 200, bundle.text
        proof = await http.get(
            "/api/v1/log/proof/inclusion", params={"position": position, "size": new_size}
        )
        assert proof.status_code == 200, proof.text
        packed = await http.post(
            f"/api/v1/batches/{batch['id']}/events",
            json={
                "kind": "harvested",
                "occurred_at": WHEN,
                "body": {"quantity": kg("100")},
                "expected_version": 2,
            },
            headers=producer.headers,
        )
        assert packed.status_code == 201, packed.text
        newest = await service.sign()

        await service.replica.resume_replay()
        page = await until_page(service, path, lambda page: cited(page) == newest)
        assert page.count("Harvested") == 2 and cited(page) == newest
        history = (await http.get(f"/api/v1/batches/{batch['id']}/records")).json()
        assert [r["seq"] for r in history["records"]] == [1, 2, 3]
        assert await harvested_batches(service) == [batch["id"]]


async def test_reads_leave_a_replica_that_trails_too_long_or_is_down_for_the_primary(
    clusters: tuple[Cluster, Cluster], tmp_path: Path, master_key_b64: str
) -> None:
    lagging = service_with_replica(clusters, tmp_path, master_key_b64, max_lag_seconds=0.2)
    async with lagging as service:
        http, producer = service.http, service.producer
        batch = (await register(http, producer, lot="RR-2"))["batch"]
        path = f"/b/{batch['code']}"
        await service.replica.wait_replayed(service.primary)
        await service.replica.pause_replay()
        await event(http, producer, batch["id"], "harvested", {"quantity": kg("5")})
        assert "Harvested" not in (await http.get(path, params=ENGLISH)).text  # found behind
        await asyncio.sleep(0.3)
        assert "Harvested" in (await http.get(path, params=ENGLISH)).text  # from the primary

        # A replica that is down: the request meeting it is told to retry in a moment, and
        # the next ones read from the primary (a worker that had not met it before).
        await service.replica.resume_replay()
        await asyncio.to_thread(service.replica.stop)
        fresh = open_ledger(service.settings)
        transport = httpx.ASGITransport(app=create_app(service.settings, ledger=fresh))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
                met = await other.get(path, params=ENGLISH)
                assert met.status_code == 503 and met.headers["retry-after"] == "5"
                again = await other.get(path, params=ENGLISH)
                assert again.status_code == 200 and "Harvested" in again.text
        finally:
            await fresh.close()
            await asyncio.to_thread(service.replica.start)
