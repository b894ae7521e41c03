"""Who holds a batch, named as a report may name them.

Agencies are named; a household is a natural person, so it is shown only by its commune
and province unless it consented to its name (Law 91/2025/QH15 on Personal Data
Protection; DESIGN.md, "Agencies, people, keys"), as on the public pages. Places are
named from their codes (trace/domain/places.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from trace.domain.places import commune_name, province_name
from trace.store.database import Reads
from trace.store.tables import agencies

_AGENCIES = select(
    agencies.c.id,
    agencies.c.name,
    agencies.c.kind,
    agencies.c.household,
    agencies.c.public_consent,
    agencies.c.province,
    agencies.c.commune,
).where(agencies.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class Holder:
    """An agency as a report shows it: ``name`` is None for a household without consent."""

    id: str
    kind: str
    household: bool
    name: str | None
    province: str | None
    province_name: str | None
    commune: str | None
    commune_name: str | None

    @property
    def shown(self) -> str:
        """The words a reader sees: the name, or the household's commune and province."""
        if self.name is not None:
            return self.name
        return ", ".join(p for p in (self.commune_name, self.province_name) if p) or "?"


def _holder(row: Any) -> Holder:
    private = bool(row.household) and not row.public_consent
    return Holder(
        row.id,
        row.kind,
        bool(row.household),
        None if private else row.name,
        row.province,
        province_name(row.province) if row.province else None,
        row.commune,
        commune_name(row.commune) if row.commune else None,
    )


async def load_holders(conn: Reads, ids: Iterable[str | None]) -> dict[str, Holder]:
    """The agencies among ``ids`` that exist, by id."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, Holder] = {}
    for start in range(0, len(wanted), 1000):
        rows = await conn.execute(_AGENCIES, {"ids": wanted[start : start + 1000]})
        found.update((row.id, _holder(row)) for row in rows)
    return found
