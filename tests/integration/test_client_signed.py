"""Statements signed on the agency's own device with `python -m trace sign`."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Member, make_member
from tests.integration.helpers import WHEN, registration, stored
from trace.domain.agency import AgencyKind
from trace.domain.statement import sign_statement
from trace.store.ledger import Ledger


async def cli(*args: str) -> str:
    """Run `python -m trace ARGS` from the project root; return its standard output."""

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "trace", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return await asyncio.to_thread(run)


async def external_producer(ledger: Ledger, tmp_path: Path, name: str) -> tuple[Member, Path]:
    """A producer that keeps its own key: `keygen` writes it, the ledger gets the public half."""
    key_file = tmp_path / f"{name}.key"
    made = json.loads(await cli("keygen", "--out", str(key_file)))
    member = await make_member(
        ledger, name, AgencyKind.PRODUCER, public_key=base64.b64decode(made["public_key"])
    )
    assert member.key_id == made["key_id"]
    return member, key_file


async def signed_registration(member: Member, key_file: Path, batch: str) -> dict[str, Any]:
    out = await cli(
        "sign",
        "--key", str(key_file),
        "--agency", member.id,
        "--batch", batch,
        "--kind", "registered",
        "--occurred-at", WHEN,
        "--body", json.dumps(registration(lot="TU-KY-1"), ensure_ascii=False),
    )  # fmt: skip
    return dict(json.loads(out))


@pytest.fixture
async def signer(ledger: Ledger, tmp_path: Path) -> tuple[Member, Path]:
    return await external_producer(ledger, tmp_path, "HTX Tự Ký")


async def post(client: httpx.AsyncClient, member: Member, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/records", json=body, headers=member.headers)


async def test_statement_from_sign_command_is_accepted(
    client: httpx.AsyncClient, signer: tuple[Member, Path]
) -> None:
    member, key_file = signer
    body = await signed_registration(member, key_file, str(uuid.uuid4()))
    response = await post(client, member, body)
    assert response.status_code == 201, response.text
    record = response.json()["record"]
    assert record["statement"] == body["statement"] and record["signature"] == body["signature"]
    assert record["key_id"] == member.key_id


async def test_one_changed_byte_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path]
) -> None:
    member, key_file = signer
    body = await signed_registration(member, key_file, str(uuid.uuid4()))
    data = base64.b64decode(body["statement"]).replace(b"TU-KY-1", b"TU-KY-2")
    before = await stored(ledger)
    response = await post(client, member, {**body, "statement": base64.b64encode(data).decode()})
    assert response.status_code == 422 and response.json()["code"] == "invalid_signature"
    assert await stored(ledger) == before


async def test_statement_signed_with_another_agencys_key_is_refused(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path], tmp_path: Path
) -> None:
    member, _ = signer
    _other, other_key = await external_producer(ledger, tmp_path, "HTX Khác")
    body = await signed_registration(member, other_key, str(uuid.uuid4()))
    before = await stored(ledger)
    response = await post(client, member, body)
    assert response.status_code == 422
    assert response.json()["code"] == "key_not_usable" and response.json()["reason"] == "unknown"
    assert await stored(ledger) == before


async def test_statement_signed_with_a_revoked_key_is_refused(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path]
) -> None:
    member, key_file = signer
    revoked = await client.post(
        f"/api/v1/agencies/{member.id}/keys/{member.key_id}/revoke",
        json={"reason": "Điện thoại bị mất"},
        headers=member.headers,
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    body = await signed_registration(member, key_file, str(uuid.uuid4()))
    before = await stored(ledger)
    response = await post(client, member, {**body})
    assert response.status_code == 422
    assert response.json()["code"] == "key_not_usable" and response.json()["reason"] == "revoked"
    assert await stored(ledger) == before


async def test_validly_signed_but_non_canonical_statement_is_refused(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path]
) -> None:
    member, key_file = signer
    body = await signed_registration(member, key_file, str(uuid.uuid4()))
    canonical = json.loads(base64.b64decode(body["statement"]))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    secret = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_file.read_text()))
    for variant in (
        json.dumps(canonical, ensure_ascii=False, indent=1).encode(),
        json.dumps(
            dict(reversed(canonical.items())), ensure_ascii=False, separators=(",", ":")
        ).encode(),
        json.dumps(canonical, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode(),
    ):
        before = await stored(ledger)
        response = await post(
            client,
            member,
            {
                **body,
                "statement": base64.b64encode(variant).decode(),
                "signature": base64.b64encode(sign_statement(secret, variant)).decode(),
            },
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "not_canonical"
        assert await stored(ledger) == before


async def test_rotated_key_keeps_old_records_valid_and_signs_no_new_ones(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path], tmp_path: Path
) -> None:
    member, key_file = signer
    first = await post(
        client, member, await signed_registration(member, key_file, str(uuid.uuid4()))
    )
    assert first.status_code == 201
    new_key = json.loads(await cli("keygen", "--out", str(tmp_path / "new.key")))
    rotated = await client.post(
        f"/api/v1/agencies/{member.id}/keys",
        json={"public_key": new_key["public_key"], "rotate": True},
        headers=member.headers,
    )
    assert rotated.status_code == 201 and rotated.json()["key_id"] == new_key["key_id"]
    stale = await post(
        client, member, await signed_registration(member, key_file, str(uuid.uuid4()))
    )
    assert stale.status_code == 422 and stale.json()["reason"] == "retired"
    batch = first.json()["batch"]["id"]
    report = (await client.get(f"/api/v1/batches/{batch}/verify")).json()
    assert report["intact"] is True


async def test_the_same_signed_statement_sent_twice_is_stored_once(
    client: httpx.AsyncClient, ledger: Ledger, signer: tuple[Member, Path]
) -> None:
    member, key_file = signer
    body = await signed_registration(member, key_file, str(uuid.uuid4()))
    first = await post(client, member, body)
    before = await stored(ledger)
    again = await post(client, member, body)
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json()["record"] == first.json()["record"]
    assert await stored(ledger) == before
