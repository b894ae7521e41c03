"""The migrations create exactly the tables ``trace/store/tables.py`` declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trace.store.ledger import Ledger
from trace.store.tables import metadata


async def test_migrated_schema_matches_the_table_definitions(ledger: Ledger) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with ledger.engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []
