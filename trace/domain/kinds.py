"""Event kinds, their typed bodies, and how each maps to EPCIS 2.0 / CBV 2.0.

A statement's ``body`` is checked against its kind's Struct with
``msgspec.convert(..., strict=True)``: unknown fields, floats, times without a
UTC offset and blank text are refused, and the error names the field path.
Bodies carry only what the statement envelope does not: the batch, the acting
agency and ``occurred_at`` are in the envelope (DESIGN.md, "Statements").
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

import msgspec

from trace.domain.errors import (
    BrokenRule,
    FieldProblem,
    InvalidBody,
    NotAnEpcisEvent,
    UnknownKind,
)
from trace.domain.event_hash import event_hash_id
from trace.domain.json_text import (
    FORBIDDEN_CLASS,
    MAX_DEPTH,
    describe_character,
    misplaced_character,
    nesting_depth,
)
from trace.domain.quantity import AreaSize, DecimalText, Dose, Quantity
from trace.domain.texts import N_
from trace.domain.times import DAY_PATTERN, TIME_PATTERN


class EventKind(StrEnum):
    """What happened to a batch; the ``kind`` of a statement."""

    REGISTERED = "registered"
    PLANTED = "planted"
    INPUT_APPLIED = "input_applied"
    HARVESTED = "harvested"
    PROCESSED = "processed"
    PACKED = "packed"
    INSPECTED = "inspected"
    CERTIFIED = "certified"
    SHIPPED = "shipped"
    RECEIVED = "received"
    SOLD = "sold"
    TRANSFORMED = "transformed"
    RECALLED = "recalled"
    CORRECTED = "corrected"
    SERIALISED = "serialised"
    EPCIS_EVENT = "epcis_event"
    RECALL_NOTIFIED = "recall_notified"
    WITHDRAWN = "withdrawn"
    RECALL_CLOSED = "recall_closed"


# What a reader calls each kind: English here, translated where shown.
KIND_NAMES: Mapping[str, str] = MappingProxyType(
    {
        EventKind.REGISTERED: N_("Batch registered"),
        EventKind.PLANTED: N_("Planted"),
        EventKind.INPUT_APPLIED: N_("Inputs applied"),
        EventKind.HARVESTED: N_("Harvested"),
        EventKind.PROCESSED: N_("Processed"),
        EventKind.PACKED: N_("Packed"),
        EventKind.INSPECTED: N_("Inspected"),
        EventKind.CERTIFIED: N_("Certified"),
        EventKind.SHIPPED: N_("Shipped"),
        EventKind.RECEIVED: N_("Received"),
        EventKind.SOLD: N_("Sold"),
        EventKind.TRANSFORMED: N_("Made from other batches"),
        EventKind.RECALLED: N_("Recalled"),
        EventKind.CORRECTED: N_("Correction"),
        EventKind.SERIALISED: N_("Serial labels printed"),
        EventKind.EPCIS_EVENT: N_("EPCIS event"),
        EventKind.RECALL_NOTIFIED: N_("Holders told of the recall"),
        EventKind.WITHDRAWN: N_("Withdrawn from sale"),
        EventKind.RECALL_CLOSED: N_("Recall closed"),
    }
)

# Text must hold a visible character: a blank name would show as an empty line
# on the consumer page, which is the failure this project exists to prevent. It holds no
# control character but tab and line breaks (trace/domain/json_text.py): blanks, then a
# visible character, then anything allowed; three disjoint steps, so matching is linear.
_TEXT = rf"^[^\S{FORBIDDEN_CLASS}]*[^\s{FORBIDDEN_CLASS}][^{FORBIDDEN_CLASS}]*$"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_TEXT)]
Prose = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=_TEXT)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_TEXT)]
# Agencies and batches are named by lower-case UUIDs, as in the statement envelope.
Uuid = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
RecordHashHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
# A photo is named in the statement by the SHA-256 of its bytes, so the signature covers it.
PhotoName = Annotated[
    Sha256Hex,
    msgspec.Meta(
        description="The SHA-256 of a photo sent before (POST /api/v1/photos), lower-case hex."
    ),
]
# A serial is a code like a batch code: 13 Crockford symbols and a check symbol.
Serial = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJKMNP-TV-Z]{14}$")]
# Shape only; the store checks the GS1 check digit (trace.domain.identifiers).
Gtin = Annotated[str, msgspec.Meta(pattern=r"^(?:[0-9]{8}|[0-9]{12,14})$")]
# GS1 AI (10) batch/lot: 1 to 20 characters of GS1 character set 82 (GS1 General
# Specifications 7.11), so a lot can always be printed in a Digital Link URI.
Lot = Annotated[str, msgspec.Meta(pattern=r"^[!\"%-?A-Z_a-z]{1,20}$")]
# Administrative unit codes since 1 July 2025: two-digit province, five-digit commune.
ProvinceCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{2}$",
        description="The province's two-digit code; GET /api/v1/places/provinces lists them.",
    ),
]
CommuneCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{5}$",
        description="The commune's five-digit code; "
        "GET /api/v1/places/provinces/{province}/communes lists them.",
    ),
]
# Where an EPCIS event happened, as it names it: a GLN's Digital Link, or another URI.
PlaceUri = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")]
Time = Annotated[datetime, msgspec.Meta(tz=True, extra_json_schema={"pattern": TIME_PATTERN})]
Day = Annotated[date, msgspec.Meta(extra_json_schema={"pattern": DAY_PATTERN})]
# Laboratories report results under the limit of quantification as "<0.01".
AnalyteValue = Annotated[str, msgspec.Meta(pattern=r"^<?(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?$")]
MeasureUnit = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=_TEXT)]
# A standard the product is made to, as its label names it: "VietGAP", "TCVN 11041-2:2017".
StandardName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=_TEXT,
        description='A standard applied, as the label names it: "VietGAP", "TCVN 11041-2:2017".',
    ),
]
MAX_STANDARDS = 8

OCOP_VALIDITY_MONTHS = 36


class _Body(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, kw_only=True
):
    """Common configuration of every body and its parts."""


class InputKind(StrEnum):
    """What an applied input is."""

    FERTILISER = "fertiliser"
    PESTICIDE = "pesticide"
    VETERINARY_DRUG = "veterinary_drug"
    FEED = "feed"
    OTHER = "other"


class InspectionResult(StrEnum):
    """Outcome of an inspection or of one analyte (CBV dispositions of the same name)."""

    CONFORMANT = "conformant"
    NON_CONFORMANT = "non_conformant"


class Scheme(StrEnum):
    """Certification schemes a batch can carry."""

    VIETGAP = "vietgap"
    VIETGAHP = "vietgahp"
    ORGANIC = "organic"
    OCOP = "ocop"
    GLOBALGAP = "globalgap"


class IssuerLevel(StrEnum):
    """The level of the council that recognises an OCOP product (no district level since 2025)."""

    CENTRAL = "central"
    PROVINCE = "province"


class TransformProcess(StrEnum):
    """How input batches become this batch."""

    MILLING = "milling"
    DRYING = "drying"
    BLENDING = "blending"
    SPLITTING = "splitting"
    MERGING = "merging"
    REPACKING = "repacking"
    # A partner's EPCIS TransformationEvent says what went in and came out, not how.
    OTHER = "other"


# What a reader calls each process: English here, translated where shown.
PROCESS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        TransformProcess.MILLING: N_("Milling"),
        TransformProcess.DRYING: N_("Drying"),
        TransformProcess.BLENDING: N_("Blending"),
        TransformProcess.SPLITTING: N_("Splitting"),
        TransformProcess.MERGING: N_("Merging"),
        TransformProcess.REPACKING: N_("Repacking"),
        TransformProcess.OTHER: N_("Processing"),
    }
)


class Severity(StrEnum):
    """Recall class, most serious first.

    class_1: eating the product may cause serious harm to health or death;
    class_2: it may cause temporary or reversible harm;
    class_3: it is unlikely to harm health but breaks a food safety rule or its label.
    """

    CLASS_1 = "class_1"
    CLASS_2 = "class_2"
    CLASS_3 = "class_3"


# What each recall class means, as a reader says it: English here, translated where shown.
SEVERITY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        Severity.CLASS_1: N_("may cause serious harm"),
        Severity.CLASS_2: N_("may cause temporary harm"),
        Severity.CLASS_3: N_("unlikely to harm but breaks a rule"),
    }
)


class Origin(_Body, frozen=True):
    """Where the goods come from: province and, optionally, commune code."""

    province: ProvinceCode
    commune: CommuneCode | None = None


class Registered(_Body, frozen=True):
    """A batch is commissioned (``registered``); its registering agency becomes its producer.

    ``quantity`` is optional because a batch registered at planting has none yet; ``photo``
    names the product's photo, shown beside its name on the public page. ``brand``,
    ``pack_size`` (the net quantity of one retail pack), ``standards`` (the standards the
    product is made to; OCOP is a certificate, not a standard) and ``storage`` (how to keep
    it) are what Circular 02/2024/TT-BKHCN asks a consumer be shown besides.

    A batch that a partner's EPCIS event commissioned (trace/epcis/creation.py) carries that
    event whole in ``epcis``, and ``place``, the GLN (or other URI) of where it happened,
    instead of an ``origin`` the event does not give; every other registration needs ``origin``.
    """

    product: Name
    lot: Lot
    origin: Origin | None = None
    gtin: Gtin | None = None
    quantity: Quantity | None = None
    category: Name | None = None
    area: Code | None = None
    production_date: Day | None = None
    expiry_date: Day | None = None
    ocop_ref: Code | None = None
    photo: PhotoName | None = None
    brand: Name | None = None
    pack_size: Quantity | None = None
    standards: Annotated[tuple[StandardName, ...], msgspec.Meta(max_length=MAX_STANDARDS)] = ()
    storage: Prose | None = None
    place: PlaceUri | None = None
    epcis: EpcisEvent | None = None

    def __post_init__(self) -> None:
        if self.origin is None and self.epcis is None:
            raise BrokenRule(N_("{field} is missing."), field="origin")
        produced, expires = self.production_date, self.expiry_date
        if produced is not None and expires is not None and expires <= produced:
            raise BrokenRule(N_("{field} must be after the production date."), field="expiry_date")
        _check_standards(self.standards)
        _check_pack_size(self.pack_size, self.quantity)


def _check_standards(standards: tuple[str, ...]) -> None:
    # "VietGAP" and "vietgap " are the same standard: the page would list it twice.
    seen: set[str] = set()
    for standard in standards:
        key = " ".join(standard.casefold().split())
        if key in seen:
            raise BrokenRule(
                N_("{field} names {standard} twice; list each standard once."),
                field="standards",
                standard=standard.strip(),
            )
        seen.add(key)


def _check_pack_size(pack: Quantity | None, lot: Quantity | None) -> None:
    # A pack larger than the whole lot is a mistake of unit or of digits.
    if pack is None or lot is None or pack.unit != lot.unit:
        return
    if Decimal(pack.value) > Decimal(lot.value):
        raise BrokenRule(
            N_("{field} is more than the whole batch ({quantity}); check the unit and digits."),
            field="pack_size",
            quantity=f"{lot.value} {lot.unit}",
        )


class Planted(_Body, frozen=True):
    """A crop is sown or planted on a growing area; ``photo`` names a photo of the field."""

    crop: Name
    area: Code
    variety: Name | None = None
    area_size: AreaSize | None = None
    seed_source: Name | None = None
    note: Prose | None = None
    photo: PhotoName | None = None


class InputApplied(_Body, frozen=True):
    """A fertiliser, pesticide or other input is applied to an area."""

    input_kind: InputKind
    product: Name
    dose: Dose
    applied_to: Code
    active_ingredient: Name | None = None
    pre_harvest_interval_days: Annotated[int, msgspec.Meta(ge=0, le=365)] | None = None
    note: Prose | None = None

    def __post_init__(self) -> None:
        # A pesticide record without these cannot show whether harvest waited long enough.
        incomplete = self.active_ingredient is None or self.pre_harvest_interval_days is None
        if self.input_kind is InputKind.PESTICIDE and incomplete:
            raise BrokenRule(
                N_(
                    "A pesticide needs its active ingredient and its pre-harvest interval, so "
                    "that the page can show whether the harvest waited long enough."
                ),
                field="active_ingredient"
                if self.active_ingredient is None
                else "pre_harvest_interval_days",
            )


class Harvested(_Body, frozen=True):
    """Goods are harvested; ``photo`` names a photo of the field or of the harvest."""

    quantity: Quantity
    area: Code | None = None
    note: Prose | None = None
    photo: PhotoName | None = None


class Processed(_Body, frozen=True):
    """Goods are processed in place (dried, peeled, cooked...) without changing batch."""

    process: Prose
    output_quantity: Quantity | None = None
    note: Prose | None = None


class Packed(_Body, frozen=True):
    """Goods are packed; ``quantity`` is the net total across all packages."""

    package_type: Name
    count: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    quantity: Quantity | None = None
    note: Prose | None = None


class Sample(_Body, frozen=True):
    """A sample taken for testing."""

    code: Code
    matrix: Name | None = None
    taken_at: Time | None = None


class Analyte(_Body, frozen=True):
    """One measured substance with its limit and the laboratory's verdict on it."""

    name: Name
    value: AnalyteValue
    unit: MeasureUnit
    method: Name
    result: InspectionResult
    limit: DecimalText | None = None


