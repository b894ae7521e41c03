"""What a database holds, read in one transaction: the facts a backup and a copy are checked by."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from trace.backup.errors import NoSuchDatabase
from trace.domain.compact_range import edge_root, unpack
from trace.store.database import connect
from trace.store.tables import agency_keys, log_head, metadata, photos, projection_positions

# Rows a freshly migrated database already has: the log's head at size 0 and the positions
# of the projections that migrations start at the log's size.
_MADE_BY_MIGRATIONS = {log_head.name, projection_positions.name}
ALEMBIC_TABLE = "alembic_version"
# PostgreSQL's SQLSTATE for a database that does not exist (invalid_catalog_name).
_NO_SUCH_DATABASE = "3D000"


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The schema revision, the log's size and root, and what the keys and photos number."""

    revision: str
    size: int
    root: bytes
    photos: int
    custodial_keys: int


async def ledger_state(conn: AsyncConnection) -> LedgerState:
    """The state of the ledger as ``conn``'s transaction sees it."""
    revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    head = (await conn.execute(select(log_head.c.size, log_head.c.edge))).one()
    count_photos = (await conn.execute(select(func.count()).select_from(photos))).scalar_one()
    custodial = (
        await conn.execute(
            select(func.count())
            .select_from(agency_keys)
            .where(agency_keys.c.sealed_private_key.is_not(None))
        )
    ).scalar_one()
    return LedgerState(
        revision=str(revision),
        size=int(head.size),
        root=edge_root(unpack(bytes(head.edge), int(head.size))),
        photos=int(count_photos),
        custodial_keys=int(custodial),
    )


async def holdings(engine: AsyncEngine) -> list[str]:
    """What the database holds beyond an empty, migrated ledger: names of tables with rows,
    tables of something else, a log that is not empty. An empty list means empty."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        found = sorted(set(names) - set(metadata.tables) - {ALEMBIC_TABLE})
        for table in metadata.sorted_tables:
            if table.name not in names or table.name in _MADE_BY_MIGRATIONS:
                continue
            if (await conn.execute(select(1).select_from(table).limit(1))).first() is not None:
                found.append(table.name)
        if log_head.name in names:
            size = (await conn.execute(select(func.max(log_head.c.size)))).scalar()
            if size:
                found.append(f"{log_head.name} (size {size})")
    return found


async def database_holdings(url: str) -> list[str]:
    """:func:`holdings` of the database at ``url`` (made, if SQLite, when it is not there)."""
    engine = connect(url, pool_size=1)
    try:
        return await holdings(engine)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _NO_SUCH_DATABASE:
            name = make_url(url).database or ""
            raise NoSuchDatabase("no such database", database=name) from exc
        raise
    finally:
        await engine.dispose()
