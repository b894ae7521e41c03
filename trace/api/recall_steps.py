"""How a recall's steps read in the API: each a signed record with who, where and what."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from trace.api.genealogy import HolderOut
from trace.api.schemas import iso
from trace.domain.kinds import Withdrawn
from trace.domain.quantity import Quantity
from trace.genealogy.holders import Holder, load_holders
from trace.genealogy.recall_steps import RecallProgress, RecallStep
from trace.store.database import Reads


class StepOut(msgspec.Struct):
    """One step of a recall after it was issued: a record of its own.

    ``kind`` is ``recall_notified`` (the authority declared the holders told),
    ``withdrawn`` (a holder took ``quantity`` of batch ``batch_id`` off sale) or
    ``recall_closed`` (the authority closed it). ``position`` and ``record_hash`` name the
    record (``GET /api/v1/records/{position}``); ``agency`` is who signed it.
    """

    kind: str
    position: int
    record_hash: str
    batch_id: str
    agency: HolderOut | None
    occurred_at: str
    recorded_at: str | None
    note: str | None
    quantity: Quantity | None

    @classmethod
    def of(cls, step: RecallStep, agencies: Mapping[str, Holder]) -> StepOut:
        """The view of ``step``; ``agencies`` names its signer."""
        body = step.body
        return cls(
            step.kind.value,
            step.record.position,
            step.record.record_hash.hex(),
            step.record.batch,
            HolderOut.of(agencies.get(step.agency)),
            step.occurred_at,
            iso(step.record.recorded_at_us),
            body.note,
            body.quantity if isinstance(body, Withdrawn) else None,
        )


async def step_signers(conn: Reads, progresses: Iterable[RecallProgress]) -> dict[str, Holder]:
    """The agencies that signed the steps of ``progresses``, by id."""
    return await load_holders(conn, (s.agency for p in progresses for s in p.steps))
