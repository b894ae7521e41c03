"""EPCIS Event Hash ID (GS1 CBV 2.0 section 8.9) of EPCIS 2.0 JSON-LD events.

The hash names an event by its content, whatever its serialisation: the same event
written with other key order, list order, time zone, identifier syntax (EPC URN or
GS1 Digital Link) or CURIEs hashes alike. The rules are numbered as in the algorithm's
description beside the reference implementation (``epcis-event-hash-generator``):

- the *pre-hash string* concatenates ``key=value`` pairs in the canonical property
  order, without separators; a parent element contributes its bare name followed by
  its children (rules 1-4);
- values are trimmed (5); numbers lose trailing zeros (6, 7); timestamps become UTC
  with a ``Z`` and exactly three decimals, rounded half up (8, 9);
- the children of every list are sorted by code point, the list's name appearing once
  (10-12); a typed child (business transaction, source, destination) is one string,
  ``type=...`` then its value, sorted as a whole (13);
- CBV URNs, CURIEs and bare CBV terms become Web URIs (14-16); EPC URNs become GS1
  Digital Link URIs, and every Digital Link is constrained to ``https://id.gs1.org``
  with its finest key only (17, 18: :mod:`trace.domain.epc`);
- ILMD and user extensions are written ``{namespace}localName=value`` and sorted;
  extensions inside a standard field close that field (19-21);
- the SHA-256 of the UTF-8 pre-hash string is written as an RFC 6920 ``ni`` URI with
  ``?ver=CBV2.0`` (22-24).

``eventID``, ``recordTime``, ``errorDeclaration`` and comments are not part of the hash:
an event keeps its hash ID when it is later declared erroneous. Where the prose and the
reference implementation differ, this module follows the implementation (its published
vectors and ``epcis-event-hash-generator`` 1.9.3): ``certificationInfo`` (absent from the
prose's order) follows ``eventTimeZoneOffset``; ``parentID`` precedes ``epcList``;
``destinationList`` precedes ``sourceList``; the ``type=`` pair comes before, not after,
the value it types; text that reads as a number is that number; a URI with a fragment is
no Digital Link. Where the implementation is wrong, the ledger publishes nothing it could
read two ways (``docs/formats.md``, "EPCIS events").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from trace.domain.epc import canonical_identifier
from trace.domain.errors import NotAnEpcisEvent

HASH_VERSION = "CBV2.0"

JsonLdContext = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]] | None
"""A JSON-LD ``@context``: a remote context's URL, a local context, or a list of them."""

Prefixes = Mapping[str, str]
ValueOf = Callable[[Any, Prefixes], str]

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"

# The prefixes the EPCIS 2.0 context declares; a document's own context adds to them.
# Remote contexts are never fetched: the standard one is known, others cannot be.
EPCIS_PREFIXES: Prefixes = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": GS1_VOC,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}

EVENT_TYPES = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)


# --- Rule 15: CURIEs and terms of the context -----------------------------------------------


def context_prefixes(context: JsonLdContext) -> dict[str, str]:
    """The IRI of every prefix or term that ``context`` (and the EPCIS 2.0 context) declares."""
    prefixes = dict(EPCIS_PREFIXES)
    for entry in _context_entries(context):
        if not isinstance(entry, Mapping):
            continue  # a remote context's URL
        for term, definition in entry.items():
            iri = definition.get("@id") if isinstance(definition, Mapping) else definition
            if not term.startswith("@") and isinstance(iri, str) and not iri.startswith("@"):
                prefixes[term] = iri
    return prefixes


def _context_entries(context: JsonLdContext) -> list[str | Mapping[str, Any]]:
    if context is None:
        return []
    if isinstance(context, str | Mapping):
        return [context]
    return list(context)


