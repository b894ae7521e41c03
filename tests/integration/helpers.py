"""Small builders shared by the integration tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import log_head, records

WHEN = "2026-09-01T07:00:00+07:00"


def registration(product: str = "Bưởi Diễn", lot: str = "BD-1", **extra: Any) -> dict[str, Any]:
    """A valid `registered` body."""
    return {"product": product, "lot": lot, "origin": {"province": "01"}, **extra}


async def register(client: Any, member: Any, **body: Any) -> dict[str, Any]:
    """Register a batch through the API as ``member``; the answer's JSON."""
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(**body)},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def record(client: Any, member: Any, batch: str, kind: str, body: dict[str, Any]) -> Any:
    """Append a server-signed event to ``batch`` through the API as ``member``; the answer."""
    response = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={"kind": kind, "occurred_at": WHEN, "body": body},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def kg(value: str) -> dict[str, str]:
    """A quantity in kilograms."""
    return {"value": value, "unit": "KGM"}


async def stored(ledger: Ledger) -> tuple[int, int]:
    """How many records exist and how large the log says it is: both must not move on a refusal."""
    async with read_transaction(ledger.engine) as conn:
        count = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
        size = (await conn.execute(select(log_head.c.size))).scalar_one()
    return int(count), int(size)
