"""Whether this process can serve: its database answers, at the schema this code needs,
and the keys it signs with open under its master key (``/readyz``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from trace.store.custody import MasterKeyError
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.migrate import current_revision, head_revision
from trace.store.outage import is_unavailable
from trace.store.tables import log_head, log_keys


@dataclass(frozen=True, slots=True)
class Readiness:
    """The outcome of the checks: ``failed`` names the first that failed (``database``,
    ``schema`` or ``keys``), ``None`` when the process is ready."""

    failed: str | None
    schema: str | None = None
    expected: str = ""
    log_size: int = 0
    detail: str = ""


async def check_readiness(ledger: Ledger) -> Readiness:
    """Run the checks in order, each only if the one before it passed; read-only."""
    expected = head_revision()
    try:
        found = await current_revision(ledger.engine)
    except (DBAPIError, OSError) as exc:
        if not is_unavailable(exc) and not isinstance(exc, DBAPIError):
            raise
        return Readiness("database", expected=expected, detail=str(exc).splitlines()[0])
    if found != expected:
        return Readiness("schema", found, expected, detail=f"schema at {found or 'nothing'}")
    try:
        async with read_transaction(ledger.engine) as conn:
            size = int((await conn.execute(select(log_head.c.size))).scalar_one())
            key = (
                await conn.execute(
                    select(log_keys.c.key_id, log_keys.c.sealed_private_key)
                    .order_by(log_keys.c.created_at_us)
                    .limit(1)
                )
            ).first()
    except DBAPIError as exc:
        return Readiness("database", found, expected, detail=str(exc.orig))
    if ledger.log_signer is None and key is not None:
        # The log's key is unsealed at the first checkpoint; a wrong master key would
        # only show then, as checkpoints that stop: say it now.
        try:
            ledger.master_key.unseal(key.key_id, bytes(key.sealed_private_key))
        except MasterKeyError as exc:
            return Readiness("keys", found, expected, size, detail=str(exc))
    return Readiness(None, found, expected, size)