def _split_curie(text: str, prefixes: Prefixes) -> tuple[str, str] | None:
    """(namespace IRI, local name) if ``text`` is a CURIE of a declared prefix."""
    prefix, colon, local = text.partition(":")
    if colon and not local.startswith("//") and prefix in prefixes:
        return prefixes[prefix], local
    return None


def _expand_curie(text: str, prefixes: Prefixes) -> str:
    curie = _split_curie(text, prefixes)
    return text if curie is None else curie[0] + curie[1]


def _qualified_name(key: str, prefixes: Prefixes) -> str:
    """Rules 19-20: an extension's key as ``{namespace}localName``."""
    curie = _split_curie(key, prefixes)
    if curie is None:
        # A term of the context stands for its IRI; an IRI splits after its last delimiter.
        iri = _expand_curie(prefixes[key], prefixes) if key in prefixes else key
        cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
        curie = (iri[: cut + 1], iri[cut + 1 :]) if cut >= 0 else None
    return key if curie is None else "{" + curie[0] + "}" + curie[1]


# --- Rules 5-9 and 14-16: canonical values --------------------------------------------------

_CBV_URN_VOCABULARIES = {
    "bizstep": "BizStep",
    "disp": "Disp",
    "btt": "BTT",
    "sdt": "SDT",
    "er": "ER",
}
_CBV_URN = re.compile(r"urn:epcglobal:cbv:([a-z]+):(.+)")


def _identifier(text: str) -> str:
    if "#" in text:
        # A fragment names a part of a page, not a GS1 key: the reference leaves it as written.
        return text
    if text.startswith(("urn:epc:", "https://", "http://")):
        return canonical_identifier(text)
    match = _CBV_URN.fullmatch(text)
    if match and match[1] in _CBV_URN_VOCABULARIES:
        return f"{CBV}{_CBV_URN_VOCABULARIES[match[1]]}-{match[2]}"
    return text


def _number(value: int | float | Decimal) -> str:
    """Rule 6: ``1`` not ``1.0``, ``0.3434`` not ``0.34340``, never an exponent."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite():
        raise NotAnEpcisEvent(f"a number in an event must be finite, got {value!r}")
    return format(exact.normalize(), "f") if exact else "0"


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _text(value: str) -> str | None:
    """Rules 5-7 on text: trimmed; text that reads as a number is that number (``01`` is ``1``).

    XML, in which the algorithm was first written, cannot tell ``<x>01</x>`` the number from
    the string; the reference implementation therefore reads every numeric text as a number,
    and so does this one. None for text that is not a number.
    """
    text = value.strip()
    return _number(Decimal(text)) if _DECIMAL.fullmatch(text) else None


def canonical_value(value: Any, prefixes: Prefixes) -> str:
    """The canonical form of one scalar value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        number = _text(value)
        return number if number is not None else _identifier(_expand_curie(value.strip(), prefixes))
    raise NotAnEpcisEvent(f"expected a single value, got {type(value).__name__}: {value!r}")


def canonical_term(namespace: str, value: Any, prefixes: Prefixes) -> str:
    """Rule 16: a bare standard term (``in_transit``) is its Web URI."""
    if isinstance(value, str) and value.strip() and ":" not in value:
        return namespace + value.strip()
    return canonical_value(value, prefixes)


_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def _timestamp(value: Any, prefixes: Prefixes) -> str:
    """Rules 8-9: UTC, ``Z``, milliseconds; the third decimal rounds up when the fourth is 5-9."""
    match = _TIMESTAMP.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise NotAnEpcisEvent(f"expected an xsd:dateTimeStamp with a UTC offset, got {value!r}")
    seconds, fraction, zone = match[1], match[2] or "", match[3]
    millis = int(fraction[:3].ljust(3, "0")) + (fraction[3:4] >= "5")
    try:
        local = datetime.fromisoformat(seconds + ("+00:00" if zone == "Z" else zone))
        utc = (local + timedelta(milliseconds=millis)).astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:
        # OverflowError: a time within a day of year 1 or 9999 has no UTC form in Python.
        raise NotAnEpcisEvent(f"not a valid timestamp: {value!r} ({exc})") from exc
    return utc.isoformat(timespec="milliseconds") + "Z"


