"""Done-point 2 of issue 16, the hard part: the service is killed (SIGKILL) between a recall's
commit and its delivery, and the holder still gets the notice once, by the same id.

The real service runs as its own process, on the embedded SQLite database and on a
PostgreSQL cluster of the test's own (tests/pgcluster.py: never the shared server). The
holder's receiver is not listening yet when the recall is recorded, so no delivery can
happen before the kill; after the restart the receiver listens, and every arrival must
carry one ``Webhook-Id``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ROOT
from tests.integration.helpers import WHEN, kg, registration
from tests.pgcluster import cluster
from tests.webhook_receiver import free_port, receiving, signed_correctly
from trace.config import load_settings
from trace.domain.agency import AgencyKind
from trace.store.agencies import create_agency
from trace.store.ledger import open_ledger
from trace.store.migrate import migrate


def _environment(data_dir: Path, port: int, database_url: str | None) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    if database_url is not None:
        base["TRACE_DATABASE_URL"] = database_url
    return {
        **base,
        "PYTHONUNBUFFERED": "1",
        "TRACE_DATA_DIR": str(data_dir),
        "TRACE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "TRACE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRACE_WEBHOOK_ALLOW_LOOPBACK": "1",
        "TRACE_WEBHOOK_POLL_SECONDS": "0.2",
        "TRACE_WEBHOOK_RETRY_SECONDS": "0.3",
        "TRACE_WEBHOOK_TIMEOUT_SECONDS": "1",
    }


async def _agencies(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The producer, the distributor that will hold the batch, and the authority."""
    ledger = open_ledger(load_settings(env))
    made = {}
    try:
        for name, kind in (
            ("producer", AgencyKind.PRODUCER),
            ("holder", AgencyKind.DISTRIBUTOR),
            ("authority", AgencyKind.AUTHORITY),
        ):
            agency, _key, token = await create_agency(ledger, name=name, kind=kind)
            made[name] = (agency.id, token)
    finally:
        await ledger.close()
    return made


@contextmanager
def _service(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m trace serve`` until the block ends (or it is killed inside it)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "trace", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("the service did not start")
        yield process
    finally:
        _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the service and its workers (its own session), as a crash would."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _prepare(http: httpx.Client, who: dict[str, tuple[str, str]], hook_url: str) -> tuple[str, str]:
    """A batch held by the holder, and its webhook; the batch's code and the secret."""

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {who[name][1]}"}

    made = http.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(product="Gạo ST25", lot="K9")},
        headers=auth("producer"),
    )
    assert made.status_code == 201, made.text
    batch = made.json()["batch"]
    for member, kind, body in (
        ("producer", "shipped", {"to": who["holder"][0], "quantity": kg("1")}),
        ("holder", "received", {"from": who["producer"][0]}),
    ):
        answer = http.post(
            f"/api/v1/batches/{batch['id']}/events",
            json={"kind": kind, "occurred_at": WHEN, "body": body},
            headers=auth(member),
        )
        assert answer.status_code == 201, answer.text
    hook = http.post(
        "/api/v1/webhooks", json={"url": hook_url, "events": ["recall"]}, headers=auth("holder")
    )
    assert hook.status_code == 201, hook.text
    return batch["code"], hook.json()["secret"]


_DELIVERED = "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'"


def _delivered(database: Path, database_url: str | None) -> int:
    """How many notices the stopped service's database says were delivered."""
    if database_url is not None:

        async def count() -> int:
            conn = await asyncpg.connect(database_url)
            try:
                return int(await conn.fetchval(_DELIVERED))
            finally:
                await conn.close()

        return asyncio.run(count())
    with closing(sqlite3.connect(database)) as db:
        return int(db.execute(_DELIVERED).fetchone()[0])


@contextmanager
def _database(backend: str) -> Iterator[str | None]:
    """None for the service's own SQLite file; a throwaway PostgreSQL cluster's URL."""
    if backend == "sqlite":
        yield None
        return
    with cluster() as pg:
        yield asyncio.run(pg.create_database("trace"))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_recall_notice_survives_a_kill_between_commit_and_delivery(
    tmp_path: Path, backend: str
) -> None:
    with _database(backend) as database_url:
        _kill_between_commit_and_delivery(tmp_path, database_url)


def _kill_between_commit_and_delivery(tmp_path: Path, database_url: str | None) -> None:
    port, receiver_port = free_port(), free_port()
    (tmp_path / "data").mkdir()
    env = _environment(tmp_path / "data", port, database_url)
    migrate(load_settings(env).database_url)
    who = asyncio.run(_agencies(env))
    base = f"http://127.0.0.1:{port}"
    with _service(env, port) as service, httpx.Client(base_url=base, timeout=10) as http:
        code, secret = _prepare(http, who, f"http://127.0.0.1:{receiver_port}/hook")
        recalled = http.post(
            "/api/v1/recalls",
            json={"batch": code, "reason": "Vượt giới hạn cadimi", "severity": "class_1"},
            headers={"Authorization": f"Bearer {who['authority'][1]}"},
        )
        assert recalled.status_code == 201, recalled.text
        _kill(service)  # committed, not delivered: nobody listens at the receiver's port yet
    assert _delivered(tmp_path / "data" / "trace.sqlite3", database_url) == 0
    with receiving(receiver_port) as holder, _service(env, port):
        holder.wait(1, within=15)
        time.sleep(0.7)  # a second notice, were there one, would arrive by now
    ids = {a.headers["Webhook-Id"] for a in holder.arrivals}
    assert len(ids) == 1, holder.arrivals
    assert all(signed_correctly(a, secret) for a in holder.arrivals)
    assert f'"id":{recalled.json()["id"]}' in holder.arrivals[0].body.decode()