class Inspected(_Body, frozen=True):
    """A laboratory or inspection result; ``reference`` names the regulation setting the limits."""

    laboratory: Name
    samples: Annotated[tuple[Sample, ...], msgspec.Meta(min_length=1, max_length=100)]
    analytes: Annotated[tuple[Analyte, ...], msgspec.Meta(min_length=1, max_length=500)]
    result: InspectionResult
    certificate_number: Code | None = None
    reference: Name | None = None
    note: Prose | None = None

    def __post_init__(self) -> None:
        failed = [a.name for a in self.analytes if a.result is InspectionResult.NON_CONFORMANT]
        if failed and self.result is InspectionResult.CONFORMANT:
            raise BrokenRule(
                N_(
                    "{field} cannot be conformant when an analyte is not: {analytes}. Set it "
                    "to non_conformant."
                ),
                field="result",
                analytes=", ".join(failed),
            )


def _add_months(start: date, months: int) -> date:
    # A certificate issued on 31 August runs to the last day of the month 36 months on.
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class Certified(_Body, frozen=True):
    """A certificate covers the batch; OCOP carries stars and the issuing council's level."""

    scheme: Scheme
    certificate_number: Code
    issuer: Name
    valid_from: Day
    valid_until: Day
    issuer_level: IssuerLevel | None = None
    stars: Annotated[int, msgspec.Meta(ge=3, le=5)] | None = None
    decision_number: Code | None = None
    scope: Name | None = None

    def __post_init__(self) -> None:
        if self.valid_until <= self.valid_from:
            raise BrokenRule(
                N_("{field} must be after the date it is valid from."), field="valid_until"
            )
        if self.scheme is not Scheme.OCOP:
            if self.stars is not None or self.issuer_level is not None:
                raise BrokenRule(
                    N_("Only an OCOP certificate has stars and an issuing council's level."),
                    field="stars" if self.stars is not None else "issuer_level",
                )
            return
        if self.stars is None or self.issuer_level is None:
            raise BrokenRule(
                N_("An OCOP certificate needs its stars (3 to 5) and its council's level."),
                field="stars" if self.stars is None else "issuer_level",
            )
        # OCOP recognition lasts 36 months (Decision 148/QĐ-TTg of 2023; DESIGN.md).
        limit = _add_months(self.valid_from, OCOP_VALIDITY_MONTHS)
        if self.valid_until > limit:
            raise BrokenRule(
                N_(
                    "An OCOP certificate is valid for at most {months} months: {field} must "
                    "be on or before {limit}."
                ),
                field="valid_until",
                months=OCOP_VALIDITY_MONTHS,
                limit=limit.isoformat(),
            )


