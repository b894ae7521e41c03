"""The read side of batches: look-ups by id or public code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.identifiers import DigitalLink
from trace.store.errors import NotFound
from trace.store.tables import batches


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch as its read model holds it."""

    id: str
    code: str
    product: str
    gtin: str | None
    lot: str
    province: str | None
    producer_id: str
    holder_id: str
    in_transit_to: str | None
    recalled: bool
    sold_out: bool
    version: int
    head_hash: bytes
    updated_at_us: int

    @property
    def public_path(self) -> str:
        """The path of its public page: GS1 Digital Link with a GTIN, else ``/b/{code}``."""
        if self.gtin:
            return DigitalLink(self.gtin, self.lot).path()
        return f"/b/{self.code}"


def to_batch(row: Any) -> Batch:
    """The :class:`Batch` of a ``batches`` row."""
    return Batch(
        row.id,
        row.code,
        row.product,
        row.gtin,
        row.lot,
        row.province,
        row.producer_id,
        row.holder_id,
        row.in_transit_to,
        row.recalled,
        row.sold_out,
        row.version,
        bytes(row.head_hash),
        row.updated_at_us,
    )


async def find_batch(conn: AsyncConnection, ref: str) -> Batch:
    """The batch whose id or public code is ``ref``; raise :class:`NotFound` otherwise."""
    row = (
        await conn.execute(
            select(batches).where(or_(batches.c.id == ref, batches.c.code == ref.upper()))
        )
    ).first()
    if row is None:
        raise NotFound(f"no batch {ref}", what="batch", id=ref)
    return to_batch(row)


async def all_batches(conn: AsyncConnection) -> list[Batch]:
    """Every batch, in order of registration."""
    rows = (await conn.execute(select(batches).order_by(batches.c.registered_position))).all()
    return [to_batch(row) for row in rows]


async def batch_names(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, str]:
    """How a reader names each batch among ``ids`` that exists: "product · code", by id."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        rows = await conn.execute(
            select(batches.c.id, batches.c.product, batches.c.code).where(
                batches.c.id.in_(wanted[start : start + 1000])
            )
        )
        found |= {row.id: f"{row.product} · {row.code}" for row in rows}
    return found
