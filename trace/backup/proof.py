"""The proof that a restored or copied ledger is the one it came from.

Four things, each read from the new database: its log has the size and root the original
had (so every record hash, and through them every statement byte and signature, is the
same); the audit of every chain, signature, tree node and checkpoint finds nothing
(`verify`); every custodial key and the log's key open under the master key, so the
service can sign again; and every photo's bytes still hash to the name statements give it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.backup.errors import CopyDiffers
from trace.backup.state import LedgerState, ledger_state
from trace.config import Settings
from trace.store.audit import AuditReport, audit
from trace.store.custody import MasterKey, MasterKeyError
from trace.store.database import read_transaction
from trace.store.ledger import open_ledger
from trace.store.migrate import require_current_schema
from trace.store.tables import agency_keys, log_keys, photos


@dataclass(frozen=True, slots=True)
class Proof:
    """What the new database was found to hold, and the audit's report."""

    state: LedgerState
    report: AuditReport


async def prove(settings: Settings, size: int, root: bytes) -> Proof:
    """Check the ledger ``settings`` names against the log ``size`` and ``root`` it must have.

    Raises :class:`CopyDiffers` for a different log, a key that does not open or a photo
    whose bytes changed; the audit's faults are in the report, as `verify` prints them.
    """
    ledger = open_ledger(settings)
    try:
        await require_current_schema(ledger.engine)
        async with read_transaction(ledger.engine) as conn:
            state = await ledger_state(conn)
            if (state.size, state.root) != (size, root):
                raise CopyDiffers(
                    "log differs",
                    reason="log",
                    found_size=state.size,
                    found_root=base64.b64encode(state.root).decode(),
                    size=size,
                    root=base64.b64encode(root).decode(),
                )
            await _keys_open(conn, ledger.master_key)
            await _photos_match(conn)
        report = await audit(ledger)
    finally:
        await ledger.close()
    return Proof(state, report)


async def _keys_open(conn: AsyncConnection, master_key: MasterKey) -> None:
    sealed = [
        *(await conn.execute(select(agency_keys.c.key_id, agency_keys.c.sealed_private_key))),
        *(await conn.execute(select(log_keys.c.key_id, log_keys.c.sealed_private_key))),
    ]
    for key_id, sealed_key in sealed:
        if sealed_key is None:
            continue  # the agency keeps this key itself
        try:
            master_key.unseal(key_id, bytes(sealed_key))
        except (MasterKeyError, ValueError) as exc:
            raise CopyDiffers(str(exc), reason="key", key=key_id) from exc


async def _photos_match(conn: AsyncConnection) -> None:
    result = await conn.stream(select(photos.c.sha256, photos.c.data).order_by(photos.c.sha256))
    async for name, data in result:
        if hashlib.sha256(bytes(data)).hexdigest() != name:
            raise CopyDiffers(name, reason="photo", photo=name)
