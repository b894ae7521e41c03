"""How an agency appears in open data: an organisation by name, a household by place only.

A household is a natural person (Law 91/2025/QH15 on Personal Data Protection): its
name, its identifiers and its keys never leave the ledger in an export, whatever it
consented to for the public page, because open data may be reused by anyone for any
purpose. It appears as "a household of commune X, province Y". The same rule as the
public pages' (trace/public/view.py), without the consent exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from trace.store.database import Reads
from trace.store.tables import agencies


@dataclass(frozen=True, slots=True)
class Party:
    """An agency as an export shows it: ``id`` and ``name`` are None for a household."""

    id: str | None
    name: str | None
    kind: str | None
    household: bool
    province: str | None
    commune: str | None


UNKNOWN = Party(None, None, None, False, None, None)

_AGENCIES = select(
    agencies.c.id,
    agencies.c.name,
    agencies.c.kind,
    agencies.c.household,
    agencies.c.province,
    agencies.c.commune,
)


def public_party(
    agency_id: str, name: str, kind: str, household: bool, province: str | None, commune: str | None
) -> Party:
    """The export's view of one ``agencies`` row."""
    if household:
        return Party(None, None, kind, True, province, commune)
    return Party(agency_id, name, kind, False, province, commune)


async def load_parties(conn: Reads) -> Mapping[str, Party]:
    """Every agency's public view by id (agencies are few: thousands, not millions)."""
    rows = await conn.execute(_AGENCIES)
    return {
        row.id: public_party(
            row.id, row.name, row.kind, bool(row.household), row.province, row.commune
        )
        for row in rows
    }