class Shipped(_Body, frozen=True):
    """The holder sends the goods to another agency."""

    to: Uuid
    quantity: Quantity | None = None
    destination: Name | None = None
    # The partner's EPCIS event this record was captured from, whole (see Registered).
    epcis: EpcisEvent | None = None


class Received(_Body, frozen=True):
    """The recipient of a shipment takes the goods over."""

    from_: Uuid = msgspec.field(name="from")
    quantity: Quantity | None = None
    # The partner's EPCIS event this record was captured from, whole (see Registered).
    epcis: EpcisEvent | None = None


class Sold(_Body, frozen=True):
    """The holder sells goods; ``to`` is absent for a retail sale to a consumer.

    A retailer sells a batch in many sales; ``last`` marks the sale that empties it.
    """

    to: Uuid | None = None
    quantity: Quantity | None = None
    last: bool = False


class TransformInput(_Body, frozen=True):
    """One input batch of a transformation and how much of it went in."""

    batch: Uuid
    quantity: Quantity


class Transformed(_Body, frozen=True):
    """Input batches become this (output) batch."""

    process: TransformProcess
    inputs: Annotated[tuple[TransformInput, ...], msgspec.Meta(min_length=1, max_length=1000)]
    output_quantity: Quantity | None = None
    description: Prose | None = None
    # The partner's EPCIS event this record was captured from, whole (see Registered).
    epcis: EpcisEvent | None = None

    def __post_init__(self) -> None:
        batches = [item.batch for item in self.inputs]
        if len(set(batches)) != len(batches):
            raise BrokenRule(N_("An input batch is listed more than once."), field="inputs")
        if self.process is TransformProcess.SPLITTING and len(batches) != 1:
            raise BrokenRule(N_("Splitting takes exactly one input batch."), field="inputs")
        merges = (TransformProcess.MERGING, TransformProcess.BLENDING)
        if self.process in merges and len(batches) < 2:
            raise BrokenRule(
                N_("Blending or merging takes at least two input batches."), field="inputs"
            )


