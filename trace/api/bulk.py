"""A device's queue of signed statements, sent at once: the messages of
``POST /api/v1/records/bulk``.

A producer's phone signs events offline with the agency's device key and sends its queue
when the network returns. Each statement is answered as ``POST /api/v1/records`` would
answer it alone: its record (201), or its problem (4xx), in the order sent. A statement
already recorded (the same bytes and signature) is answered with its record, marked
``replayed``, so a queue sent twice stores nothing new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union, cast

import msgspec
from litestar import Request

from trace.api.agencies import decode_b64
from trace.api.problems import STATUS, Problem, domain_problem
from trace.api.schemas import RecordOut, SignedIn
from trace.domain.errors import DomainError
from trace.domain.texts import N_
from trace.store.agencies import Actor
from trace.store.append import Appended, SignedStatement, append_all
from trace.store.ledger import Ledger

# Enough for a day's queue of a cooperative's phone; few enough that the answer comes
# before a phone's network gives up, and that one request holds the writer queue briefly.
MAX_STATEMENTS = 500


class TooManyStatements(DomainError):
    """A bulk append holds more statements than one request takes (413)."""

    code = "too_many_statements"
    words = N_(
        "One request sends at most {limit} statements, and this one holds {count}. "
        "Send them in several requests, in order."
    )


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    """Signed statements to append in this order, each as ``POST /api/v1/records`` takes it."""

    # The limit is checked by the handler, so that it is refused as 413 naming it; the
    # schema still says it (maxItems), for clients and fuzzers.
    records: Annotated[
        list[SignedIn],
        msgspec.Meta(
            extra_json_schema={
                "description": f"At most {MAX_STATEMENTS}, in the order they were signed.",
                # Litestar's way to the schema of a Struct's field (schema_extra).
                "extra": {"maxItems": MAX_STATEMENTS},
            }
        ),
    ]


class BulkAppended(msgspec.Struct, tag_field="status", tag=201):
    """A statement recorded (``status`` 201): its record; ``replayed`` when it was recorded
    before."""

    record: RecordOut
    replayed: bool


class BulkRefused(msgspec.Struct, tag_field="status"):
    """A statement refused: ``status`` and the ``problem`` that ``POST /api/v1/records``
    would answer for it alone."""

    problem: Problem


# One variant per status a statement may be refused with, so the description says exactly
# which (the status is the tag that tells a result's variant).
REFUSED: dict[int, type[BulkRefused]] = {
    status: cast(
        type[BulkRefused],
        msgspec.defstruct(
            f"BulkRefused{status}", [], bases=(BulkRefused,), tag=status, module=__name__
        ),
    )
    for status in sorted({s for s in STATUS.values() if 400 <= s < 500})
}
if TYPE_CHECKING:
    BulkResult = BulkAppended | BulkRefused
else:
    BulkResult = Union[BulkAppended, *REFUSED.values()]


class BulkOut(msgspec.Struct):
    """One result per statement sent, in the same order."""

    results: list[BulkResult]


async def append_sent(ledger: Ledger, actor: Actor, data: BulkIn) -> list[Appended | DomainError]:
    """Append the statements of ``data`` in order; each one's record or refusal, in order."""
    decoded = _signed_statements(data)
    appended = iter(
        await append_all(ledger, actor, [d for d in decoded if not isinstance(d, DomainError)])
    )
    return [d if isinstance(d, DomainError) else next(appended) for d in decoded]


def _signed_statements(
    data: BulkIn,
) -> list[tuple[SignedStatement, int | None] | DomainError]:
    """Each statement of ``data`` decoded from base64 with its expected version, or the
    refusal of one that does not decode."""
    if len(data.records) > MAX_STATEMENTS:
        raise TooManyStatements(
            f"{len(data.records)} statements in one request",
            limit=MAX_STATEMENTS,
            count=len(data.records),
        )
    decoded: list[tuple[SignedStatement, int | None] | DomainError] = []
    for item in data.records:
        try:
            signed = SignedStatement(
                decode_b64(item.statement, field="statement"),
                decode_b64(item.signature, field="signature"),
                item.key_id,
            )
        except DomainError as refused:
            decoded.append(refused)
            continue
        decoded.append((signed, item.expected_version))
    return decoded


def bulk_out(request: Request[Any, Any, Any], outcomes: list[Appended | DomainError]) -> BulkOut:
    """The answer for ``outcomes``, each refusal worded in the request's language."""
    results: list[BulkResult] = []
    for outcome in outcomes:
        if isinstance(outcome, DomainError):
            found = domain_problem(request, outcome)
            results.append(REFUSED[found.status](found))
        else:
            results.append(BulkAppended(RecordOut.of(outcome.record), outcome.replayed))
    return BulkOut(results)