def _verbatim(value: Any, prefixes: Prefixes) -> str:
    """A value that is no identifier: trimmed, and a number if it reads as one."""
    if isinstance(value, str):
        number = _text(value)
        return value.strip() if number is None else number
    return canonical_value(value, prefixes)


# --- Rules 1-4 and 10-13, 19-21: the pre-hash string ---------------------------------------

Fields = tuple[tuple[str, ValueOf], ...]

_QUANTITY_ELEMENT: Fields = (
    ("epcClass", canonical_value),
    ("quantity", canonical_value),
    ("uom", _verbatim),
)
_LOCATION: Fields = (("id", canonical_value),)
_SENSOR_METADATA: Fields = (
    ("time", _timestamp),
    ("startTime", _timestamp),
    ("endTime", _timestamp),
    ("deviceID", canonical_value),
    ("deviceMetadata", canonical_value),
    ("rawData", canonical_value),
    ("dataProcessingMethod", canonical_value),
    ("bizRules", canonical_value),
)
_SENSOR_REPORT: Fields = (
    ("type", partial(canonical_term, GS1_VOC)),
    ("exception", partial(canonical_term, GS1_VOC)),
    ("deviceID", canonical_value),
    ("deviceMetadata", canonical_value),
    ("rawData", canonical_value),
    ("dataProcessingMethod", canonical_value),
    ("time", _timestamp),
    ("microorganism", canonical_value),
    ("chemicalSubstance", canonical_value),
    ("value", canonical_value),
    ("component", partial(canonical_term, f"{CBV}Comp-")),
    ("stringValue", _verbatim),
    ("booleanValue", canonical_value),
    ("hexBinaryValue", _verbatim),
    ("uriValue", canonical_value),
    ("minValue", canonical_value),
    ("maxValue", canonical_value),
    ("meanValue", canonical_value),
    ("sDev", canonical_value),
    ("percRank", canonical_value),
    ("percValue", canonical_value),
    ("uom", _verbatim),
    ("coordinateReferenceSystem", canonical_value),
)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _object(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NotAnEpcisEvent(f"{name} must be a JSON object, got {value!r}")
    return value


def _members(name: str, value: Any) -> list[Mapping[str, Any]]:
    return [_object(f"each member of {name}", item) for item in _as_list(value)]


def _extension(key: str, value: Any, prefixes: Prefixes) -> list[str]:
    """Rule 20: ``{ns}name=value``, or ``{ns}name`` then its sorted children; lists repeat it."""
    name = _qualified_name(key, prefixes)
    if isinstance(value, list | tuple):
        return [text for item in value for text in _extension(key, item, prefixes)]
    if isinstance(value, Mapping):
        return [name + _extensions(value, (), prefixes)]
    if value is None:
        return [name]
    return [f"{name}={canonical_value(value, prefixes)}"]


# Comments say something about an event, not what happened: the reference leaves them out.
COMMENTS = frozenset({"comment", "rdfs:comment", "http://www.w3.org/2000/01/rdf-schema#comment"})


def _extensions(element: Mapping[str, Any], standard: Iterable[str], prefixes: Prefixes) -> str:
    return "".join(sorted(_extension_texts(element, standard, prefixes)))


def _extension_texts(
    element: Mapping[str, Any], standard: Iterable[str], prefixes: Prefixes
) -> list[str]:
    known = set(standard) | COMMENTS
    return [
        text
        for key, value in element.items()
        if key not in known and not key.startswith("@")
        for text in _extension(key, value, prefixes)
    ]


def _fields(element: Mapping[str, Any], fields: Fields, prefixes: Prefixes) -> str:
    """Rule 21: the standard fields in order, then the element's extensions, sorted."""
    written = "".join(
        f"{name}={value_of(element[name], prefixes)}"
        for name, value_of in fields
        if element.get(name) is not None
    )
    return written + _extensions(element, (name for name, _ in fields), prefixes)


def _sorted_list(name: str, children: Iterable[str]) -> str:
    """Rules 11-12: the list's name once, then its children in code-point order."""
    ordered = sorted(children)
    return name + "".join(ordered) if ordered else ""


Part = Callable[[str, Any, Prefixes], str]


def _single(value_of: ValueOf) -> Part:
    return lambda name, value, prefixes: f"{name}={value_of(value, prefixes)}"


def _repeated(name: str, value: Any, prefixes: Prefixes) -> str:
    return "".join(sorted(f"{name}={canonical_value(item, prefixes)}" for item in _as_list(value)))


def _epc_list(name: str, value: Any, prefixes: Prefixes) -> str:
    return _sorted_list(name, (f"epc={canonical_value(epc, prefixes)}" for epc in _as_list(value)))


def _quantity_list(name: str, value: Any, prefixes: Prefixes) -> str:
    return _sorted_list(
        name,
        (
            "quantityElement" + _fields(element, _QUANTITY_ELEMENT, prefixes)
            for element in _members(name, value)
        ),
    )


def _location(name: str, value: Any, prefixes: Prefixes) -> str:
    return name + _fields(_object(name, value), _LOCATION, prefixes)


def _persistent_disposition(name: str, value: Any, prefixes: Prefixes) -> str:
    disposition = partial(canonical_term, f"{CBV}Disp-")
    lists = _object(name, value)
    return name + "".join(
        "".join(sorted(f"{part}={disposition(item, prefixes)}" for item in _as_list(lists[part])))
        for part in ("set", "unset")
        if part in lists
    )


def _typed_list(child: str, type_namespace: str) -> Part:
    """Rule 13: each child is ``type=...`` (when typed) then ``child=...``."""

    def part(name: str, value: Any, prefixes: Prefixes) -> str:
        def text(element: Mapping[str, Any]) -> str:
            kind = element.get("type")
            typed = f"type={canonical_term(type_namespace, kind, prefixes)}" if kind else ""
            rest = _extensions(element, ("type", child), prefixes)
            return f"{typed}{child}={canonical_value(element.get(child), prefixes)}{rest}"

        return _sorted_list(name, (text(element) for element in _members(name, value)))

    return part


def _sensor_element(element: Mapping[str, Any], prefixes: Prefixes) -> str:
    metadata = element.get("sensorMetadata")
    head = (
        "sensorMetadata" + _fields(_object("sensorMetadata", metadata), _SENSOR_METADATA, prefixes)
        if metadata is not None
        else ""
    )
    reports = sorted(
        "sensorReport" + _fields(report, _SENSOR_REPORT, prefixes)
        for report in _members("sensorReport", element.get("sensorReport"))
    )
    tail = _extensions(element, ("sensorMetadata", "sensorReport"), prefixes)
    return "sensorElement" + head + "".join(reports) + tail


def _sensor_element_list(name: str, value: Any, prefixes: Prefixes) -> str:
    return _sorted_list(
        name, (_sensor_element(element, prefixes) for element in _members(name, value))
    )


def _ilmd(name: str, value: Any, prefixes: Prefixes) -> str:
    """Rule 19: ILMD elements, each ``{ns}name=value``, sorted."""
    return name + _extensions(_object(name, value), (), prefixes)


# Rule 1: the canonical property order, after eventType.
CANONICAL_PROPERTY_ORDER: tuple[tuple[str, Part], ...] = (
    ("eventTime", _single(_timestamp)),
    ("eventTimeZoneOffset", _single(_verbatim)),
    ("certificationInfo", _repeated),
    ("parentID", _single(canonical_value)),
    ("epcList", _epc_list),
    ("inputEPCList", _epc_list),
    ("childEPCs", _epc_list),
    ("quantityList", _quantity_list),
    ("childQuantityList", _quantity_list),
    ("inputQuantityList", _quantity_list),
    ("outputEPCList", _epc_list),
    ("outputQuantityList", _quantity_list),
    ("action", _single(_verbatim)),
    ("transformationID", _single(canonical_value)),
    ("bizStep", _single(partial(canonical_term, f"{CBV}BizStep-"))),
    ("disposition", _single(partial(canonical_term, f"{CBV}Disp-"))),
    ("persistentDisposition", _persistent_disposition),
    ("readPoint", _location),
    ("bizLocation", _location),
    ("bizTransactionList", _typed_list("bizTransaction", f"{CBV}BTT-")),
    ("destinationList", _typed_list("destination", f"{CBV}SDT-")),
    ("sourceList", _typed_list("source", f"{CBV}SDT-")),
    ("sensorElementList", _sensor_element_list),
    ("ilmd", _ilmd),
)
# The reference implementation writes these after the ordered fields, sorted with the
# event's extensions (so destinationList comes before ilmd, ilmd before sourceList).
SORTED_WITH_EXTENSIONS = frozenset({"bizTransactionList", "sourceList", "destinationList", "ilmd"})
# Not hashed: the event's identity and bookkeeping, which may be set or changed after capture.
EXCLUDED_PROPERTIES = frozenset({"eventID", "id", "recordTime", "errorDeclaration"})


def prehash(event: Mapping[str, Any], context: JsonLdContext = None) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event.

    ``context`` is the ``@context`` of the document the event came from; its prefixes
    resolve the event's CURIEs. An ``@context`` inside the event adds to it.
    """
    if not isinstance(event, Mapping):
        raise NotAnEpcisEvent(f"an event must be a JSON object, got {type(event).__name__}")
    event_type = event.get("type")
    if event_type not in EVENT_TYPES:
        raise NotAnEpcisEvent(f"unknown EPCIS event type {event_type!r}")
    if event.get("eventTime") is None:
        raise NotAnEpcisEvent(f"the {event_type} has no eventTime")
    local = _context_entries(event.get("@context"))
    prefixes = context_prefixes([*_context_entries(context), *local])
    parts = [f"eventType={event_type}"]
    rest: list[str] = []
    for name, part in CANONICAL_PROPERTY_ORDER:
        if event.get(name) is not None:
            (rest if name in SORTED_WITH_EXTENSIONS else parts).append(
                part(name, event[name], prefixes)
            )
    standard = {"type", *(name for name, _ in CANONICAL_PROPERTY_ORDER), *EXCLUDED_PROPERTIES}
    rest.extend(_extension_texts(event, standard, prefixes))
    return "".join(parts) + "".join(sorted(rest))


def event_hash_id(event: Mapping[str, Any], context: JsonLdContext = None) -> str:
    """The event's hash ID: ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920) of its pre-hash string."""
    digest = hashlib.sha256(prehash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def document_events(
    document: Mapping[str, Any],
) -> list[tuple[Mapping[str, Any], JsonLdContext]]:
    """Each event of an EPCIS document or query document, in document order, with its context."""
    body = document.get("epcisBody") if isinstance(document, Mapping) else None
    if not isinstance(body, Mapping):
        raise NotAnEpcisEvent("an EPCIS document must have an epcisBody object")
    if document.get("type") == "EPCISQueryDocument":
        results = body.get("queryResults")
        results_body = results.get("resultsBody") if isinstance(results, Mapping) else None
        events = results_body.get("eventList") if isinstance(results_body, Mapping) else None
    else:
        events = body["eventList"] if "eventList" in body else _as_list(body.get("event"))
    if not isinstance(events, list):
        raise NotAnEpcisEvent("the document's event list is missing or is not a list")
    context: JsonLdContext = document.get("@context")
    return [(event, context) for event in events]
