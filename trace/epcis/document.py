"""The shape of an EPCIS 2.0 JSON-LD document, as typed Structs that capture checks it with.

These Structs restate the constraints of the official EPCIS 2.0 JSON Schema
(``EPCIS-JSON-Schema.json``, draft-07) that a capture must not let through: required
fields, value types, the closed objects (quantity elements, business transactions,
sources and destinations), the CBV term lists with their "or a URI outside the CBV
namespaces" alternative, times with a UTC offset, the time-zone offset and unit
patterns, and the ``anyOf`` rules on what each event type must list. Fields of the
schema that may carry extensions (read points, ILMD, sensor metadata) accept them;
elsewhere an extension must be named by a URI or CURIE, as the schema's
``propertyNames`` say. The official schema itself is not shipped with the ledger: the
tests check that every document accepted here validates against it.

Numbers are decoded twice on purpose: here as numbers, to check their type; and by
:func:`read_document` as exact decimals, so that ``26.0`` is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from trace.epcis.errors import InvalidEpcisDocument
from trace.epcis.vocabulary import (
    BIZ_STEPS,
    COMPONENTS,
    DISPOSITIONS,
    ERROR_REASONS,
    PARTY_TYPES,
    SENSOR_ALERTS,
    TRANSACTION_TYPES,
)

Uri = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")]
Time = Annotated[
    str,
    msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"),
]
Offset = Annotated[str, msgspec.Meta(pattern=r"^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$")]
Uom = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,3}$")]
HexBinary = Annotated[str, msgspec.Meta(pattern=r"^[A-Fa-f0-9]+$")]
Number = int | float
Context = str | dict[str, Any] | list[str | dict[str, Any]]

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
# "vocab-other-uri": a term outside the CBV's own namespaces (those are written bare).
_CBV_NAMESPACE = re.compile(r"urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/")
# "vocab-nonGS1WebVoc-uri": a measurement or alert type outside gs1.org/voc.
_GS1_VOC = re.compile(r"https?://(www\.)?gs1\.org/voc/")


def _term(name: str, value: str | None, bare: frozenset[str], outside: re.Pattern[str]) -> None:
    """A vocabulary value is a standard term written bare, or a URI of another vocabulary."""
    if value is None or value in bare:
        return
    if not _URI.fullmatch(value) or outside.match(value):
        raise ValueError(
            f"{name} must be a standard term or a URI of another vocabulary: {value!r}"
        )


def _time(name: str, value: str | None) -> None:
    if value is not None:
        try:
            datetime.fromisoformat(value.replace("z", "+00:00").replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{name} is not a real time: {value!r}") from None


class _Closed(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An object of the schema with ``additionalProperties: false``."""


class _Open(msgspec.Struct, frozen=True):
    """An object of the schema that may carry extensions."""


class QuantityElement(_Closed, frozen=True):
    epcClass: Uri
    quantity: Number | None = None
    uom: Uom | None = None


class Location(_Open, frozen=True):
    id: Uri


class BizTransaction(_Closed, frozen=True):
    bizTransaction: Uri
    type: str | None = None

    def __post_init__(self) -> None:
        _term("bizTransaction type", self.type, TRANSACTION_TYPES, _CBV_NAMESPACE)


class Source(_Closed, frozen=True):
    type: str
    source: Uri

    def __post_init__(self) -> None:
        _term("source type", self.type, PARTY_TYPES, _CBV_NAMESPACE)


class Destination(_Closed, frozen=True):
    type: str
    destination: Uri

    def __post_init__(self) -> None:
        _term("destination type", self.type, PARTY_TYPES, _CBV_NAMESPACE)


Terms = Annotated[list[str], msgspec.Meta(min_length=1)]


class PersistentDisposition(_Closed, frozen=True):
    set: Terms | None = None
    unset: Terms | None = None

    def __post_init__(self) -> None:
        if self.set is None and self.unset is None:
            raise ValueError("persistentDisposition needs set or unset")
        for terms in (self.set or [], self.unset or []):
            if len(set(terms)) != len(terms):
                raise ValueError("persistentDisposition lists a disposition twice")
            for term in terms:
                _term("persistentDisposition", term, DISPOSITIONS, _CBV_NAMESPACE)


class ErrorDeclaration(_Open, frozen=True):
    declarationTime: Time
    reason: str | None = None
    correctiveEventIDs: list[Uri] | None = None

    def __post_init__(self) -> None:
        _time("declarationTime", self.declarationTime)
        _term("errorDeclaration reason", self.reason, ERROR_REASONS, _CBV_NAMESPACE)


class SensorMetadata(_Open, frozen=True):
    time: Time | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    startTime: Time | None = None
    endTime: Time | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None


