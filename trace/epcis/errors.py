"""What the EPCIS interface refuses, each with the standard's exception it answers as.

EPCIS 2.0 names its failures (the exceptions of its capture and query interfaces, the REST
binding's problem types ``epcisException:...``); :data:`EPCIS_EXCEPTIONS` says which one
each code is.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_


class InvalidEpcisDocument(DomainError):
    """The body is not an EPCIS 2.0 document of the JSON binding; nothing of it is captured."""

    code = "epcis_invalid_document"
    words = N_(
        "The document is not valid EPCIS 2.0 JSON, so none of its events was "
        "captured: {detail}. Fix the place named and send it again."
    )


class CaptureLimitExceeded(DomainError):
    """The document holds more events than one capture takes (``GS1-EPCIS-Capture-Limit``)."""

    code = "epcis_capture_limit"
    words = N_(
        "The document is over the limit of one capture ({limit}): split it into smaller documents."
    )


class NoBatchNamed(DomainError):
    """The event names nothing this ledger holds and creates nothing, so it has no chain to join.

    EPCIS 2.0 lets a repository refuse an event it cannot accept; the REST binding reports
    such an event in the capture job as a ``ValidationException`` (docs/epcis.md).
    """

    code = "epcis_no_batch"
    words = N_(
        "The event names no batch or item this ledger holds, and does not create one. "
        "Send first the event that made them (an ObjectEvent with action ADD, or the "
        "TransformationEvent whose outputs they are), then send this event again; or name "
        "a batch of the ledger by its GTIN and lot (https://id.gs1.org/01/…/10/…) or by "
        "its page's address."
    )


class InputQuantityUnknown(DomainError):
    """A transformation's input that is a batch of the ledger has no quantity it can keep."""

    code = "epcis_input_quantity"
    words = N_(
        "The transformation's input {input} is a batch of this ledger, but its quantity is "
        "missing or in a unit the ledger does not keep. Give its quantity with a uom such "
        "as KGM, TNE, LTR or H87, then send the event again."
    )


class InvalidQueryParameter(DomainError):
    """A query parameter is unknown, not supported, or not of its type."""

    code = "epcis_query_parameter"
    words = N_("The query parameter {field} cannot be used: {reason}.")


class UnknownCaptureJob(DomainError):
    """No capture job of this agency has this id."""

    code = "epcis_unknown_capture"
    words = N_("Your agency has no EPCIS capture {id}.")


EPCIS_EXCEPTIONS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        InvalidEpcisDocument.code: ("ValidationException", 400),
        "epcis_protected_term": ("ValidationException", 400),
        "not_an_epcis_event": ("ValidationException", 400),
        "invalid_identifier": ("ValidationException", 400),
        NoBatchNamed.code: ("ValidationException", 400),
        InputQuantityUnknown.code: ("ValidationException", 400),
        "invalid_body": ("ValidationException", 400),
        CaptureLimitExceeded.code: ("CaptureLimitExceededException", 413),
        InvalidQueryParameter.code: ("QueryParameterException", 400),
        UnknownCaptureJob.code: ("NoSuchResourceException", 404),
        # The edge's refusals of a body (trace/api/edge.py); the XML binding is not served.
        "unsupported_media_type": ("UnsupportedMediaTypeException", 415),
        "bad_request": ("ValidationException", 400),
        "not_permitted": ("SecurityException", 403),
        "forbidden": ("SecurityException", 403),
        "unauthenticated": ("SecurityException", 401),
        "duplicate_lot": ("ValidationException", 409),
        # Named queries and subscriptions (trace/epcis/named_queries.py, subscriptions.py).
        "epcis_invalid_query": ("ValidationException", 400),
        "epcis_query_exists": ("ResourceAlreadyExistsException", 409),
        "epcis_unknown_query": ("NoSuchResourceException", 404),
        "epcis_invalid_subscription": ("SubscriptionControlsException", 400),
        "epcis_unknown_subscription": ("NoSuchResourceException", 404),
        "invalid_webhook": ("SubscriptionControlsException", 400),
    }
)
