"""How each event kind maps to EPCIS 2.0 events and CBV 2.0 vocabulary (DESIGN.md table)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import msgspec

from trace.domain.kinds import EventKind, Inspected

CBV = "https://ref.gs1.org/cbv/"
# Our own business steps, for kinds CBV 2.0 has no step for. EPCIS wants user
# vocabulary as URIs under a domain its owner controls; ".example" is reserved
# (RFC 2606), so this can never name someone else's vocabulary. A deployment
# that publishes the vocabulary under its own domain changes only this line.
TRACE_VOC = "https://trace.example/voc/"
# CBV error reason for an errorDeclaration whose event happened but was recorded wrongly.
CORRECTION_REASON = f"{CBV}ER-incorrect_data"


def _cbv_step(name: str) -> str:
    return f"{CBV}BizStep-{name}"


def _own_step(name: str) -> str:
    return f"{TRACE_VOC}BizStep-{name}"


def _disposition(name: str) -> str:
    return f"{CBV}Disp-{name}"


@dataclass(frozen=True)
class EpcisMapping:
    """How one kind is expressed as an EPCIS 2.0 event.

    ``event_type`` is None for ``corrected``: it is exported as an
    ``errorDeclaration`` on the corrected event, not as an event of its own; and for
    ``epcis_event``, whose body is the captured event itself, of any type.
    ``body_field`` names the EPCIS field the body fills beyond what/when/where/why.
    """

    event_type: str | None
    action: str | None
    biz_step: str | None
    disposition: str | None = None
    body_field: str | None = None


def _observe(biz_step: str, disposition: str | None = None) -> EpcisMapping:
    return EpcisMapping("ObjectEvent", "OBSERVE", biz_step, disposition)


EPCIS_MAPPINGS: Mapping[EventKind, EpcisMapping] = MappingProxyType(
    {
        EventKind.REGISTERED: EpcisMapping(
            "ObjectEvent", "ADD", _cbv_step("commissioning"), _disposition("active")
        ),
        EventKind.PLANTED: _observe(_own_step("planting")),
        EventKind.INPUT_APPLIED: _observe(_own_step("applying_inputs")),
        EventKind.HARVESTED: _observe(_own_step("harvesting")),
        EventKind.PROCESSED: _observe(_own_step("processing")),
        EventKind.PACKED: _observe(_cbv_step("packing"), _disposition("in_progress")),
        # The disposition follows the body's result: see epcis_disposition().
        EventKind.INSPECTED: _observe(_cbv_step("inspecting")),
        EventKind.CERTIFIED: EpcisMapping(
            "ObjectEvent", "OBSERVE", _own_step("certifying"), body_field="certificationInfo"
        ),
        EventKind.SHIPPED: _observe(_cbv_step("shipping"), _disposition("in_transit")),
        EventKind.RECEIVED: _observe(_cbv_step("receiving"), _disposition("in_progress")),
        EventKind.SOLD: _observe(_cbv_step("retail_selling"), _disposition("retail_sold")),
        EventKind.TRANSFORMED: EpcisMapping("TransformationEvent", None, _own_step("transforming")),
        EventKind.RECALLED: _observe(_own_step("recalling"), _disposition("recalled")),
        EventKind.CORRECTED: EpcisMapping(None, None, None, body_field="errorDeclaration"),
        # Instance-level identifiers (SGTINs) are commissioned: the run's serials are the epcList.
        EventKind.SERIALISED: EpcisMapping(
            "ObjectEvent", "ADD", _cbv_step("commissioning"), _disposition("active"), "epcList"
        ),
        # An event no other kind holds whole is kept, and given back, as it was captured.
        EventKind.EPCIS_EVENT: EpcisMapping(None, None, None, body_field="event"),
        # The recall's steps (trace/domain/recall_flow.py). CBV 2.0 has no step for telling
        # holders or closing a recall: our own steps, the goods still `recalled`. Taking
        # recalled goods off sale is CBV's `holding` (keeping objects out of the normal
        # flow at a location) with the disposition `recalled` (CBV 2.0, sections 7.2, 7.3).
        EventKind.RECALL_NOTIFIED: _observe(
            _own_step("notifying_recall"), _disposition("recalled")
        ),
        EventKind.WITHDRAWN: _observe(_cbv_step("holding"), _disposition("recalled")),
        EventKind.RECALL_CLOSED: _observe(_own_step("closing_recall"), _disposition("recalled")),
    }
)


def epcis_disposition(kind: EventKind, body: msgspec.Struct) -> str | None:
    """The CBV disposition URI of an event of ``kind`` with ``body``, or None if none applies."""
    if isinstance(body, Inspected):
        return _disposition(body.result.value)
    return EPCIS_MAPPINGS[kind].disposition
