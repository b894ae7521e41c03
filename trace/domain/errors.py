"""Domain exceptions.

Every failure a caller can act on has its own type. Each carries a stable
``code`` (the key of its message in the catalogue, ``trace/catalogue.py``) and
the ``params`` that message is filled with, so the text a person reads lives in
one place and in two languages.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of all domain failures; ``code`` names the catalogue message."""

    code: str = "domain_error"

    def __init__(self, detail: str, **params: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params: dict[str, object] = params


class NotCanonical(DomainError):
    """Statement bytes are not in canonical form (or are not valid JSON)."""

    code = "not_canonical"


class InvalidStatement(DomainError):
    """A statement's envelope is malformed (missing field, wrong type, bad time)."""

    code = "invalid_statement"


class InvalidBody(DomainError):
    """An event body does not match its kind's schema."""

    code = "invalid_body"


class UnknownKind(DomainError):
    """The statement names an event kind the ledger does not know."""

    code = "unknown_kind"


class InvalidSignature(DomainError):
    """An Ed25519 signature does not verify for the statement and key."""

    code = "invalid_signature"


class NotPermitted(DomainError):
    """The acting agency may not record this kind on this batch."""

    code = "not_permitted"


class InvalidIdentifier(DomainError):
    """A GTIN, GS1 Digital Link path or batch code is malformed."""

    code = "invalid_identifier"


class NotAnEpcisEvent(DomainError):
    """The input is not an EPCIS 2.0 event or document the Event Hash ID can be computed for."""

    code = "not_an_epcis_event"
