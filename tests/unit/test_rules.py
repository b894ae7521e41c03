"""Who may record what on a batch, and how records move its custody and status."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import pytest

from tests.unit.test_kinds import PALLET_EVENT, PALLET_HASH
from trace.domain.agency import AgencyKind
from trace.domain.errors import NotPermitted
from trace.domain.kinds import (
    Corrected,
    EpcisEvent,
    EventKind,
    Harvested,
    Recalled,
    Received,
    Severity,
    Shipped,
    Sold,
    Transformed,
    TransformInput,
    TransformProcess,
    decode_body,
)
from trace.domain.quantity import Quantity, Unit
from trace.domain.recall_flow import STEP_KINDS, RecallContext, RecallState, recall_state
from trace.domain.rules import RECORDERS, BatchState, check_permitted, next_state

COOPERATIVE = "11111111-1111-4111-8111-111111111111"
NEIGHBOUR_FARM = "22222222-2222-4222-8222-222222222222"
MILL = "33333333-3333-4333-8333-333333333333"
DISTRIBUTOR = "44444444-4444-4444-8444-444444444444"
RETAILER = "55555555-5555-4555-8555-555555555555"
AUTHORITY = "66666666-6666-4666-8666-666666666666"
OPERATOR = "77777777-7777-4777-8777-777777777777"

POMELO = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
PADDY_A = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
PADDY_B = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
RICE = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"

KG = Quantity(value="5000", unit=Unit.KILOGRAM)

# DESIGN.md, "Event kinds", written out again here so a change to the table in
# rules.py has to be a deliberate change to this one too.
EXPECTED_RECORDERS = {
    EventKind.REGISTERED: {"producer", "processor"},
    EventKind.PLANTED: {"producer", "processor"},
    EventKind.INPUT_APPLIED: {"producer", "processor"},
    EventKind.HARVESTED: {"producer", "processor"},
    EventKind.PROCESSED: {"producer", "processor"},
    EventKind.PACKED: {"producer", "processor"},
    EventKind.INSPECTED: {"authority"},
    EventKind.CERTIFIED: {"authority", "certifier"},
    EventKind.SHIPPED: {"producer", "processor", "distributor"},
    EventKind.RECEIVED: {"producer", "processor", "distributor"},
    EventKind.SOLD: {"producer", "processor", "distributor"},
    EventKind.TRANSFORMED: {"processor"},
    EventKind.RECALLED: {"authority"},
    EventKind.CORRECTED: {"producer", "processor", "distributor", "authority", "certifier"},
    EventKind.SERIALISED: {"producer", "processor"},
    EventKind.EPCIS_EVENT: {"producer", "processor", "distributor", "authority", "certifier"},
    EventKind.RECALL_NOTIFIED: {"authority"},
    EventKind.WITHDRAWN: {"producer", "processor", "distributor"},
    EventKind.RECALL_CLOSED: {"authority"},
}

BODIES: dict[EventKind, msgspec.Struct] = {
    EventKind.REGISTERED: decode_body(
        "registered", {"product": "Bưởi Phúc Trạch", "lot": "PT-1", "origin": {"province": "42"}}
    ),
    EventKind.PLANTED: decode_body("planted", {"crop": "Lúa", "area": "T-12"}),
    EventKind.INPUT_APPLIED: decode_body(
        "input_applied",
        {
            "input_kind": "fertiliser",
            "product": "NPK 16-16-8",
            "dose": {"value": "300", "unit": "KGM", "per": "HAR"},
            "applied_to": "T-12",
        },
    ),
    EventKind.HARVESTED: Harvested(quantity=KG),
    EventKind.PROCESSED: decode_body("processed", {"process": "Phơi khô"}),
    EventKind.PACKED: decode_body("packed", {"package_type": "Bao 25 kg", "count": 200}),
    EventKind.INSPECTED: decode_body(
        "inspected",
        {
            "laboratory": "Trung tâm Kiểm nghiệm",
            "samples": [{"code": "M-1"}],
            "analytes": [
                {
                    "name": "Cadmi (Cd)",
                    "value": "0.01",
                    "unit": "mg/kg",
                    "method": "ICP-MS",
                    "result": "conformant",
                }
            ],
            "result": "conformant",
        },
    ),
    EventKind.CERTIFIED: decode_body(
        "certified",
        {
            "scheme": "vietgap",
            "certificate_number": "VG-0123",
            "issuer": "Tổ chức chứng nhận",
            "valid_from": "2026-01-10",
            "valid_until": "2029-01-09",
        },
    ),
    EventKind.SHIPPED: Shipped(to=DISTRIBUTOR),
    EventKind.RECEIVED: Received(from_=COOPERATIVE),
    EventKind.SOLD: Sold(),
    EventKind.TRANSFORMED: Transformed(
        process=TransformProcess.MILLING,
        inputs=(TransformInput(batch=PADDY_A, quantity=KG),),
    ),
    EventKind.RECALLED: Recalled(reason="Vượt giới hạn cadmi", severity=Severity.CLASS_2),
    EventKind.CORRECTED: Corrected(corrects="ab" * 32, reason="Nhập nhầm khối lượng"),
    EventKind.SERIALISED: decode_body(
        "serialised",
        {
            "run": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
            "count": 2,
            "first": "7K3M9Q2XW4HJ8C",
            "last": "Q0ZR5T8VXB2N4A",
            "serials_sha256": "ab" * 32,
        },
    ),
    EventKind.EPCIS_EVENT: EpcisEvent(event=PALLET_EVENT, event_hash=PALLET_HASH),
    EventKind.RECALL_NOTIFIED: decode_body("recall_notified", {"recall": "cd" * 32}),
    EventKind.WITHDRAWN: decode_body(
        "withdrawn", {"recall": "cd" * 32, "quantity": {"value": "40", "unit": "KGM"}}
    ),
    EventKind.RECALL_CLOSED: decode_body(
        "recall_closed", {"recall": "cd" * 32, "note": "Đã tiêu huỷ toàn bộ"}
    ),
}


def batch(
    batch_id: str = POMELO,
    *,
    producer: str = COOPERATIVE,
    holder: str | None = None,
    in_transit_to: str | None = None,
    recalled: bool = False,
    sold_out: bool = False,
    version: int = 3,
) -> BatchState:
    return BatchState(
        batch_id=batch_id,
        producer=producer,
        holder=holder or producer,
        in_transit_to=in_transit_to,
        recalled=recalled,
        sold_out=sold_out,
        version=version,
    )


@dataclass(frozen=True)
class Case:
    """A situation in which ``actor`` may record the kind."""

    actor: str
    state: BatchState | None
    inputs: Mapping[str, BatchState] | None = None
    corrected_agency: str | None = None
    recall: RecallContext | None = None


def recall_of(
    batch_id: str = POMELO, authority: str = COOPERATIVE, **changes: Any
) -> RecallContext:
    fields = {"reaches": True, "corrected": False, "closed": False, **changes}
    return RecallContext(position=7, batch=batch_id, authority=authority, **fields)


def allowed_case(kind: EventKind, actor: str) -> Case:
    if kind is EventKind.REGISTERED:
        return Case(actor, None)
    if kind is EventKind.RECEIVED:
        return Case(actor, batch(holder=COOPERATIVE, in_transit_to=actor))
    if kind is EventKind.TRANSFORMED:
        return Case(actor, batch(RICE, producer=actor), {PADDY_A: batch(PADDY_A, producer=actor)})
    if kind is EventKind.CORRECTED:
        return Case(actor, batch(), corrected_agency=actor)
    if kind in STEP_KINDS:
        return Case(actor, batch(holder=actor), recall=recall_of(authority=actor))
    return Case(actor, batch(producer=actor))


def check(
    kind: EventKind, kind_of_actor: AgencyKind, case: Case, body: msgspec.Struct | None = None
) -> None:
    check_permitted(
        kind,
        BODIES[kind] if body is None else body,
        actor_id=case.actor,
        actor_kind=kind_of_actor,
        batch=case.state,
        inputs=case.inputs,
        corrected_agency=case.corrected_agency,
        recall=case.recall,
    )


def refused(
    kind: EventKind, kind_of_actor: AgencyKind, case: Case, body: msgspec.Struct | None = None
) -> str:
    with pytest.raises(NotPermitted) as caught:
        check(kind, kind_of_actor, case, body)
    assert caught.value.params["kind"] == kind.value
    return str(caught.value.params["rule"])


# --- which agency kinds record which kinds ------------------------------------


def test_recorders_table_matches_the_design() -> None:
    actual = {kind: {agency.value for agency in kinds} for kind, kinds in RECORDERS.items()}
    assert actual == EXPECTED_RECORDERS


FORBIDDEN_PAIRS = [
    (kind, agency)
    for kind, agency in itertools.product(EventKind, AgencyKind)
    if agency.value not in EXPECTED_RECORDERS[kind]
]
ALLOWED_PAIRS = [
    (kind, agency)
    for kind, agency in itertools.product(EventKind, AgencyKind)
    if agency.value in EXPECTED_RECORDERS[kind]
]


@pytest.mark.parametrize(("kind", "agency_kind"), FORBIDDEN_PAIRS)
def test_agency_kind_outside_the_table_is_refused(kind: EventKind, agency_kind: AgencyKind) -> None:
    rule = refused(kind, agency_kind, allowed_case(kind, OPERATOR))
    assert rule == "kind_not_allowed_for_agency"


@pytest.mark.parametrize(("kind", "agency_kind"), ALLOWED_PAIRS)
def test_agency_kind_in_the_table_may_record(kind: EventKind, agency_kind: AgencyKind) -> None:
    check(kind, agency_kind, allowed_case(kind, MILL))


def test_operator_may_not_even_correct() -> None:
    case = Case(OPERATOR, batch(), corrected_agency=OPERATOR)
    assert refused(EventKind.CORRECTED, AgencyKind.OPERATOR, case) == "kind_not_allowed_for_agency"


# --- registration -----------------------------------------------------------------


def test_registering_an_existing_batch_is_refused() -> None:
    rule = refused(EventKind.REGISTERED, AgencyKind.PRODUCER, Case(COOPERATIVE, batch()))
    assert rule == "batch_already_registered"


def test_registering_a_new_batch_is_allowed() -> None:
    check(EventKind.REGISTERED, AgencyKind.PRODUCER, Case(COOPERATIVE, None))


@pytest.mark.parametrize("kind", [k for k in EventKind if k is not EventKind.REGISTERED])
def test_any_other_kind_on_an_unregistered_batch_is_refused(kind: EventKind) -> None:
    agency_kind = next(a for a in AgencyKind if a.value in EXPECTED_RECORDERS[kind])
    case = replace(allowed_case(kind, MILL), state=None)
    assert refused(kind, agency_kind, case) == "batch_not_registered"


# --- production -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        EventKind.PLANTED,
        EventKind.INPUT_APPLIED,
        EventKind.HARVESTED,
        EventKind.PROCESSED,
        EventKind.PACKED,
        EventKind.SERIALISED,
    ],
)
def test_production_step_by_another_producer_is_refused(kind: EventKind) -> None:
    case = Case(NEIGHBOUR_FARM, batch(producer=COOPERATIVE))
    assert refused(kind, AgencyKind.PRODUCER, case) == "not_batch_producer"


def test_producer_may_record_a_harvest_late_after_shipping_the_goods() -> None:
    case = Case(COOPERATIVE, batch(producer=COOPERATIVE, holder=DISTRIBUTOR))
    check(EventKind.HARVESTED, AgencyKind.PRODUCER, case)


# --- shipping, receiving, selling -------------------------------------------------


def test_shipping_by_someone_other_than_the_holder_is_refused() -> None:
    case = Case(COOPERATIVE, batch(producer=COOPERATIVE, holder=DISTRIBUTOR))
    body = Shipped(to=RETAILER)
    assert refused(EventKind.SHIPPED, AgencyKind.PRODUCER, case, body) == "not_current_holder"


def test_holder_may_ship_to_another_agency() -> None:
    case = Case(DISTRIBUTOR, batch(holder=DISTRIBUTOR))
    check(EventKind.SHIPPED, AgencyKind.DISTRIBUTOR, case, Shipped(to=RETAILER))


def test_shipping_goods_already_in_transit_is_refused() -> None:
    case = Case(COOPERATIVE, batch(in_transit_to=DISTRIBUTOR))
    body = Shipped(to=RETAILER)
    assert refused(EventKind.SHIPPED, AgencyKind.PRODUCER, case, body) == "batch_in_transit"


def test_shipping_a_recalled_batch_is_refused() -> None:
    case = Case(COOPERATIVE, batch(recalled=True))
    assert refused(EventKind.SHIPPED, AgencyKind.PRODUCER, case) == "batch_recalled"


def test_shipping_a_sold_out_batch_is_refused() -> None:
    case = Case(COOPERATIVE, batch(sold_out=True))
    assert refused(EventKind.SHIPPED, AgencyKind.PRODUCER, case) == "batch_sold_out"


def test_shipping_to_oneself_is_refused() -> None:
    body = Shipped(to=COOPERATIVE)
    assert refused(EventKind.SHIPPED, AgencyKind.PRODUCER, Case(COOPERATIVE, batch()), body) == (
        "ship_to_self"
    )


def test_receiving_by_someone_other_than_the_recipient_is_refused() -> None:
    case = Case(RETAILER, batch(in_transit_to=DISTRIBUTOR))
    assert refused(EventKind.RECEIVED, AgencyKind.DISTRIBUTOR, case) == "not_shipment_recipient"


def test_receiving_a_batch_that_was_not_shipped_is_refused() -> None:
    case = Case(DISTRIBUTOR, batch())
    assert refused(EventKind.RECEIVED, AgencyKind.DISTRIBUTOR, case) == "not_shipment_recipient"


def test_recipient_may_receive() -> None:
    check(
        EventKind.RECEIVED,
        AgencyKind.DISTRIBUTOR,
        Case(DISTRIBUTOR, batch(in_transit_to=DISTRIBUTOR)),
    )


def test_receiving_from_someone_other_than_the_shipper_is_refused() -> None:
    case = Case(DISTRIBUTOR, batch(in_transit_to=DISTRIBUTOR))
    body = Received(from_=NEIGHBOUR_FARM)
    rule = refused(EventKind.RECEIVED, AgencyKind.DISTRIBUTOR, case, body)
    assert rule == "shipment_sender_mismatch"


def test_selling_by_someone_other_than_the_holder_is_refused() -> None:
    case = Case(RETAILER, batch(holder=DISTRIBUTOR))
    assert refused(EventKind.SOLD, AgencyKind.DISTRIBUTOR, case) == "not_current_holder"


def test_holder_may_sell() -> None:
    check(EventKind.SOLD, AgencyKind.DISTRIBUTOR, Case(RETAILER, batch(holder=RETAILER)))


def test_selling_a_recalled_batch_is_refused() -> None:
    case = Case(RETAILER, batch(holder=RETAILER, recalled=True))
    assert refused(EventKind.SOLD, AgencyKind.DISTRIBUTOR, case) == "batch_recalled"


def test_selling_a_sold_out_batch_is_refused() -> None:
    case = Case(RETAILER, batch(holder=RETAILER, sold_out=True))
    assert refused(EventKind.SOLD, AgencyKind.DISTRIBUTOR, case) == "batch_sold_out"


def test_selling_goods_still_in_transit_is_refused() -> None:
    case = Case(DISTRIBUTOR, batch(holder=DISTRIBUTOR, in_transit_to=RETAILER))
    assert refused(EventKind.SOLD, AgencyKind.DISTRIBUTOR, case) == "batch_in_transit"


# --- transformations --------------------------------------------------------------


def milling(*batches: str) -> Transformed:
    return Transformed(
        process=TransformProcess.MILLING,
        inputs=tuple(TransformInput(batch=b, quantity=KG) for b in batches),
    )


def mill_case(**inputs: BatchState) -> Case:
    return Case(MILL, batch(RICE, producer=MILL), {s.batch_id: s for s in inputs.values()})


def test_transformation_by_a_processor_that_did_not_register_the_output_is_refused() -> None:
    case = Case(MILL, batch(RICE, producer=COOPERATIVE), {PADDY_A: batch(PADDY_A, producer=MILL)})
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "not_batch_producer"


def test_transformation_of_held_inputs_is_allowed() -> None:
    case = mill_case(a=batch(PADDY_A, holder=MILL), b=batch(PADDY_B, holder=MILL))
    check(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A, PADDY_B))


def test_transformation_of_an_unregistered_input_is_refused() -> None:
    case = mill_case(a=batch(PADDY_A, holder=MILL))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A, PADDY_B))
    assert rule == "input_unknown"


def test_transformation_without_input_states_treats_inputs_as_unknown() -> None:
    case = Case(MILL, batch(RICE, producer=MILL), None)
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "input_unknown"


def test_transformation_of_an_input_held_by_another_agency_is_refused() -> None:
    case = mill_case(a=batch(PADDY_A, holder=COOPERATIVE))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "input_not_held"


def test_transformation_of_an_input_the_mill_has_shipped_away_is_refused() -> None:
    case = mill_case(a=batch(PADDY_A, holder=MILL, in_transit_to=DISTRIBUTOR))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "input_not_held"


def test_transformation_of_a_recalled_input_is_refused() -> None:
    case = mill_case(a=batch(PADDY_A, holder=MILL, recalled=True))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "input_recalled"


def test_transformation_of_a_sold_out_input_is_refused() -> None:
    case = mill_case(a=batch(PADDY_A, holder=MILL, sold_out=True))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(PADDY_A))
    assert rule == "input_sold_out"


def test_batch_that_is_its_own_input_is_refused() -> None:
    case = mill_case(a=batch(RICE, producer=MILL))
    rule = refused(EventKind.TRANSFORMED, AgencyKind.PROCESSOR, case, milling(RICE))
    assert rule == "input_is_output"


# --- corrections ------------------------------------------------------------------


def test_correction_by_an_agency_that_did_not_record_the_original_is_refused() -> None:
    case = Case(AUTHORITY, batch(), corrected_agency=COOPERATIVE)
    assert refused(EventKind.CORRECTED, AgencyKind.AUTHORITY, case) == "not_original_recorder"


def test_correction_by_the_original_recorder_is_allowed() -> None:
    check(
        EventKind.CORRECTED,
        AgencyKind.AUTHORITY,
        Case(AUTHORITY, batch(), corrected_agency=AUTHORITY),
    )


def test_correction_of_an_unknown_record_is_refused() -> None:
    case = Case(COOPERATIVE, batch(), corrected_agency=None)
    assert refused(EventKind.CORRECTED, AgencyKind.PRODUCER, case) == "corrected_record_unknown"


# --- captured EPCIS events -------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "agency_kind", "state"),
    [
        (COOPERATIVE, AgencyKind.PRODUCER, batch(producer=COOPERATIVE, holder=DISTRIBUTOR)),
        (DISTRIBUTOR, AgencyKind.DISTRIBUTOR, batch(producer=COOPERATIVE, holder=DISTRIBUTOR)),
        (RETAILER, AgencyKind.DISTRIBUTOR, batch(holder=DISTRIBUTOR, in_transit_to=RETAILER)),
        (AUTHORITY, AgencyKind.AUTHORITY, batch(producer=COOPERATIVE)),
    ],
)
def test_epcis_events_are_kept_from_agencies_involved_with_the_batch(
    actor: str, agency_kind: AgencyKind, state: BatchState
) -> None:
    check(EventKind.EPCIS_EVENT, agency_kind, Case(actor, state))


def test_an_epcis_event_from_an_agency_unrelated_to_the_batch_is_refused() -> None:
    case = Case(NEIGHBOUR_FARM, batch(producer=COOPERATIVE, holder=DISTRIBUTOR))
    rule = refused(EventKind.EPCIS_EVENT, AgencyKind.PRODUCER, case)
    assert rule == "not_involved_in_batch"


# --- recalled batches -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "agency_kind"),
    [
        (EventKind.INSPECTED, AgencyKind.AUTHORITY),
        (EventKind.RECALLED, AgencyKind.AUTHORITY),
        (EventKind.CORRECTED, AgencyKind.PRODUCER),
        (EventKind.RECEIVED, AgencyKind.DISTRIBUTOR),
        (EventKind.EPCIS_EVENT, AgencyKind.DISTRIBUTOR),
        (EventKind.RECALL_NOTIFIED, AgencyKind.AUTHORITY),
        (EventKind.WITHDRAWN, AgencyKind.DISTRIBUTOR),
        (EventKind.RECALL_CLOSED, AgencyKind.AUTHORITY),
    ],
)
def test_recalled_batch_still_accepts_inspection_recall_correction_and_receipt(
    kind: EventKind, agency_kind: AgencyKind
) -> None:
    case = allowed_case(kind, DISTRIBUTOR)
    assert case.state is not None
    check(kind, agency_kind, replace(case, state=replace(case.state, recalled=True)))


@pytest.mark.parametrize(
    ("kind", "agency_kind"),
    [
        (EventKind.HARVESTED, AgencyKind.PRODUCER),
        (EventKind.PACKED, AgencyKind.PROCESSOR),
        (EventKind.CERTIFIED, AgencyKind.CERTIFIER),
        (EventKind.TRANSFORMED, AgencyKind.PROCESSOR),
        (EventKind.SOLD, AgencyKind.DISTRIBUTOR),
    ],
)
def test_recalled_batch_refuses_production_certificates_sales_and_transformation(
    kind: EventKind, agency_kind: AgencyKind
) -> None:
    case = allowed_case(kind, MILL)
    assert case.state is not None
    recalled = replace(case, state=replace(case.state, recalled=True))
    assert refused(kind, agency_kind, recalled) == "batch_recalled"


# --- the recall's steps ------------------------------------------------------------


def test_withdrawal_by_an_agency_not_holding_the_batch_is_refused() -> None:
    case = Case(MILL, batch(holder=DISTRIBUTOR), recall=recall_of())
    assert refused(EventKind.WITHDRAWN, AgencyKind.PROCESSOR, case) == "not_current_holder"


def test_withdrawal_from_a_batch_the_recall_does_not_reach_is_refused() -> None:
    case = Case(DISTRIBUTOR, batch(holder=DISTRIBUTOR), recall=recall_of(reaches=False))
    rule = refused(EventKind.WITHDRAWN, AgencyKind.DISTRIBUTOR, case)
    assert rule == "recall_does_not_reach_batch"


def test_only_the_issuing_authority_tells_holders_and_closes_on_the_recalled_batch() -> None:
    for kind in (EventKind.RECALL_NOTIFIED, EventKind.RECALL_CLOSED):
        other = Case(MILL, batch(), recall=recall_of(authority=AUTHORITY))
        assert refused(kind, AgencyKind.AUTHORITY, other) == "not_recall_authority"
        elsewhere = Case(AUTHORITY, batch(), recall=recall_of(RICE, authority=AUTHORITY))
        assert refused(kind, AgencyKind.AUTHORITY, elsewhere) == "recall_not_of_batch"


@pytest.mark.parametrize(
    ("recall", "rule"),
    [
        (None, "recall_unknown"),
        (recall_of(authority=AUTHORITY, closed=True), "recall_closed"),
        (recall_of(authority=AUTHORITY, corrected=True), "recall_corrected"),
    ],
)
def test_no_step_names_an_unknown_closed_or_corrected_recall(
    recall: RecallContext | None, rule: str
) -> None:
    for kind, agency_kind in (
        (EventKind.RECALL_CLOSED, AgencyKind.AUTHORITY),
        (EventKind.WITHDRAWN, AgencyKind.DISTRIBUTOR),
    ):
        case = Case(AUTHORITY, batch(holder=AUTHORITY, recalled=True), recall=recall)
        assert refused(kind, agency_kind, case) == rule


def test_a_recalls_state_is_the_furthest_step_recorded() -> None:
    assert recall_state(notified=False, withdrawals=0, closed=False) is RecallState.ISSUED
    assert recall_state(notified=True, withdrawals=0, closed=False) is RecallState.NOTIFIED
    assert recall_state(notified=False, withdrawals=2, closed=False) is RecallState.WITHDRAWING
    assert recall_state(notified=True, withdrawals=2, closed=True) is RecallState.CLOSED


# --- state transitions ------------------------------------------------------------


def test_registration_makes_the_registering_agency_producer_and_holder() -> None:
    state = next_state(
        None,
        EventKind.REGISTERED,
        BODIES[EventKind.REGISTERED],
        actor_id=COOPERATIVE,
        batch_id=POMELO,
        seq=1,
    )
    assert state == BatchState(POMELO, COOPERATIVE, COOPERATIVE, None, False, False, 1)


def test_shipping_marks_the_recipient_but_keeps_the_holder() -> None:
    state = next_state(
        batch(),
        EventKind.SHIPPED,
        Shipped(to=DISTRIBUTOR),
        actor_id=COOPERATIVE,
        batch_id=POMELO,
        seq=4,
    )
    assert (state.holder, state.in_transit_to, state.version) == (COOPERATIVE, DISTRIBUTOR, 4)


def test_receiving_hands_custody_to_the_recipient() -> None:
    before = batch(in_transit_to=DISTRIBUTOR)
    body = Received(from_=COOPERATIVE)
    state = next_state(
        before, EventKind.RECEIVED, body, actor_id=DISTRIBUTOR, batch_id=POMELO, seq=4
    )
    assert (state.holder, state.in_transit_to, state.producer) == (DISTRIBUTOR, None, COOPERATIVE)


def test_last_sale_marks_the_batch_sold_out() -> None:
    state = next_state(
        batch(), EventKind.SOLD, Sold(last=True), actor_id=COOPERATIVE, batch_id=POMELO, seq=4
    )
    assert state.sold_out


def test_a_partial_sale_leaves_the_batch_on_sale() -> None:
    state = next_state(
        batch(), EventKind.SOLD, Sold(), actor_id=COOPERATIVE, batch_id=POMELO, seq=4
    )
    assert not state.sold_out


def test_recall_marks_the_batch_recalled() -> None:
    body = BODIES[EventKind.RECALLED]
    state = next_state(
        batch(), EventKind.RECALLED, body, actor_id=AUTHORITY, batch_id=POMELO, seq=4
    )
    assert state.recalled


@pytest.mark.parametrize("kind", [EventKind.CORRECTED, EventKind.INSPECTED, EventKind.HARVESTED])
def test_other_kinds_only_advance_the_version(kind: EventKind) -> None:
    before = batch(recalled=False)
    state = next_state(before, kind, BODIES[kind], actor_id=AUTHORITY, batch_id=POMELO, seq=4)
    assert state == replace(before, version=4)


def test_a_skipped_record_number_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not follow"):
        next_state(
            batch(version=3), EventKind.SOLD, Sold(), actor_id=COOPERATIVE, batch_id=POMELO, seq=5
        )


def test_a_record_for_another_batch_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not follow"):
        next_state(batch(), EventKind.SOLD, Sold(), actor_id=COOPERATIVE, batch_id=RICE, seq=4)


def test_a_first_record_that_is_not_a_registration_is_an_error() -> None:
    with pytest.raises(ValueError, match="not registered"):
        next_state(None, EventKind.SOLD, Sold(), actor_id=COOPERATIVE, batch_id=POMELO, seq=1)


def test_a_body_of_the_wrong_kind_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="Shipped"):
        check(EventKind.SHIPPED, AgencyKind.PRODUCER, Case(COOPERATIVE, batch()), Sold())


def test_pomelo_from_cooperative_to_retail_shelf() -> None:
    """Every step is checked, then applied, as the append transaction does."""
    steps: list[tuple[EventKind, msgspec.Struct, str, AgencyKind]] = [
        (EventKind.REGISTERED, BODIES[EventKind.REGISTERED], COOPERATIVE, AgencyKind.PRODUCER),
        (EventKind.HARVESTED, BODIES[EventKind.HARVESTED], COOPERATIVE, AgencyKind.PRODUCER),
        (EventKind.SHIPPED, Shipped(to=DISTRIBUTOR), COOPERATIVE, AgencyKind.PRODUCER),
        (EventKind.RECEIVED, Received(from_=COOPERATIVE), DISTRIBUTOR, AgencyKind.DISTRIBUTOR),
        (EventKind.SHIPPED, Shipped(to=RETAILER), DISTRIBUTOR, AgencyKind.DISTRIBUTOR),
        (EventKind.RECEIVED, Received(from_=DISTRIBUTOR), RETAILER, AgencyKind.DISTRIBUTOR),
        (EventKind.INSPECTED, BODIES[EventKind.INSPECTED], AUTHORITY, AgencyKind.AUTHORITY),
        (EventKind.SOLD, Sold(last=True), RETAILER, AgencyKind.DISTRIBUTOR),
    ]
    state: BatchState | None = None
    for seq, (kind, body, actor, agency_kind) in enumerate(steps, start=1):
        check_permitted(kind, body, actor_id=actor, actor_kind=agency_kind, batch=state)
        state = next_state(state, kind, body, actor_id=actor, batch_id=POMELO, seq=seq)
    assert state == BatchState(POMELO, COOPERATIVE, RETAILER, None, False, True, len(steps))
    with pytest.raises(NotPermitted):
        check_permitted(
            EventKind.SHIPPED,
            Shipped(to=DISTRIBUTOR),
            actor_id=RETAILER,
            actor_kind=AgencyKind.DISTRIBUTOR,
            batch=state,
        )


def test_refusal_names_the_rule_kind_and_batch() -> None:
    with pytest.raises(NotPermitted) as caught:
        check(EventKind.SOLD, AgencyKind.DISTRIBUTOR, Case(RETAILER, batch(holder=DISTRIBUTOR)))
    assert caught.value.code == "not_permitted"
    assert caught.value.params == {"rule": "not_current_holder", "kind": "sold", "batch": POMELO}
