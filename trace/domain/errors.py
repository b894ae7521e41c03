"""Domain exceptions.

Every failure a caller can act on has its own type. Each carries a stable ``code``
(programs tell failures apart by it; it is the ``code`` of a problem+json answer), the
``params`` of this failure, and its ``words``: the English text a person reads, with
``{name}`` placeholders filled from the params, translated where it is shown
(``trace/translation.py``; the catalogues are ``locale/*/LC_MESSAGES/messages.po``). A
failure whose ``rule``, ``reason`` or ``what`` param has words of its own in ``variants`` is worded
by those. ``detail`` is a short English account for logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from trace.domain.texts import N_


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One mistake in a request: where (``body.quantity.unit``), what is wrong in words, and
    the values those words name (trace/domain/validation.py finds them)."""

    path: str
    words: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The last part of the path: the field itself."""
        return re.split(r"[.\[]", self.path)[-1].rstrip("]")


class DomainError(Exception):
    """Base of all domain failures; ``code`` names the failure, ``words`` say it."""

    code: str = "domain_error"
    words: str = N_("The request was refused: {detail}")
    variants: Mapping[str, str] = MappingProxyType({})

    # Every mistake of a request, where a failure found several (a form's fields).
    problems: tuple[FieldProblem, ...] = ()

    def __init__(self, detail: str, **params: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params: dict[str, object] = params

    def having(self, problems: Sequence[FieldProblem]) -> DomainError:
        """This failure with its ``problems`` (each mistake, where there are several)."""
        self.problems = tuple(problems)
        return self

    @classmethod
    def words_for(cls, params: Mapping[str, object]) -> str:
        """The words of this failure with ``params``: its rule's, reason's or the words for
        what it concerns, else its own."""
        for name in ("rule", "reason", "what"):
            found = cls.variants.get(str(params.get(name)))
            if found is not None:
                return found
        return cls.words


class BrokenRule(ValueError):
    """A rule across a body's fields is broken (raised in a Struct's ``__post_init__``).

    msgspec turns it into the ValidationError of the Struct, whose cause it stays, so the
    words reach the person: ``field`` names the field that should change, ``params`` fill
    the words (trace/domain/validation.py).
    """

    def __init__(self, words: str, /, *, field: str = "", **params: object) -> None:
        super().__init__(f"{field}: {words}" if field else words)
        self.words, self.field, self.params = words, field, params


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
    # By the check that failed, so that no parser's words reach the reader.
    variants = MappingProxyType(
        {
            "envelope": N_(
                "The statement must be an object with exactly the fields v, batch, agency, "
                "key, kind, occurred_at, nonce and body, each of its type (docs/formats.md)."
            ),
            "version": N_("The statement's version (v) must be 1."),
            "batch": N_("The statement's batch must be the batch's id, a lower-case UUID."),
            "agency": N_("The statement's agency must be your agency's id, a lower-case UUID."),
            "key": N_("The statement's key must be your key's id: 16 hexadecimal digits."),
            "nonce": N_("The statement's nonce must be 16 to 64 characters."),
            "time": N_(
                "{field} must be an RFC 3339 time with its UTC offset, like "
                "2026-09-01T07:30:00+07:00."
            ),
            "base64": N_("{field} is not valid base64. Encode the bytes with standard base64."),
            "name": N_("An agency needs a name with at least one letter or digit."),
        }
    )


class InvalidBody(DomainError):
    """An event body does not match its kind's schema."""

    code = "invalid_body"
    words = N_("Some details of the event need correcting; each field is named below.")


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
            "recall_unknown": N_(
                "No recall has the record hash this step names: give the record hash of "
                "the 'recalled' record, as the recall shows it."
            ),
            "recall_corrected": N_(
                "Recall {recall} was withdrawn by a correction: it takes no more steps."
            ),
            "recall_closed": N_("Recall {recall} is closed: it takes no more steps."),
            "recall_not_of_batch": N_(
                "Recall {recall} is not a recall of this batch: record its steps on the "
                "recalled batch."
            ),
            "not_recall_authority": N_(
                "Only the authority that issued recall {recall} may record that its holders "
                "were told or close it."
            ),
            "recall_does_not_reach_batch": N_(
                "Recall {recall} does not reach this batch: its reach "
                "(GET /api/v1/recalls/{recall}/reach) lists the batches it does."
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
            "gtin_check_digit": N_(
                "The last digit of GTIN {value} is its check digit, and it is wrong: it should "
                "be {expected}, not {found}. Compare the number with the one printed on the "
                "package."
            ),
            "gln_check_digit": N_(
                "The last digit of GLN {value} is its check digit, and it is wrong. Compare "
                "the number with the one your GS1 membership gave the location."
            ),
            "length": N_("The code '{value}' has the wrong length."),
            "epc_form": N_("'{value}' is not an EPC of the EPC Tag Data Standard."),
        }
    )


class NotAnEpcisEvent(DomainError):
    """The input is not an EPCIS 2.0 event or document the Event Hash ID can be computed for."""

    code = "not_an_epcis_event"
    words = N_("This is not an EPCIS 2.0 event whose Event Hash ID can be computed: {detail}")
