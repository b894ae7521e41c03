"""Domain exceptions.

Every failure a caller can act on has its own type. Each carries a stable ``code``
(programs tell failures apart by it; it is the ``code`` of a problem+json answer), the
``params`` of this failure, and its ``words``: the English text a person reads, with
``{name}`` placeholders filled from the params, translated where it is shown
(``trace/translation.py``; the catalogues are ``locale/*/LC_MESSAGES/messages.po``). A
failure whose ``rule`` or ``reason`` param has words of its own in ``variants`` is worded
by those. ``detail`` is a short English account for logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.texts import N_


class DomainError(Exception):
    """Base of all domain failures; ``code`` names the failure, ``words`` say it."""

    code: str = "domain_error"
    words: str = N_("The request was refused: {detail}")
    variants: Mapping[str, str] = MappingProxyType({})

    def __init__(self, detail: str, **params: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params: dict[str, object] = params

    @classmethod
    def words_for(cls, params: Mapping[str, object]) -> str:
        """The words of this failure with ``params``: its rule's or reason's, else its own."""
        for name in ("rule", "reason"):
            found = cls.variants.get(str(params.get(name)))
            if found is not None:
                return found
        return cls.words


def error_type(code: str) -> type[DomainError]:
    """The failure whose code is ``code`` (among the types loaded), else ``DomainError``.

    For failures kept or sent as a code and params (a capture job's errors, a problem
    read back by a client), to word them again in another language.
    """
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        kind = pending.pop()
        if kind.code == code:
            return kind
        pending.extend(kind.__subclasses__())
    return DomainError


class NotCanonical(DomainError):
    """Statement bytes are not in canonical form (or are not valid JSON)."""

    code = "not_canonical"
    words = N_(
        "The statement bytes are not in canonical form ({reason}): encode it "
        "again with `python -m trace sign` (sorted keys, no spaces, NFC text, "
        "no floats)."
    )
    variants = MappingProxyType(
        {
            "too_deep": N_(
                "The data nests more than {limit} levels deep (JSON arrays "
                "and objects); no statement of this ledger needs that many. "
                "Check the event's body."
            ),
        }
    )


class InvalidStatement(DomainError):
    """A statement's envelope is malformed (missing field, wrong type, bad time)."""

    code = "invalid_statement"
    words = N_("The statement is invalid in field {reason}: {detail}")


class InvalidBody(DomainError):
    """An event body does not match its kind's schema."""

    code = "invalid_body"
    words = N_(
        "The body of the '{kind}' event is invalid: {reason}. Fix the named field and resend."
    )


class UnknownKind(DomainError):
    """The statement names an event kind the ledger does not know."""

    code = "unknown_kind"
    words = N_("There is no event kind '{kind}'. Valid kinds: {known}.")


class InvalidSignature(DomainError):
    """An Ed25519 signature does not verify for the statement and key."""

    code = "invalid_signature"
    words = N_(
        "The signature does not match the statement and key ({reason}). Sign "
        "exactly the bytes you send, with your agency's current key."
    )


class NotPermitted(DomainError):
    """The acting agency may not record this kind on this batch."""

    code = "not_permitted"
    words = N_("Not permitted: {detail}")
    variants = MappingProxyType(
        {
            "kind_not_allowed_for_agency": N_(
                "An agency of kind '{agency_kind}' may not record '{kind}' events."
            ),
            "not_batch_producer": N_("Only the batch's producer may record '{kind}' events."),
            "not_current_holder": N_(
                "Only the agency currently holding the goods may record '{kind}' events."
            ),
            "labels_not_producer": N_(
                "Only the producer of this batch may print its labels and register its print runs."
            ),
            "batch_not_registered": N_(
                "The batch is not registered: record a 'registered' event first."
            ),
            "batch_already_registered": N_("This batch is already registered."),
            "batch_recalled": N_(
                "The batch has been recalled: '{kind}' events are no longer allowed."
            ),
            "not_shipment_recipient": N_("Only the shipment's recipient may record 'received'."),
            "not_original_recorder": N_(
                "Only the agency that recorded the original may correct it."
            ),
            "input_not_held": N_("The processor does not hold input batch {input}."),
            "input_unknown": N_("Input batch {input} does not exist."),
            "batch_in_transit": N_(
                "The batch is in transit: the recipient must record 'received' first."
            ),
            "batch_sold_out": N_("The batch is sold out: '{kind}' events are no longer allowed."),
            "ship_to_self": N_("A batch cannot be shipped to the agency that holds it."),
            "shipment_sender_mismatch": N_(
                "The sender named in 'received' is not the agency that shipped the batch."
            ),
            "input_is_output": N_("A batch cannot be an input of itself."),
            "input_recalled": N_("Input batch {input} has been recalled and cannot be used."),
            "input_sold_out": N_("Input batch {input} is sold out."),
            "corrected_record_unknown": N_("The record to correct is not a record of this batch."),
            "statement_not_yours": N_(
                "The statement names another agency than the access token's."
            ),
            "not_involved_in_batch": N_(
                "Only an agency that makes, holds, is receiving, inspects or "
                "certifies this batch may record EPCIS events on it."
            ),
        }
    )


class InvalidIdentifier(DomainError):
    """A GTIN, GS1 Digital Link path or batch code is malformed."""

    code = "invalid_identifier"
    words = N_("The identifier '{value}' is not valid ({reason}). Check the digits again.")
    variants = MappingProxyType(
        {
            "check_digit": N_(
                "The check digit of '{value}' is wrong. Compare it with the code on the package."
            ),
            "length": N_("The code '{value}' has the wrong length."),
            "epc_form": N_("'{value}' is not an EPC of the EPC Tag Data Standard."),
        }
    )


class NotAnEpcisEvent(DomainError):
    """The input is not an EPCIS 2.0 event or document the Event Hash ID can be computed for."""

    code = "not_an_epcis_event"
    words = N_("This is not an EPCIS 2.0 event whose Event Hash ID can be computed: {detail}")
