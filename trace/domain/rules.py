"""Who may record what on a batch, and how each record moves the batch's state.

The store calls :func:`check_permitted` inside the append transaction, with the
batch's current read-model state, and then :func:`next_state` to update it. A
refusal is a :class:`NotPermitted` whose ``rule`` parameter is a stable code
(the catalogue picks the message a person reads by it).

Custody: ``shipped`` names the recipient in ``in_transit_to`` but the shipper
stays the holder until the recipient records ``received``; goods in transit
are held by nobody else, so the holder cannot sell or transform them meanwhile.

On a recalled batch only these remain possible: ``inspected`` and ``recalled``
(an authority keeps examining and may recall again), ``corrected`` (a mistake
must stay correctable), ``received`` (goods already on the road must still
be signed for, so the recall can find where they are) and ``epcis_event`` (a
captured event about the goods, returned or destroyed) and the recall's own steps
(trace/domain/recall_flow.py). Certificates, sales, shipments, production steps and
transformations are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TypeVar

import msgspec

from trace.domain.agency import AgencyKind
from trace.domain.errors import NotPermitted
from trace.domain.kinds import EventKind, Received, Shipped, Sold, Transformed
from trace.domain.recall_flow import STEP_KINDS, RecallContext, check_recall_step

_GOODS_MAKERS = frozenset({AgencyKind.PRODUCER, AgencyKind.PROCESSOR})
_GOODS_HOLDERS = frozenset({AgencyKind.PRODUCER, AgencyKind.PROCESSOR, AgencyKind.DISTRIBUTOR})

PRODUCTION_KINDS = frozenset(
    {
        EventKind.PLANTED,
        EventKind.INPUT_APPLIED,
        EventKind.HARVESTED,
        EventKind.PROCESSED,
        EventKind.PACKED,
    }
)

# DESIGN.md, "Event kinds": the agency kinds that may record each event kind.
# Operators run the ledger and record nothing.
RECORDERS: Mapping[EventKind, frozenset[AgencyKind]] = MappingProxyType(
    {
        EventKind.REGISTERED: _GOODS_MAKERS,
        **{kind: _GOODS_MAKERS for kind in PRODUCTION_KINDS},
        EventKind.INSPECTED: frozenset({AgencyKind.AUTHORITY}),
        EventKind.RECALLED: frozenset({AgencyKind.AUTHORITY}),
        EventKind.CERTIFIED: frozenset({AgencyKind.AUTHORITY, AgencyKind.CERTIFIER}),
        EventKind.SHIPPED: _GOODS_HOLDERS,
        EventKind.RECEIVED: _GOODS_HOLDERS,
        EventKind.SOLD: _GOODS_HOLDERS,
        EventKind.TRANSFORMED: frozenset({AgencyKind.PROCESSOR}),
        EventKind.CORRECTED: frozenset(AgencyKind) - {AgencyKind.OPERATOR},
        # Labels are printed by whoever made the goods, as the label names them.
        EventKind.SERIALISED: _GOODS_MAKERS,
        # Captured EPCIS events: whoever has standing on the batch (see _check_epcis_event).
        EventKind.EPCIS_EVENT: frozenset(AgencyKind) - {AgencyKind.OPERATOR},
        # The recall's steps (trace/domain/recall_flow.py): its authority, and the holders.
        EventKind.RECALL_NOTIFIED: frozenset({AgencyKind.AUTHORITY}),
        EventKind.RECALL_CLOSED: frozenset({AgencyKind.AUTHORITY}),
        EventKind.WITHDRAWN: _GOODS_HOLDERS,
    }
)

# A captured EPCIS event about recalled goods (returned, destroyed, found) must be kept too.
ALLOWED_WHEN_RECALLED = frozenset(
    {
        EventKind.INSPECTED,
        EventKind.RECALLED,
        EventKind.CORRECTED,
        EventKind.RECEIVED,
        EventKind.EPCIS_EVENT,
        *STEP_KINDS,
    }
)
# Agencies that may speak of any batch, as they may inspect or certify it.
_OVERSEERS = frozenset({AgencyKind.AUTHORITY, AgencyKind.CERTIFIER})


@dataclass(frozen=True)
class BatchState:
    """What the rules need to know about a batch, as of record ``version`` (its last seq)."""

    batch_id: str
    producer: str
    holder: str
    in_transit_to: str | None
    recalled: bool
    sold_out: bool
    version: int


_B = TypeVar("_B", bound=msgspec.Struct)


def _body_as(body: msgspec.Struct, body_type: type[_B]) -> _B:
    # A mismatch is a caller bug (the body was not decoded for this kind), not bad input.
    if not isinstance(body, body_type):
        raise TypeError(f"expected a {body_type.__name__} body, got {type(body).__name__}")
    return body


def _refuse(detail: str, rule: str, kind: EventKind, **params: object) -> NotPermitted:
    return NotPermitted(detail, rule=rule, kind=kind.value, **params)


def check_permitted(
    kind: EventKind,
    body: msgspec.Struct,
    *,
    actor_id: str,
    actor_kind: AgencyKind,
    batch: BatchState | None,
    inputs: Mapping[str, BatchState] | None = None,
    corrected_agency: str | None = None,
    recall: RecallContext | None = None,
) -> None:
    """Raise :class:`NotPermitted` unless agency ``actor_id`` may record ``kind`` on ``batch``.

    ``inputs`` holds the states of a transformation's input batches that exist;
    ``corrected_agency`` is the agency that recorded the record a correction points at;
    ``recall`` is the recall a step of the recall workflow names, if it exists.
    """
    if actor_kind not in RECORDERS[kind]:
        raise _refuse(
            f"an agency of kind {actor_kind.value} may not record {kind.value}",
            "kind_not_allowed_for_agency",
            kind,
            agency_kind=actor_kind.value,
        )
    if kind is EventKind.REGISTERED:
        if batch is not None:
            raise _refuse(
                f"batch {batch.batch_id} is already registered",
                "batch_already_registered",
                kind,
                batch=batch.batch_id,
            )
        return
    if batch is None:
        raise _refuse(f"{kind.value} needs a registered batch", "batch_not_registered", kind)
    if batch.recalled and kind not in ALLOWED_WHEN_RECALLED:
        raise _refuse(
            f"batch {batch.batch_id} is recalled", "batch_recalled", kind, batch=batch.batch_id
        )
    if kind in PRODUCTION_KINDS or kind is EventKind.SERIALISED:
        _check_producer(kind, batch, actor_id)
    elif kind is EventKind.SHIPPED:
        _check_shipment(_body_as(body, Shipped), batch, actor_id)
    elif kind is EventKind.RECEIVED:
        _check_receipt(_body_as(body, Received), batch, actor_id)
    elif kind is EventKind.SOLD:
        _check_can_release(kind, batch, actor_id)
    elif kind is EventKind.TRANSFORMED:
        _check_producer(kind, batch, actor_id)
        _check_inputs(_body_as(body, Transformed), batch, actor_id, inputs or {})
    elif kind is EventKind.CORRECTED:
        _check_corrector(batch, actor_id, corrected_agency)
    elif kind is EventKind.EPCIS_EVENT:
        _check_epcis_event(batch, actor_id, actor_kind)
    elif kind in STEP_KINDS:
        check_recall_step(
            kind, recall, actor_id=actor_id, batch_id=batch.batch_id, holder=batch.holder
        )


def _check_producer(kind: EventKind, batch: BatchState, actor_id: str) -> None:
    if actor_id != batch.producer:
        raise _refuse(
            f"only the producer of batch {batch.batch_id} may record {kind.value}",
            "not_batch_producer",
            kind,
            batch=batch.batch_id,
        )


def _check_can_release(kind: EventKind, batch: BatchState, actor_id: str) -> None:
    # Shipping and selling both hand the goods on: only whoever has them, and only once.
    if actor_id != batch.holder:
        raise _refuse(
            f"only the current holder of batch {batch.batch_id} may record {kind.value}",
            "not_current_holder",
            kind,
            batch=batch.batch_id,
        )
    if batch.in_transit_to is not None:
        raise _refuse(
            f"batch {batch.batch_id} is in transit to {batch.in_transit_to}",
            "batch_in_transit",
            kind,
            batch=batch.batch_id,
            to=batch.in_transit_to,
        )
    if batch.sold_out:
        raise _refuse(
            f"batch {batch.batch_id} is sold out", "batch_sold_out", kind, batch=batch.batch_id
        )


def _check_shipment(body: Shipped, batch: BatchState, actor_id: str) -> None:
    _check_can_release(EventKind.SHIPPED, batch, actor_id)
    if body.to == actor_id:
        raise _refuse(
            "a shipment must go to another agency",
            "ship_to_self",
            EventKind.SHIPPED,
            batch=batch.batch_id,
        )


def _check_receipt(body: Received, batch: BatchState, actor_id: str) -> None:
    if batch.in_transit_to != actor_id:
        raise _refuse(
            f"batch {batch.batch_id} is not being shipped to this agency",
            "not_shipment_recipient",
            EventKind.RECEIVED,
            batch=batch.batch_id,
        )
    if body.from_ != batch.holder:
        raise _refuse(
            f"batch {batch.batch_id} was shipped by {batch.holder}, not {body.from_}",
            "shipment_sender_mismatch",
            EventKind.RECEIVED,
            batch=batch.batch_id,
            sender=batch.holder,
        )


def _check_inputs(
    body: Transformed, batch: BatchState, actor_id: str, inputs: Mapping[str, BatchState]
) -> None:
    kind = EventKind.TRANSFORMED
    for item in body.inputs:
        if item.batch == batch.batch_id:
            raise _refuse(
                "a batch cannot be an input of itself", "input_is_output", kind, input=item.batch
            )
        state = inputs.get(item.batch)
        if state is None:
            raise _refuse(
                f"input batch {item.batch} is not registered",
                "input_unknown",
                kind,
                input=item.batch,
            )
        if state.holder != actor_id or state.in_transit_to is not None:
            raise _refuse(
                f"input batch {item.batch} is not held by this agency",
                "input_not_held",
                kind,
                input=item.batch,
            )
        # A recalled input would carry the hazard into the output unseen.
        if state.recalled:
            raise _refuse(
                f"input batch {item.batch} is recalled", "input_recalled", kind, input=item.batch
            )
        if state.sold_out:
            raise _refuse(
                f"input batch {item.batch} is sold out", "input_sold_out", kind, input=item.batch
            )


def _check_epcis_event(batch: BatchState, actor_id: str, actor_kind: AgencyKind) -> None:
    # Its producer, whoever holds it or is about to, and the overseers: not any stranger.
    involved = {batch.producer, batch.holder, batch.in_transit_to}
    if actor_id not in involved and actor_kind not in _OVERSEERS:
        raise _refuse(
            f"only agencies that make, hold, inspect or certify batch {batch.batch_id}"
            " may record EPCIS events on it",
            "not_involved_in_batch",
            EventKind.EPCIS_EVENT,
            batch=batch.batch_id,
        )


def _check_corrector(batch: BatchState, actor_id: str, corrected_agency: str | None) -> None:
    if corrected_agency is None:
        raise _refuse(
            f"the corrected record is not a record of batch {batch.batch_id}",
            "corrected_record_unknown",
            EventKind.CORRECTED,
            batch=batch.batch_id,
        )
    if corrected_agency != actor_id:
        raise _refuse(
            "only the agency that recorded a record may correct it",
            "not_original_recorder",
            EventKind.CORRECTED,
            batch=batch.batch_id,
        )


def next_state(
    state: BatchState | None,
    kind: EventKind,
    body: msgspec.Struct,
    *,
    actor_id: str,
    batch_id: str,
    seq: int,
) -> BatchState:
    """The batch's state after record ``seq`` of ``kind`` by ``actor_id``; ``state`` is unchanged.

    Assumes :func:`check_permitted` accepted the record. A correction changes no
    state: the corrected record stays in force and the correction is shown beside it.
    """
    if state is None:
        if kind is not EventKind.REGISTERED:
            raise ValueError(f"{kind.value} on batch {batch_id}, which is not registered")
        if seq != 1:
            raise ValueError(f"registration must be record 1 of its batch, not {seq}")
        return BatchState(
            batch_id=batch_id,
            producer=actor_id,
            holder=actor_id,
            in_transit_to=None,
            recalled=False,
            sold_out=False,
            version=seq,
        )
    # The read model must advance one record at a time, or it has missed one.
    if batch_id != state.batch_id or seq != state.version + 1:
        raise ValueError(
            f"record {seq} of batch {batch_id} does not follow"
            f" record {state.version} of batch {state.batch_id}"
        )
    if kind is EventKind.SHIPPED:
        return replace(state, in_transit_to=_body_as(body, Shipped).to, version=seq)
    if kind is EventKind.RECEIVED:
        return replace(state, holder=actor_id, in_transit_to=None, version=seq)
    if isinstance(body, Sold):
        return replace(state, sold_out=body.last, version=seq)
    if kind is EventKind.RECALLED:
        return replace(state, recalled=True, version=seq)
    return replace(state, version=seq)