class SensorReport(_Open, frozen=True):
    type: str
    exception: str | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None
    time: Time | None = None
    microorganism: Uri | None = None
    chemicalSubstance: Uri | None = None
    coordinateReferenceSystem: Uri | None = None
    value: Number | None = None
    component: str | None = None
    stringValue: str | None = None
    booleanValue: bool | None = None
    hexBinaryValue: HexBinary | None = None
    uriValue: Uri | None = None
    minValue: Number | None = None
    maxValue: Number | None = None
    meanValue: Number | None = None
    sDev: Number | None = None
    percRank: Number | None = None
    percValue: Number | None = None
    uom: str | None = None

    def __post_init__(self) -> None:
        # The schema names its measurement types; any name outside gs1.org/voc is allowed.
        if not self.type or (_GS1_VOC.match(self.type) is not None):
            raise ValueError(f"sensorReport type {self.type!r} is not a measurement type")
        _term("sensorReport exception", self.exception, SENSOR_ALERTS, _GS1_VOC)
        _term("sensorReport component", self.component, COMPONENTS, _CBV_NAMESPACE)


class SensorElement(_Open, frozen=True):
    sensorReport: Annotated[list[SensorReport], msgspec.Meta(min_length=1)]
    sensorMetadata: SensorMetadata | None = None


class _Event(_Open, frozen=True, tag_field="type"):
    """What every event has (the schema's ``Event``)."""

    eventTime: Time
    eventTimeZoneOffset: Offset
    recordTime: Time | None = None
    eventID: Uri | None = None
    certificationInfo: Uri | list[Uri] | None = None
    errorDeclaration: ErrorDeclaration | None = None
    context: Context | None = msgspec.field(default=None, name="@context")
    bizStep: str | None = None
    disposition: str | None = None
    readPoint: Location | None = None
    bizLocation: Location | None = None
    bizTransactionList: list[BizTransaction] | None = None
    sourceList: list[Source] | None = None
    destinationList: list[Destination] | None = None
    sensorElementList: list[SensorElement] | None = None

    def _check_common(self) -> None:
        _time("eventTime", self.eventTime)
        _time("recordTime", self.recordTime)
        _term("bizStep", self.bizStep, BIZ_STEPS, _CBV_NAMESPACE)
        _term("disposition", self.disposition, DISPOSITIONS, _CBV_NAMESPACE)


Action = Literal["OBSERVE", "ADD", "DELETE"]
EpcList = list[Uri]


def _unique(name: str, values: list[str] | None) -> None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"{name} lists an identifier twice")


class ObjectEvent(_Event, frozen=True, kw_only=True, tag="ObjectEvent"):
    action: Action
    epcList: EpcList | None = None
    quantityList: list[QuantityElement] | None = None
    persistentDisposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self._check_common()
        _unique("epcList", self.epcList)
        sensed = bool(self.sensorElementList) and self.readPoint is not None
        if self.epcList is None and not self.quantityList and not sensed:
            raise ValueError(
                "an ObjectEvent needs an epcList, a quantityList, or sensor data at a readPoint"
            )


class AggregationEvent(_Event, frozen=True, kw_only=True, tag="AggregationEvent"):
    action: Action
    parentID: Uri | None = None
    childEPCs: EpcList | None = None
    childQuantityList: list[QuantityElement] | None = None

    def __post_init__(self) -> None:
        self._check_common()
        if not self.childEPCs and not self.childQuantityList and self.action != "DELETE":
            raise ValueError("an AggregationEvent needs childEPCs or a childQuantityList")


class TransactionEvent(_Event, frozen=True, kw_only=True, tag="TransactionEvent"):
    action: Action
    bizTransactionList: Annotated[list[BizTransaction], msgspec.Meta(min_length=1)]
    parentID: Uri | None = None
    epcList: list[Uri] | None = None
    quantityList: list[QuantityElement] | None = None

    def __post_init__(self) -> None:
        self._check_common()
        if self.epcList is None and not self.quantityList and self.action != "DELETE":
            raise ValueError("a TransactionEvent needs an epcList or a quantityList")


class TransformationEvent(_Event, frozen=True, kw_only=True, tag="TransformationEvent"):
    inputEPCList: EpcList | None = None
    inputQuantityList: list[QuantityElement] | None = None
    outputEPCList: EpcList | None = None
    outputQuantityList: list[QuantityElement] | None = None
    transformationID: Uri | None = None
    persistentDisposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self._check_common()
        _unique("inputEPCList", self.inputEPCList)
        _unique("outputEPCList", self.outputEPCList)
        inputs = bool(self.inputEPCList) or bool(self.inputQuantityList)
        outputs = bool(self.outputEPCList) or bool(self.outputQuantityList)
        if not (inputs and outputs) and not ((inputs or outputs) and self.transformationID):
            raise ValueError(
                "a TransformationEvent needs inputs and outputs, or one of them and a"
                " transformationID"
            )


