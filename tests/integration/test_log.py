"""The global Merkle log: proofs of every record and every pair of checkpoints, both databases."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from tests.conftest import ROOT, Cast
from tests.integration.helpers import WHEN, kg, registration
from trace.domain.bundle import verify_bundle
from trace.domain.checkpoint import parse_checkpoint_text
from trace.domain.merkle import hash_leaf, verify_consistency, verify_inclusion
from trace.domain.note import (
    SignatureType,
    cosign,
    generate_signer,
    parse_note,
    parse_verifier_key,
    verifier_key_string,
    verify_note,
)
from trace.store.append import append_unsigned, new_batch_id
from trace.store.checkpoints import LogInconsistent, add_witness, sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import log_head, merkle_nodes, records
from trace.store.tree import prove_consistency, prove_inclusion

ORIGIN = "trace.example.vn/log"


async def grow(ledger: Ledger, cast: Cast, events: int) -> None:
    batch = new_batch_id()
    actor = cast.producer.actor
    await append_unsigned(
        ledger, actor, batch=batch, kind="registered", occurred_at=WHEN,
        body=registration(lot=f"L-{batch[:8]}"),
    )  # fmt: skip
    for n in range(events):
        await append_unsigned(
            ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
            body={"quantity": kg(str(n + 1))},
        )  # fmt: skip


async def test_every_record_is_included_and_every_pair_of_checkpoints_consistent(
    ledger: Ledger, cast: Cast
) -> None:
    signed = []
    for events in (0, 2, 6, 1, 12):
        await grow(ledger, cast, events)
        signed.append(await sign_checkpoint(ledger, ORIGIN))
    async with read_transaction(ledger.engine) as conn:
        leaves = [
            bytes(h)
            for h in (
                await conn.execute(select(records.c.record_hash).order_by(records.c.position))
            ).scalars()
        ]
        for point in signed:
            size, root = point.checkpoint.size, point.checkpoint.root_hash
            for index in range(size):
                proof = await prove_inclusion(conn, index, size)
                verify_inclusion(hash_leaf(leaves[index]), index, size, proof, root)
        for old, new in itertools.combinations(signed, 2):
            proof = await prove_consistency(conn, old.checkpoint.size, new.checkpoint.size)
            verify_consistency(
                old.checkpoint.size,
                new.checkpoint.size,
                old.checkpoint.root_hash,
                new.checkpoint.root_hash,
                proof,
            )
    assert [p.checkpoint.size for p in signed] == [1, 4, 11, 13, 26]


async def test_no_new_checkpoint_without_new_records(ledger: Ledger, cast: Cast) -> None:
    await grow(ledger, cast, 1)
    first = await sign_checkpoint(ledger, ORIGIN)
    again = await sign_checkpoint(ledger, ORIGIN)
    assert again.note == first.note


async def test_ledger_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint(
    ledger: Ledger, cast: Cast
) -> None:
    await grow(ledger, cast, 3)
    await sign_checkpoint(ledger, ORIGIN)
    await grow(ledger, cast, 3)
    # History rewritten behind the ledger's back: the first half of the tree is replaced.
    async with ledger.engine.begin() as conn:
        await conn.execute(
            update(merkle_nodes)
            .where(merkle_nodes.c.level == 2, merkle_nodes.c.idx == 1)
            .values(hash=b"\x11" * 32)
        )
    with pytest.raises(LogInconsistent):
        await sign_checkpoint(ledger, ORIGIN)
    async with ledger.engine.begin() as conn:
        await conn.execute(update(log_head).values(edge=b"\x22" * 32))
    with pytest.raises(LogInconsistent):
        await sign_checkpoint(ledger, ORIGIN)


async def test_api_serves_checkpoint_key_and_proofs_a_client_can_verify(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    for n in range(5):
        response = await client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": registration(lot=f"API-{n}")},
            headers=cast.producer.headers,
        )
        assert response.status_code == 201
    signed = await client.post("/api/v1/log/checkpoint", headers=cast.operator.headers)
    assert signed.status_code == 201
    served = await client.get("/api/v1/log/checkpoint")
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    note = served.text
    assert note == signed.text
    key_line = (await client.get("/api/v1/log/key")).text.splitlines()[0]
    log_key = parse_verifier_key(key_line)
    verify_note(note, [log_key], required=[log_key])
    checkpoint = parse_checkpoint_text(parse_note(note).text)
    assert checkpoint.size == 5 and log_key.name == checkpoint.origin
    leaves = (await client.get("/api/v1/log/records?start=0&end=10")).json()
    assert [leaf["position"] for leaf in leaves] == [0, 1, 2, 3, 4]
    for leaf in leaves:
        proof = (
            await client.get(f"/api/v1/log/proof/inclusion?position={leaf['position']}&size=5")
        ).json()
        verify_inclusion(
            hash_leaf(bytes.fromhex(leaf["record_hash"])),
            leaf["position"],
            5,
            [base64.b64decode(h) for h in proof["hashes"]],
            checkpoint.root_hash,
        )
    too_big = await client.get("/api/v1/log/proof/inclusion?position=0&size=99")
    assert too_big.status_code == 422
    consistency = (await client.get("/api/v1/log/proof/consistency?from=2&to=5")).json()
    assert consistency["from"] == 2 and consistency["to"] == 5


async def test_registered_witness_cosignature_is_served_with_the_checkpoint(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await grow(ledger, cast, 2)
    witness = generate_signer("witness.example.vn", SignatureType.COSIGNATURE_V1)
    note = (await client.get("/api/v1/log/checkpoint")).text
    text = parse_note(note).text
    line = cosign(text, witness, int(time.time()))
    refused = await client.post(
        "/api/v1/log/cosignatures", json={"checkpoint": text, "cosignature": line}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_witness"
    await add_witness(ledger, verifier_key_string(witness.public))
    accepted = await client.post(
        "/api/v1/log/cosignatures", json={"checkpoint": text, "cosignature": line}
    )
    assert accepted.status_code == 201, accepted.text
    served = (await client.get("/api/v1/log/checkpoint")).text
    log_key = parse_verifier_key((await client.get("/api/v1/log/key")).text.splitlines()[0])
    verify_note(served, [log_key, witness.public], required=[log_key, witness.public])
    origin, _size, root = text.splitlines()
    forged = f"{origin}\n999\n{root}\n"
    unknown = await client.post(
        "/api/v1/log/cosignatures",
        json={"checkpoint": forged, "cosignature": cosign(forged, witness, int(time.time()))},
    )
    assert unknown.status_code == 409


async def test_bundle_from_the_api_verifies_offline_and_fails_when_flipped(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, tmp_path: Path
) -> None:
    await grow(ledger, cast, 4)
    response = await client.get("/api/v1/log/records/3/bundle")
    assert response.status_code == 200, response.text
    log_key = (await client.get("/api/v1/log/key")).text.splitlines()[0]
    result = verify_bundle(response.content, log_key=parse_verifier_key(log_key))
    assert result.log_key_pinned and all(check.passed for check in result.checks)
    path = tmp_path / "bundle.json"
    path.write_bytes(response.content)
    ok = await run_cli("verify-bundle", str(path), "--log-key", log_key)
    assert ok.returncode == 0, ok.stderr
    flipped = bytearray(response.content)
    where = response.content.index(b'"signature":"') + 20
    flipped[where] = ord("A") if flipped[where] != ord("A") else ord("B")
    path.write_bytes(bytes(flipped))
    bad = await run_cli("verify-bundle", str(path), "--log-key", log_key)
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout + bad.stderr


async def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trace", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            # No database, no network: an address that cannot be reached.
            env={**os.environ, "TRACE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        )

    return await asyncio.to_thread(run)
