"""An EPC pattern's prefix matches identifiers by their characters alone, on both databases.

The prefix is written into the SQL as a ``LIKE`` (PostgreSQL) or ``GLOB`` (SQLite)
pattern, so the characters those patterns give a meaning to must match only themselves:
a lot may hold ``%``, ``_``, ``*`` and ``?`` (trace/domain/kinds.py, ``Lot``).
"""

from __future__ import annotations

from sqlalchemy import insert, select

from trace.epcis.query import _StartsWith
from trace.store.ledger import Ledger
from trace.store.tables import epcis_identifiers

LOTS = ["A%B", "AxB", "A_B", "A*B", "A?B", "A[B", "A\\B", "a%b"]


async def test_a_prefix_with_pattern_characters_matches_only_those_characters(
    ledger: Ledger,
) -> None:
    base = "https://id.gs1.org/01/08936047000012/10/"
    rows = [
        {"position": n, "role": "class", "identifier": f"{base}{lot}/21/1"}
        for n, lot in enumerate(LOTS)
    ]
    async with ledger.engine.begin() as conn:
        await conn.execute(insert(epcis_identifiers), rows)
    async with ledger.engine.connect() as conn:
        for n, lot in enumerate(LOTS):
            column = epcis_identifiers.c.identifier
            found = await conn.execute(
                select(epcis_identifiers.c.position).where(_StartsWith(column, f"{base}{lot}/"))
            )
            assert found.scalars().all() == [n], lot