class Recalled(_Body, frozen=True):
    """An authority recalls the batch; the recall reaches every downstream batch."""

    reason: Prose
    severity: Severity
    scope: Prose | None = None
    effective_at: Time | None = None
    decision_number: Code | None = None


class RecallNotified(_Body, frozen=True):
    """The authority that issued the recall ``recall`` (its record hash) declares that the
    holders in its reach have been told; ``note`` says how (webhooks, letters, calls)."""

    recall: RecordHashHex
    note: Prose | None = None


class Withdrawn(_Body, frozen=True):
    """The holder of a batch the recall ``recall`` reaches has taken ``quantity`` of it off
    sale (off the shelves, out of the warehouse); it may record several withdrawals."""

    recall: RecordHashHex
    quantity: Quantity
    note: Prose | None = None


class RecallClosed(_Body, frozen=True):
    """The authority that issued the recall ``recall`` closes it: ``note`` says why (the
    goods are withdrawn, returned or destroyed). The goods stay recalled."""

    recall: RecordHashHex
    note: Prose


class Corrected(_Body, frozen=True):
    """An earlier record of the batch is declared wrong; it stays in the chain."""

    corrects: RecordHashHex
    reason: Prose
    note: Prose | None = None


class Serialised(_Body, frozen=True):
    """A print run of serialised labels: ``count`` items of the batch get their own serials.

    The serials themselves are kept by the ledger (one row each); the record
    commits to them: ``serials_sha256`` is SHA-256 over the serials in print
    order, each followed by a line feed, so anyone holding the list can check it.
    """

    run: Uuid
    count: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    first: Serial
    last: Serial
    serials_sha256: Sha256Hex

    def __post_init__(self) -> None:
        if self.count == 1 and self.first != self.last:
            raise BrokenRule(
                N_("A run of one label has the same first and last serial."), field="last"
            )


