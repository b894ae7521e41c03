"""Running and checking the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.store.errors import NotMigrated

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` up to the newest schema (blocking; no event loop running)."""
    command.upgrade(_config(url), "head")


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(_config("sqlite://")).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's migration revision, or None if it was never migrated."""
    async with engine.connect() as conn:
        try:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except DBAPIError:
            return None


async def require_current_schema(engine: AsyncEngine) -> None:
    """Raise :class:`NotMigrated` unless the database is at the newest migration."""
    found = await current_revision(engine)
    if found != head_revision():
        raise NotMigrated(
            f"the database schema is at {found or 'nothing'}, not {head_revision()}",
            found=found or "-",
            expected=head_revision(),
        )
