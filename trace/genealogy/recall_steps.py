"""A recall's steps after it was issued, and the state they bring it to.

The steps (`recall_notified`, `withdrawn`, `recall_closed`; trace/domain/recall_flow.py)
are records of their own, on the recalled batch or on the batches it reaches. The
``recall_steps`` projection indexes them by the position of the recall they name, so a
recall's steps are one indexed query away however many batches hold them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.facts import read_fact
from trace.domain.kinds import EventKind, RecallClosed, RecallNotified, Withdrawn
from trace.domain.recall_flow import STEP_KINDS, RecallState, recall_state
from trace.domain.record import Record
from trace.store.database import Reads
from trace.store.records import to_record
from trace.store.tables import recall_steps, records

NAME = "recall_steps"
StepBody = RecallNotified | Withdrawn | RecallClosed


class _Kind(msgspec.Struct):
    """Just the kind of a statement: most records are skipped on it alone."""

    kind: str


_kind_of = msgspec.json.Decoder(_Kind)
_STEP_VALUES = frozenset(kind.value for kind in STEP_KINDS)
_RECALL_AT = select(records.c.position, records.c.kind).where(
    records.c.record_hash == bindparam("hash")
)


class RecallSteps:
    """The projection that keeps ``recall_steps`` (``catch_up(ledger, RECALL_STEPS)``)."""

    name = NAME

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Index every step of ``records`` under the recall it names."""
        rows: list[dict[str, Any]] = []
        for record in records:
            step = _step_of(record)
            if step is None:
                continue
            kind, agency, body = step
            found = (await conn.execute(_RECALL_AT, {"hash": bytes.fromhex(body.recall)})).first()
            # The append checked the recall; a record changed since is for verify to report.
            if found is None or found.kind != EventKind.RECALLED.value:
                continue
            rows.append(
                {
                    "position": record.position,
                    "recall_position": int(found.position),
                    "kind": kind,
                    "batch_id": record.batch,
                    "agency_id": agency,
                }
            )
        if rows:
            await conn.execute(insert(recall_steps), rows)


RECALL_STEPS = RecallSteps()


def _step_of(record: Record) -> tuple[str, str, StepBody] | None:
    try:
        kind = _kind_of.decode(record.statement).kind
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if kind not in _STEP_VALUES:
        return None
    fact = read_fact(record.statement)
    if isinstance(fact.body, StepBody) and fact.statement is not None:
        return kind, fact.statement.agency, fact.body
    return None


@dataclass(frozen=True, slots=True)
class RecallStep:
    """One step of a recall: its record, who signed it, on which batch, and what it says."""

    kind: EventKind
    record: Record
    agency: str
    occurred_at: str
    body: StepBody


@dataclass(frozen=True)
class RecallProgress:
    """A recall's steps in log order, and the state they bring it to."""

    steps: list[RecallStep]

    @cached_property
    def _withdrawals(self) -> dict[str, list[RecallStep]]:
        # By batch, once: a reach of thousands of batches asks for each.
        found: dict[str, list[RecallStep]] = {}
        for step in self.steps:
            if step.kind is EventKind.WITHDRAWN:
                found.setdefault(step.record.batch, []).append(step)
        return found

    @property
    def state(self) -> RecallState:
        """How far the recall has gone."""
        kinds = [step.kind for step in self.steps]
        return recall_state(
            notified=EventKind.RECALL_NOTIFIED in kinds,
            withdrawals=kinds.count(EventKind.WITHDRAWN),
            closed=EventKind.RECALL_CLOSED in kinds,
        )

    def withdrawals(self, batch_id: str) -> list[RecallStep]:
        """The withdrawals recorded on batch ``batch_id``."""
        return self._withdrawals.get(batch_id, [])

    def withdrawn(self, batch_id: str) -> str:
        """What was withdrawn of batch ``batch_id`` in all, per unit ("120 KGM + 3 XBX");
        empty when nothing was."""
        totals: dict[str, Decimal] = {}
        for step in self.withdrawals(batch_id):
            if isinstance(step.body, Withdrawn):
                unit = step.body.quantity.unit.value
                totals[unit] = totals.get(unit, Decimal(0)) + Decimal(step.body.quantity.value)
        return " + ".join(f"{total.normalize():f} {unit}" for unit, total in totals.items())


_STEPS = (
    select(records)
    .join(recall_steps, recall_steps.c.position == records.c.position)
    .where(recall_steps.c.recall_position == bindparam("recall"))
    .order_by(recall_steps.c.position)
)


async def recall_progress(conn: Reads, recall_position: int) -> RecallProgress:
    """The steps of the recall at ``recall_position`` that the projection has applied."""
    steps = []
    for row in await conn.execute(_STEPS, {"recall": recall_position}):
        record = to_record(row)
        fact = read_fact(record.statement)
        if isinstance(fact.body, StepBody) and fact.statement is not None:
            steps.append(
                RecallStep(
                    EventKind(fact.statement.kind),
                    record,
                    fact.statement.agency,
                    fact.statement.occurred_at,
                    fact.body,
                )
            )
    return RecallProgress(steps)
