"""The JSON-LD contexts a captured document brings, checked before anything is kept.

The EPCIS 2.0 context marks its terms ``@protected`` (JSON-LD 1.1, section 4.1.11): a
context that defines one of them again, other than identically, makes every JSON-LD
processor stop with "protected term redefinition", and so does a ``null`` context,
which would clear them. A captured event keeps its document's context, and is given
back inside query documents and public pages with other events: kept, such a context
would make every page that holds the event unreadable for every partner. Capture
therefore refuses it, naming the term, before any event is appended.

Only the standard context's own terms are checked, not those its scoped contexts define
inside a field (``sensorReport``'s ``value``, for example); remote contexts other than
the standard one are not fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trace.domain.errors import DomainError
from trace.domain.event_hash import EPCIS_PREFIXES
from trace.domain.texts import N_

# The terms the EPCIS 2.0 context (epcis-context.jsonld, "@protected": true) defines.
PROTECTED_TERMS = frozenset(
    {
        *EPCIS_PREFIXES,
        "id",
        "type",
        "baseURL",
        "ObjectEvent",
        "AggregationEvent",
        "TransformationEvent",
        "AssociationEvent",
        "TransactionEvent",
        "Collection",
        "member",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "action",
        "certificationInfo",
        "bizStep",
        "disposition",
        "bizLocation",
        "readPoint",
        "transformationID",
        "epcList",
        "sourceList",
        "destinationList",
        "persistentDisposition",
        "quantity",
        "epcClass",
        "uom",
        "quantityList",
        "bizTransactionList",
        "parentID",
        "childEPCs",
        "childQuantityList",
        "inputEPCList",
        "outputEPCList",
        "inputQuantityList",
        "outputQuantityList",
        "sensorElementList",
        "errorDeclaration",
        "eventID",
        "creationDate",
        "sender",
        "receiver",
        "instanceIdentifier",
        "schemaVersion",
        "ilmd",
        "EPCISDocument",
        "EPCISQueryDocument",
        "epcisHeader",
        "masterData",
        "vocabularyList",
        "epcisBody",
        "queryResults",
        "subscriptionID",
        "queryName",
        "resultsBody",
        "eventList",
        "children",
    }
)


class ProtectedTermRedefined(DomainError):
    """A context of the document redefines (or clears) a protected term of EPCIS 2.0."""

    code = "epcis_protected_term"
    words = N_(
        "The @context at {where} redefines {term}, a term the EPCIS 2.0 context protects, so "
        "no JSON-LD processor could read the document's events and none was captured. "
        "Remove that definition (or name your own vocabulary with another prefix) and send "
        "the document again."
    )


def _entries(context: Any) -> Sequence[Any]:
    return context if isinstance(context, list) else [context]


def _redefined(entry: Any) -> str | None:
    """The protected term ``entry`` redefines, ``null`` for a cleared context, else None."""
    if entry is None:
        return "null"
    if not isinstance(entry, Mapping):
        return None  # a remote context's URL
    for term, definition in entry.items():
        if term not in PROTECTED_TERMS:
            continue
        if EPCIS_PREFIXES.get(term) == definition:
            continue  # the same definition again is allowed
        return str(term)
    return None


def check_context(where: str, context: Any) -> None:
    """Raise :class:`ProtectedTermRedefined` if ``context`` (at ``where``) cannot be kept."""
    for entry in _entries(context):
        term = _redefined(entry)
        if term is not None:
            raise ProtectedTermRedefined(
                f"{where}.@context redefines the protected term {term}",
                where=f"{where}.@context",
                term=term,
            )


def check_contexts(document: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> None:
    """Check the document's context and each event's own (``read_document``'s output)."""
    if "@context" in document:
        check_context("$", document["@context"])
    for index, event in enumerate(events):
        if "@context" in event:
            check_context(f"$.epcisBody.eventList[{index}]", event["@context"])
