"""Inspector tokens: scoped, unable to write production events, and every query audited."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import POSTGRES_URL, Cast, Member, _in_thread
from tests.integration.helpers import WHEN, kg, record, register, registration, stored
from trace.domain.agency import AgencyKind
from trace.domain.record import now_us
from trace.domain.scopes import ALLOWED, format_scopes
from trace.domain.statement import Statement, encode_statement, new_nonce, sign_statement
from trace.store.agencies import Actor, private_key
from trace.store.audit_trail import read_queries, record_query
from trace.store.database import connect, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.migrate import MIGRATIONS
from trace.store.tables import inspector_audit, tokens

TRAIL = "/api/v1/audit/inspector-queries"


async def token(
    client: httpx.AsyncClient, issuer: Member, agency: str, person: str, scopes: list[str]
) -> dict[str, str]:
    """A new token of ``agency`` with ``scopes``, made by ``issuer``; its headers."""
    response = await client.post(
        f"/api/v1/agencies/{agency}/tokens",
        json={"person": person, "scopes": scopes},
        headers=issuer.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["scopes"] == sorted(scopes)
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def signed(ledger: Ledger, member: Member, batch: str, kind: str, body: Any) -> Any:
    """A statement signed on the client side with the member's key, as POST /records takes."""
    async with read_transaction(ledger.engine) as conn:
        secret = await private_key(ledger, conn, member.key_id)
    data = encode_statement(
        Statement(1, batch, kind, WHEN, member.id, member.key_id, body, new_nonce())
    )
    return {
        "statement": base64.b64encode(data).decode(),
        "signature": base64.b64encode(sign_statement(secret, data)).decode(),
        "key_id": member.key_id,
    }


INSPECTION = {
    "laboratory": "Phòng thử nghiệm",
    "samples": [{"code": "M1"}],
    "analytes": [
        {
            "name": "Pb",
            "value": "0.01",
            "limit": "0.1",
            "unit": "mg/kg",
            "method": "ICP-MS",
            "result": "conformant",
        }
    ],
    "result": "conformant",
}
CERTIFICATE = {
    "scheme": "vietgap",
    "certificate_number": "VG-1",
    "issuer": "Trung tâm",
    "valid_from": "2026-01-01",
    "valid_until": "2027-01-01",
}


async def test_an_inspector_token_cannot_write_production_events(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    inspector = await token(
        client, cast.authority, cast.authority.id, "Thanh tra Lê Văn Bình", ["inspect", "recall"]
    )
    batch = (await register(client, cast.producer))["batch"]["id"]
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("/api/v1/batches", "register", {"occurred_at": WHEN, "body": registration(lot="X-1")}),
        *(
            (
                f"/api/v1/batches/{batch}/events",
                kind,
                {"kind": kind, "occurred_at": WHEN, "body": b},
            )
            for kind, b in (
                ("harvested", {"quantity": kg("1")}),
                ("inspected", INSPECTION),
                ("certified", CERTIFICATE),
                ("shipped", {"to": cast.distributor.id}),
            )
        ),
        (
            "/api/v1/records",
            "client-signed inspected",
            await signed(ledger, cast.authority, batch, "inspected", INSPECTION),
        ),
        (f"/api/v1/batches/{batch}/label-runs", "label run", {"count": 3}),
    ]
    before = await stored(ledger)
    for path, what, body in attempts:
        for lang, words in (("vi", "quyền ghi ('record')"), ("en", "'record' scope")):
            response = await client.post(
                path, json=body, headers={**inspector, "Accept-Language": lang}
            )
            assert response.status_code == 403, (what, response.text)
            problem = response.json()
            assert problem["code"] == "forbidden" and problem["rule"] == "scope_record", what
            assert words in problem["detail"], (what, problem["detail"])
    assert await stored(ledger) == before
    # The same person's agency records with a token that may: scopes narrow a token only.
    await record(client, cast.authority, batch, "inspected", INSPECTION)
    # An inspector with `recall` may recall; one with `inspect` alone may not.
    reader = await token(
        client, cast.operator, cast.authority.id, "Thanh tra Hồ Thị Cúc", ["inspect"]
    )
    refused = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={
            "kind": "recalled",
            "occurred_at": WHEN,
            "body": {"reason": "x", "severity": "class_1"},
        },
        headers=reader,
    )
    assert refused.status_code == 403 and refused.json()["rule"] == "scope_recall"
    recalled = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={
            "kind": "recalled",
            "occurred_at": WHEN,
            "body": {"reason": "x", "severity": "class_1"},
        },
        headers=inspector,
    )
    assert recalled.status_code == 201, recalled.text
    # Nor does an inspector token manage tokens or keys.
    for path, body in (
        (f"/api/v1/agencies/{cast.authority.id}/tokens", {"person": "khác"}),
        (f"/api/v1/agencies/{cast.authority.id}/keys", {}),
    ):
        response = await client.post(path, json=body, headers=inspector)
        assert response.status_code == 403 and response.json()["rule"] == "scope_admin"


