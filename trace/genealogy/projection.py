"""The batch graph as a projection of the log: one edge per input of a `transformed` record.

A `transformed` record on batch O listing inputs I1..In (milling, blending, splitting,
merging...) makes the edges I1 -> O ... In -> O, each carrying the record that makes it:
its log position, record hash, process and the quantity of that input. A split is one
input and several outputs, each output recording its own `transformed`; a merge is one
record with several inputs. `shipped` and `received` move a batch between holders
without making a new batch, so they add no edge: where a batch is now is read from the
batch's own read model (``holder_id``, ``in_transit_to``).

A `corrected` record that points at a `transformed` record marks its edges corrected:
the public pages stop following that record when they look for recalls upstream
(trace/public/view.py), and the walks follow the pages, so that a recall's reach lists
exactly the pages that show its banner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.facts import read_fact
from trace.domain.kinds import Corrected, EventKind, Transformed
from trace.domain.record import Record
from trace.store.tables import batch_edges

NAME = "genealogy"


class _Kind(msgspec.Struct):
    """Just the kind of a statement: most records are skipped on it alone."""

    kind: str


_kind_of = msgspec.json.Decoder(_Kind)
_WANTED = frozenset({EventKind.TRANSFORMED.value, EventKind.CORRECTED.value})

_MARK_CORRECTED = (
    update(batch_edges)
    .where(
        and_(
            batch_edges.c.output_id == bindparam("batch"),
            batch_edges.c.record_hash == bindparam("target"),
        )
    )
    .values(corrected=True)
)


class Genealogy:
    """The projection that keeps ``batch_edges`` (``catch_up(ledger, GENEALOGY)``)."""

    name = NAME

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Add the edges of every `transformed` record, then mark corrected ones."""
        edges: list[dict[str, Any]] = []
        corrections: list[dict[str, Any]] = []
        for record in records:
            found = _decoded(record)
            if found is None:
                continue
            body, occurred_at = found
            if isinstance(body, Transformed):
                edges.extend(_edges(record, body, occurred_at))
            else:
                corrections.append({"batch": record.batch, "target": bytes.fromhex(body.corrects)})
        # A correction always follows the record it corrects in the log, so inserting
        # every edge of this run first leaves none of them unmarked.
        if edges:
            await conn.execute(insert(batch_edges), edges)
        for correction in corrections:
            await conn.execute(_MARK_CORRECTED, correction)


GENEALOGY = Genealogy()


def _decoded(record: Record) -> tuple[Transformed | Corrected, str] | None:
    """The body and occurred-at of a `transformed` or `corrected` record; None for others.

    A record whose bytes no longer decode (changed after they were appended) has no edge;
    `python -m trace verify` and the batch's page report it.
    """
    try:
        kind = _kind_of.decode(record.statement).kind
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if kind not in _WANTED:
        return None
    fact = read_fact(record.statement)
    # A record whose only fault is a time outside the window still makes its edges: a
    # recall upstream must reach what was made from it, as the pages' banners do.
    if isinstance(fact.body, Transformed | Corrected) and fact.statement is not None:
        return fact.body, fact.statement.occurred_at
    return None


def _edges(record: Record, body: Transformed, occurred_at: str) -> list[dict[str, Any]]:
    return [
        {
            "position": record.position,
            "input_id": item.batch,
            "output_id": record.batch,
            "record_hash": record.record_hash,
            "process": body.process.value,
            "quantity": item.quantity.value,
            "unit": item.quantity.unit.value,
            "occurred_at": occurred_at,
            "corrected": False,
        }
        for item in body.inputs
    ]
