"""Records the ledger no longer accepts, stored as an older version of it would have.

Records are immutable: a record accepted before a check existed (a harvest in year 1,
a certificate valid until 9999) stays in the ledger for ever, and every reader must
still answer for it. :func:`append_unchecked` stores such a record through the real
append transaction (trace/store/group.py), signed with the agency's custodial key, with
only the checks that need no database skipped (trace/store/append.py ``to_pending``):
the record is intact, its signature valid, its chain unbroken.
"""

from __future__ import annotations

import hashlib
from typing import Any

from trace.domain.kinds import EventKind, decode_body
from trace.domain.statement import parse_statement, statement_hash
from trace.store.agencies import Actor, active_custodial_key, private_key
from trace.store.append import custody_signed
from trace.store.database import read_transaction, write_transaction
from trace.store.group import Appended, Pending, append_group
from trace.store.ledger import Ledger


async def append_unchecked(
    ledger: Ledger,
    actor: Actor,
    *,
    batch: str,
    kind: str,
    occurred_at: str,
    body: dict[str, Any],
) -> Appended:
    """Append a server-signed statement without the edge's checks of its times."""
    async with read_transaction(ledger.engine) as conn:
        key_id = await active_custodial_key(conn, actor.agency_id)
        secret = await private_key(ledger, conn, key_id)
    signed = custody_signed(
        actor.agency_id, key_id, secret, batch=batch, kind=kind, occurred_at=occurred_at, body=body
    )
    statement = parse_statement(signed.statement)
    pending = Pending(
        actor,
        signed,
        statement,
        EventKind(kind),
        decode_body(kind, statement.body),
        statement_hash(signed.statement),
        None,
        hashlib.sha256(signed.statement).digest(),
        None,
    )
    async with write_transaction(ledger.engine) as conn:
        (outcome,) = await append_group(conn, [pending], tree=ledger.maintain_tree)
    assert isinstance(outcome, Appended), outcome
    return outcome