async def test_a_token_holds_only_scopes_its_agency_kind_can_use(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    url = f"/api/v1/agencies/{cast.producer.id}/tokens"
    for scopes, code in (
        (["inspect"], "scope_not_allowed"),
        (["recall", "record"], "scope_not_allowed"),
        ([], "scope_not_allowed"),
        (["root"], "bad_request"),
    ):
        response = await client.post(
            url, json={"person": "x", "scopes": scopes}, headers=cast.producer.headers
        )
        assert response.status_code == 400 and response.json()["code"] == code, response.text
    # Without scopes, every scope of the kind, as before scopes existed.
    made = await client.post(url, json={"person": "Tổ trưởng"}, headers=cast.producer.headers)
    assert made.status_code == 201 and made.json()["scopes"] == ["admin", "record"]
    clerk = await token(client, cast.producer, cast.producer.id, "Thủ kho", ["record"])
    listed = (await client.get(url, headers=cast.producer.headers)).json()
    assert {t["person"]: t["scopes"] for t in listed} == {
        "admin": ["admin", "record"],
        "Tổ trưởng": ["admin", "record"],
        "Thủ kho": ["record"],
    }
    # A recording clerk records but does not manage tokens; nor search, as a producer.
    assert (
        await client.post(
            "/api/v1/batches", json={"occurred_at": WHEN, "body": registration()}, headers=clerk
        )
    ).status_code == 201
    assert (await client.post(url, json={"person": "y"}, headers=clerk)).status_code == 403
    # An inspector's agency with an inspect-less token may not search.
    blind = await token(client, cast.certifier, cast.certifier.id, "Kế toán", ["record"])
    refused = await client.get("/api/v1/batches", headers=blind)
    assert refused.status_code == 403 and refused.json()["rule"] == "scope_inspect"


async def test_every_inspector_query_is_in_the_audit_trail_once(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer, product="Bưởi Diễn"))["batch"]
    inspector = await token(
        client, cast.authority, cast.authority.id, "Thanh tra Lê Văn Bình", ["inspect"]
    )
    ids = {
        t["person"]: t["id"]
        for member in (cast.authority, cast.certifier)
        for t in (
            await client.get(f"/api/v1/agencies/{member.id}/tokens", headers=member.headers)
        ).json()
    }
    queries: list[tuple[dict[str, str], str, str, str]] = [
        # (headers, path, query string as sent, token's person)
        (
            inspector,
            "/api/v1/batches",
            "q=bu%E1%BB%9Fi+di%E1%BB%85n&sort=product",
            "Thanh tra Lê Văn Bình",
        ),
        (inspector, "/api/v1/batches", "province=01&limit=0", "Thanh tra Lê Văn Bình"),  # 400
        (inspector, "/api/v1/batches", "cursor=forged", "Thanh tra Lê Văn Bình"),  # 400
        (cast.certifier.headers, "/api/v1/batches", "", "admin"),
        (inspector, f"/api/v1/batches/{batch['code']}/records", "limit=5", "Thanh tra Lê Văn Bình"),
        (inspector, "/api/v1/batches", "q=buoi", "Thanh tra Lê Văn Bình"),
    ]
    started = now_us()
    statuses = []
    for headers, path, query, _ in queries:
        statuses.append(
            (await client.get(f"{path}?{query}" if query else path, headers=headers)).status_code
        )
    # Not inspectors' queries: no token, a producer's token (refused), a non-inspector reader.
    assert (await client.get("/api/v1/batches", headers=cast.producer.headers)).status_code == 403
    assert (await client.get(f"/api/v1/batches/{batch['id']}/records")).status_code == 200
    assert (
        await client.get(f"/api/v1/batches/{batch['id']}/records", headers=cast.producer.headers)
    ).status_code == 200
    ended = now_us()
    assert statuses == [200, 400, 400, 200, 200, 200]

    entries: list[dict[str, Any]] = []
    after = 0
    while True:  # two at a time, as the operator pages through the trail
        page = (
            await client.get(
                TRAIL, params={"after": after, "limit": 2}, headers=cast.operator.headers
            )
        ).json()
        entries += page["entries"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [e["id"] for e in entries] == list(range(1, len(queries) + 1))
    assert [(e["path"], e["query"], e["person"]) for e in entries] == [
        (path, query, person) for _, path, query, person in queries
    ]
    for entry, (_, _, _, person) in zip(entries, queries, strict=True):
        agency = cast.certifier.id if person == "admin" else cast.authority.id
        assert entry["agency_id"] == agency and entry["token_id"] == ids[person]
        assert entry["method"] == "GET"
        assert started <= entry["at_us"] <= ended
        assert entry["at"].endswith("Z") and entry["at"][:19] < "9999"
    assert [e["at_us"] for e in entries] == sorted(e["at_us"] for e in entries)
    # Only the operator reads the trail, and only with an admin token.
    for headers in (cast.authority.headers, inspector, cast.producer.headers):
        assert (await client.get(TRAIL, headers=headers)).status_code == 403
    watcher = await token(client, cast.operator, cast.operator.id, "Giám sát", ["inspect"])
    assert (await client.get(TRAIL, headers=watcher)).json()["rule"] == "scope_admin"
    assert (await client.get(TRAIL)).status_code == 401


async def test_the_audit_trail_cannot_be_changed_or_emptied(cast: Cast, ledger: Ledger) -> None:
    actor = Actor(cast.authority.id, AgencyKind.AUTHORITY, "t-1", person="Thanh tra")
    for number in range(3):
        await record_query(ledger, actor, method="GET", path="/api/v1/batches", query=f"n={number}")
    changes = [
        "UPDATE inspector_audit SET person = 'ai đó' WHERE id = 2",
        "UPDATE inspector_audit SET id = id + 10",
        "DELETE FROM inspector_audit WHERE id = 1",
        "DELETE FROM inspector_audit",
    ]
    if ledger.engine.dialect.name == "postgresql":
        changes.append("TRUNCATE inspector_audit")
    for change in changes:
        with pytest.raises(DBAPIError, match="append-only"):
            async with write_transaction(ledger.engine) as conn:
                await conn.execute(text(change))
    entries = await read_queries(ledger)
    assert [(e.id, e.person, e.query) for e in entries] == [
        (1, "Thanh tra", "n=0"),
        (2, "Thanh tra", "n=1"),
        (3, "Thanh tra", "n=2"),
    ]
    async with read_transaction(ledger.engine) as conn:
        assert len((await conn.execute(select(inspector_audit))).all()) == 3


async def test_concurrent_queries_are_numbered_in_commit_order_without_gaps(
    cast: Cast, ledger: Ledger
) -> None:
    actor = Actor(cast.authority.id, AgencyKind.AUTHORITY, "t-1", person="Thanh tra")
    made = await asyncio.gather(
        *(record_query(ledger, actor, method="GET", path="/p", query=str(n)) for n in range(20))
    )
    assert sorted(e.id for e in made) == list(range(1, 21))
    assert [e.id for e in await read_queries(ledger, limit=100)] == list(range(1, 21))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def test_tokens_made_before_scopes_keep_their_agencys_powers(
    backend: str, tmp_path: Path
) -> None:
    """Migration 0007 gives each existing token every scope of its agency's kind."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        name = f"trace_upgrade_{id(tmp_path)}"
        admin = make_url(POSTGRES_URL).set(drivername="postgresql")
        try:
            conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.skip(f"PostgreSQL is not available: {exc}")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = admin.set(database=name).render_as_string(hide_password=False)
    _in_thread(lambda: command.upgrade(alembic_config(url), "0006"))
    engine = connect(url)
    try:
        async with engine.begin() as conn:
            for number, kind in enumerate(AgencyKind):
                await conn.execute(
                    text(
                        "INSERT INTO agencies (id, name, kind, household, public_consent, "
                        "created_at_us) VALUES (:id, :name, :kind, false, false, 0)"
                    ),
                    {"id": f"a-{number}", "name": kind.value, "kind": kind.value},
                )
                await conn.execute(
                    text(
                        "INSERT INTO tokens (id, agency_id, person, token_hash, created_at_us) "
                        "VALUES (:id, :agency, 'p', :hash, 0)"
                    ),
                    {"id": f"t-{number}", "agency": f"a-{number}", "hash": f"h{number}"},
                )
        _in_thread(lambda: command.upgrade(alembic_config(url), "head"))
        async with engine.connect() as conn:
            found = dict(
                (
                    await conn.execute(select(tokens.c.id, tokens.c.scopes).order_by(tokens.c.id))
                ).all()
            )
    finally:
        await engine.dispose()
        if backend != "sqlite":
            conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
    assert found == {
        f"t-{number}": format_scopes(ALLOWED[kind]) for number, kind in enumerate(AgencyKind)
    }
    assert found["t-3"] == "admin inspect recall record"  # an authority's
