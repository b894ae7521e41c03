"""The inspectors' audit trail: every query an inspector made, who made it and when.

Inspectors read what producers and traders recorded; the operator must be able to show who
looked at what. Each inspector query is written before it is answered, in its own
transaction, so no query is answered unless its entry is committed. Entries are never
changed: the database refuses UPDATE and DELETE on the table (migration 0007).

Entries are numbered 1, 2, 3... in commit order: the number is drawn while holding the
table's write lock (SQLite's single writer; on PostgreSQL a lock that only writers of this
table take), so whoever reads the trail page by page with ``after`` never skips an entry
that committed late. (This file is not trace/store/audit.py, which audits the ledger.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.record import now_us
from trace.store.agencies import Actor
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import inspector_audit

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class InspectorQuery:
    """One entry: who (agency, token, person), what (method, path, query string), when."""

    id: int
    at_us: int
    agency_id: str
    token_id: str
    person: str
    method: str
    path: str
    query: str


async def record_query(
    ledger: Ledger, actor: Actor, *, method: str, path: str, query: str
) -> InspectorQuery:
    """Write the entry of a query ``actor`` is making; return it once committed."""
    async with write_transaction(ledger.engine) as conn:
        await _lock(conn)
        last = (await conn.execute(select(func.max(inspector_audit.c.id)))).scalar()
        entry = InspectorQuery(
            id=int(last or 0) + 1,
            at_us=now_us(),
            agency_id=actor.agency_id,
            token_id=actor.token_id or "",
            person=actor.person or "",
            method=method,
            path=path,
            query=query,
        )
        await conn.execute(
            inspector_audit.insert().values(
                id=entry.id,
                at_us=entry.at_us,
                agency_id=entry.agency_id,
                token_id=entry.token_id,
                person=entry.person,
                method=entry.method,
                path=entry.path,
                query=entry.query,
            )
        )
    return entry


async def read_queries(ledger: Ledger, *, after: int = 0, limit: int = 100) -> list[InspectorQuery]:
    """Entries numbered above ``after``, oldest first, at most ``limit`` (up to MAX_PAGE)."""
    async with read_transaction(ledger.engine) as conn:
        rows = (
            await conn.execute(
                select(inspector_audit)
                .where(inspector_audit.c.id > after)
                .order_by(inspector_audit.c.id)
                .limit(min(limit, MAX_PAGE))
            )
        ).all()
    return [
        InspectorQuery(r.id, r.at_us, r.agency_id, r.token_id, r.person, r.method, r.path, r.query)
        for r in rows
    ]


async def _lock(conn: AsyncConnection) -> None:
    """Hold the trail's write lock to commit; readers are not blocked."""
    if is_sqlite(conn.engine):
        return  # BEGIN IMMEDIATE already holds the database's only write lock
    # SHARE ROW EXCLUSIVE conflicts with itself and with writers, not with SELECT.
    await conn.execute(text("LOCK TABLE inspector_audit IN SHARE ROW EXCLUSIVE MODE"))
