"""The public pages' own reads answer exactly what SQLAlchemy's read transaction answers.

On PostgreSQL the pages read straight through asyncpg (trace/store/driver_reads.py), on
SQLite through ``sqlite3`` in the event loop's thread (trace/store/page_reads.py): both
skip SQLAlchemy's async layer, and so both must give back the same rows, of the same
Python types, under the same names, and so the same pages, byte for byte.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, select

from trace.api.pages import _by_code
from trace.api.resolver import _by_digital_link
from trace.config import Settings
from trace.demo import load_demo
from trace.domain.identifiers import DigitalLink
from trace.public.render import render_page
from trace.public.view import build_view
from trace.store import tables
from trace.store.batches import all_batches
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.page_reads import STATE, LogState, page_reads
from trace.store.tables import agency_keys, batches, records

TODAY = date(2026, 9, 10)
_SOME_BATCHES = select(batches).where(batches.c.id.in_(bindparam("ids", expanding=True)))
_SOME_KEYS = (
    select(agency_keys.c.key_id, agency_keys.c.public_key, agency_keys.c.revoked_at_us)
    .where(agency_keys.c.key_id.in_(bindparam("keys", expanding=True)))
    .order_by(agency_keys.c.key_id)
)
_FIRST_RECORDS = select(records).order_by(records.c.position).limit(3)


def _typed(rows: Any) -> list[list[tuple[type, Any]]]:
    return [[(type(value), value) for value in row] for row in rows]


async def test_every_table_reads_the_same_values_types_and_names_as_through_sqlalchemy(
    settings: Settings, ledger: Ledger
) -> None:
    await load_demo(settings)
    reads = page_reads(ledger.engine)
    every = [getattr(tables, name) for name in dir(tables)]
    statements: list[tuple[Any, dict[str, Any] | None]] = [
        (select(table), None) for table in every if isinstance(table, Table)
    ]
    async with read_transaction(ledger.engine) as conn:
        ids = [batch.id for batch in await all_batches(conn)]
        keys = (await conn.execute(select(agency_keys.c.key_id))).scalars().all()
    statements += [
        (STATE, None),
        (_FIRST_RECORDS, None),
        # Lists of every length the pages meet, and an empty one.
        *((_SOME_BATCHES, {"ids": ids[:n]}) for n in (0, 1, 2, len(ids))),
        (_SOME_KEYS, {"keys": list(keys)}),
        (_SOME_KEYS, {"keys": list(keys)[:1]}),
    ]
    try:
        for statement, parameters in statements:
            async with read_transaction(ledger.engine) as conn:
                result = await conn.execute(statement, parameters)
                names = list(result.keys())
                expected = _typed(result.all())
            for _ in range(2):  # the first time and from the kept form
                async with reads.transaction() as conn:
                    rows = (await conn.execute(statement, parameters)).all()
                assert _typed(rows) == expected, statement
                assert all(list(row._fields) == names for row in rows), (statement, names)
    finally:
        await reads.close()


async def test_every_demo_page_is_the_same_bytes_from_the_page_reads_and_from_sqlalchemy(
    settings: Settings, ledger: Ledger
) -> None:
    await load_demo(settings)
    reads = page_reads(ledger.engine)
    try:
        async with reads.transaction() as conn:
            state = LogState.of((await conn.execute(STATE)).one())
        assert state == await reads.state()
        async with read_transaction(ledger.engine) as conn:
            demo = await all_batches(conn)
        assert len(demo) == 6
        pages = 0
        for batch in demo:
            async with read_transaction(ledger.engine) as conn:
                expected = await build_view(conn, batch, today=TODAY)
                by_code = await _by_code(conn, batch.code)
                by_link = batch.gtin and await _by_digital_link(
                    conn, DigitalLink(batch.gtin, batch.lot or "")
                )
            async with reads.transaction() as conn:
                view = await build_view(conn, batch, today=TODAY)
                assert await _by_code(conn, batch.code) == by_code
                if batch.gtin:
                    link = DigitalLink(batch.gtin, batch.lot or "")
                    assert await _by_digital_link(conn, link) == by_link
            assert view == expected
            for lang in ("vi", "en"):
                page = render_page(view, lang, path=batch.public_path, checkpoint=None)
                assert page == render_page(expected, lang, path=batch.public_path, checkpoint=None)
                pages += 1
        assert pages == 12
    finally:
        await reads.close()