class AssociationEvent(_Event, frozen=True, kw_only=True, tag="AssociationEvent"):
    action: Action
    parentID: Uri
    childEPCs: EpcList | None = None
    childQuantityList: list[QuantityElement] | None = None

    def __post_init__(self) -> None:
        self._check_common()
        if not self.childEPCs and not self.childQuantityList and self.action != "DELETE":
            raise ValueError("an AssociationEvent needs childEPCs or a childQuantityList")


Event = ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent
STANDARD_FIELDS: Mapping[str, frozenset[str]] = {
    struct.__struct_config__.tag: frozenset(  # type: ignore[misc]
        {"type", *struct.__struct_encode_fields__}
    )
    for struct in (
        ObjectEvent,
        AggregationEvent,
        TransactionEvent,
        TransformationEvent,
        AssociationEvent,
    )
}


class EventList(_Closed, frozen=True):
    eventList: list[Event]


class EpcisDocument(_Open, frozen=True, kw_only=True, tag_field="type", tag="EPCISDocument"):
    context: Context = msgspec.field(name="@context")
    schemaVersion: Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)*$")]
    creationDate: Time
    epcisBody: EventList
    id: Uri | None = None
    instanceIdentifier: str | None = None
    sender: str | None = None
    receiver: str | None = None
    epcisHeader: dict[str, Any] | None = None


class ResultsBody(_Open, frozen=True):
    eventList: list[Event]
    vocabularyList: list[dict[str, Any]] | None = None


class QueryResults(_Open, frozen=True):
    queryName: str
    resultsBody: ResultsBody
    subscriptionID: str | None = None


class QueryBody(_Open, frozen=True):
    queryResults: QueryResults


class EpcisQueryDocument(
    _Open, frozen=True, kw_only=True, tag_field="type", tag="EPCISQueryDocument"
):
    context: Context = msgspec.field(name="@context")
    epcisBody: QueryBody
    schemaVersion: Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)*$")] | None = None
    creationDate: Time | None = None
    id: Uri | None = None


Document = EpcisDocument | EpcisQueryDocument
_DOCUMENT_FIELDS = {
    "EPCISDocument": frozenset({"@context", "type", *EpcisDocument.__struct_encode_fields__}),
    "EPCISQueryDocument": frozenset(
        {"@context", "type", *EpcisQueryDocument.__struct_encode_fields__}
    ),
}
_ERROR_DECLARATION_FIELDS = frozenset({"declarationTime", "reason", "correctiveEventIDs"})

_exact = msgspec.json.Decoder(float_hook=Decimal)


def _extensions_are_named(where: str, element: Mapping[str, Any], standard: frozenset[str]) -> None:
    """The schema's ``propertyNames``: a field it does not define is named by a URI or CURIE."""
    for key in element:
        if key not in standard and not _URI.fullmatch(key):
            raise InvalidEpcisDocument(
                f"{where}: {key!r} is neither a field of the standard nor an extension named"
                " by a URI or prefix:name",
                reason=f"{where}.{key}",
            )


def read_document(data: bytes) -> tuple[Document, dict[str, Any], list[dict[str, Any]]]:
    """Check ``data`` as an EPCIS 2.0 document; return it typed, as exact JSON, and its events.

    Raises :class:`InvalidEpcisDocument` naming the first field that breaks a rule.
    """
    try:
        typed = msgspec.json.decode(data, type=Document)
        raw = _exact.decode(data)
    except msgspec.ValidationError as exc:
        raise InvalidEpcisDocument(f"not an EPCIS 2.0 document: {exc}", reason=str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise InvalidEpcisDocument(f"not JSON: {exc}", reason=str(exc)) from exc
    kind = raw["type"]
    _extensions_are_named("$", raw, _DOCUMENT_FIELDS[kind])
    body = raw["epcisBody"]
    events = (
        body["eventList"]
        if kind == "EPCISDocument"
        else body["queryResults"]["resultsBody"]["eventList"]
    )
    for index, event in enumerate(events):
        where = f"$.epcisBody.eventList[{index}]"
        _extensions_are_named(where, event, STANDARD_FIELDS[event["type"]])
        declaration = event.get("errorDeclaration")
        if isinstance(declaration, Mapping):
            _extensions_are_named(
                f"{where}.errorDeclaration", declaration, _ERROR_DECLARATION_FIELDS
            )
    return typed, raw, events