EventHashId = Annotated[str, msgspec.Meta(pattern=r"^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$")]
# As large as a capture request may be: one event cannot be larger than its document.
MAX_EVENT_TEXT = 256 * 1024
# JSON numbers read as exact decimals: the hash writes 26.0 and 26 alike, never 25.999...
_EXACT_JSON = msgspec.json.Decoder(float_hook=Decimal)


class EpcisEvent(_Body, frozen=True):
    """An EPCIS 2.0 event that no other kind can hold whole, kept as it was captured.

    ``event`` is the event's JSON text, its own ``@context`` included. Text rather than
    an object because a statement's canonical form has no floats and NFC-normalises
    every string, and an EPCIS event has JSON numbers and may have text in any form:
    as text it is kept byte for byte (capture escapes what is not ASCII). ``event_hash``
    is its GS1 EPCIS Event Hash ID, checked here, so the ID always names this event.
    """

    event: Annotated[str, msgspec.Meta(min_length=2, max_length=MAX_EVENT_TEXT)]
    event_hash: EventHashId

    def __post_init__(self) -> None:
        if nesting_depth(self.event) > MAX_DEPTH:
            raise BrokenRule(
                N_("{field} nests more than {limit} levels deep."), field="event", limit=MAX_DEPTH
            )
        one_event = N_("{field} must be the JSON text of one EPCIS event.")
        try:
            event = _EXACT_JSON.decode(self.event)
        except msgspec.DecodeError:
            raise BrokenRule(one_event, field="event") from None
        if not isinstance(event, dict):
            raise BrokenRule(one_event, field="event")
        misplaced = misplaced_character(event, "event")
        if misplaced is not None:
            where, character = misplaced
            raise BrokenRule(
                N_("{field} holds the control character {character} at {where}."),
                field="event",
                character=describe_character(character),
                where=where,
            )
        try:
            computed = event_hash_id(event)
        except NotAnEpcisEvent as exc:
            raise BrokenRule(
                N_("{field} is not an EPCIS 2.0 event whose Event Hash ID can be computed: {why}"),
                field="event",
                why=exc.detail,
            ) from None
        if computed != self.event_hash:
            raise BrokenRule(
                N_("{field} is not the event's Event Hash ID, which is {computed}."),
                field="event_hash",
                computed=computed,
            )


