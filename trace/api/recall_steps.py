"""How a recall's steps read in the API: each a signed record with who, where and what."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from trace.api.genealogy import HolderOut, QuantityOut
from trace.api.schemas import iso
from trace.domain.kinds import Withdrawn
from trace.genealogy.holders import Holder
from trace.genealogy.recall_steps import RecallStep


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
    quantity: QuantityOut | None

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
            _quantity(body),
        )


def _quantity(body: object) -> QuantityOut | None:
    if not isinstance(body, Withdrawn):
        return None
    return QuantityOut(body.quantity.value, body.quantity.unit.value)