BODY_TYPES: Mapping[EventKind, type[msgspec.Struct]] = MappingProxyType(
    {
        EventKind.REGISTERED: Registered,
        EventKind.PLANTED: Planted,
        EventKind.INPUT_APPLIED: InputApplied,
        EventKind.HARVESTED: Harvested,
        EventKind.PROCESSED: Processed,
        EventKind.PACKED: Packed,
        EventKind.INSPECTED: Inspected,
        EventKind.CERTIFIED: Certified,
        EventKind.SHIPPED: Shipped,
        EventKind.RECEIVED: Received,
        EventKind.SOLD: Sold,
        EventKind.TRANSFORMED: Transformed,
        EventKind.RECALLED: Recalled,
        EventKind.CORRECTED: Corrected,
        EventKind.SERIALISED: Serialised,
        EventKind.EPCIS_EVENT: EpcisEvent,
        EventKind.RECALL_NOTIFIED: RecallNotified,
        EventKind.WITHDRAWN: Withdrawn,
        EventKind.RECALL_CLOSED: RecallClosed,
    }
)


def decode_body(kind: str, body: object) -> msgspec.Struct:
    """Check ``body`` against the Struct of ``kind`` and return it decoded.

    Raises :class:`UnknownKind`, or :class:`InvalidBody` with every mistake of the body as
    its ``problems`` (trace/domain/validation.py); msgspec's own words stay in ``detail``, for logs.
    """
    try:
        event_kind = EventKind(kind)
    except ValueError:
        raise UnknownKind(
            f"unknown event kind {kind!r}", kind=kind, known=", ".join(EventKind)
        ) from None
    try:
        return msgspec.convert(body, BODY_TYPES[event_kind], strict=True)
    except msgspec.ValidationError as exc:
        # The walk that words every mistake reads this module's declarations: it is imported
        # here, on the way out, rather than made a cycle.
        from trace.domain.validation import body_problems

        problems = body_problems(event_kind, body) or [
            FieldProblem("body", N_("{field} is not valid."))
        ]
        refused = InvalidBody(f"invalid {kind} body: {exc}", kind=kind, count=len(problems))
        raise refused.having(problems) from exc
