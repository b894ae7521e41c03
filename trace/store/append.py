"""The one way an event enters the ledger.

The API, the CLI, EPCIS capture and the demo all call :func:`append`. It checks
what needs no database (canonical bytes, envelope, body, who signs), then hands
the statement to this process's writer queue: statements that arrive together
are appended in one transaction (:mod:`trace.store.group`), each checked on its
own against the key, the rules and the expected version. The log head is
locked last and held to commit, so positions follow commit order and a reader
following the log never skips a record that commits late.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from trace.domain.errors import DomainError, InvalidSignature, NotPermitted
from trace.domain.kinds import EventKind, decode_body
from trace.domain.statement import (
    Statement,
    encode_statement,
    new_nonce,
    parse_statement,
    sign_statement,
    statement_hash,
)
from trace.domain.times import check_new_statement
from trace.domain.validation import check_content, check_request
from trace.store.agencies import (
    Actor,
    active_custodial_key,
    private_key,
    require_scope_to_append,
)
from trace.store.batches import find_batch
from trace.store.database import read_transaction, write_transaction
from trace.store.errors import Contention, VersionConflict
from trace.store.group import (
    Appended,
    Outcome,
    Pending,
    SignedStatement,
    append_group,
    count_committed,
)
from trace.store.ledger import Ledger
from trace.store.records import load_record
from trace.store.tables import records

__all__ = [
    "Appended",
    "SignedStatement",
    "append",
    "append_all",
    "append_unsigned",
    "custodial_key",
    "custody_signed",
    "new_batch_id",
    "request_fingerprint",
    "to_pending",
]

_RETRIES = 3
_REQUEST_CONTEXT = b"trace/request/v1\n"
# Enough to amortise a commit over many appends, small enough to keep each transaction short.
MAX_GROUP = 64


def request_fingerprint(route: str, request: Mapping[str, Any]) -> bytes:
    """What names a client's request for its ``Idempotency-Key``: SHA-256 over the route it
    was sent to and what the client sent there (JSON, keys sorted).

    Only what the client sent: a part the server chooses (a new batch's id, the nonce, a
    default time) differs on a retry, which would then be refused instead of answered.
    """
    sent = msgspec.json.encode(request, order="sorted")
    return hashlib.sha256(_REQUEST_CONTEXT + route.encode() + b"\n" + sent).digest()


def custody_signed(
    agency: str,
    key_id: str,
    secret: Ed25519PrivateKey,
    *,
    batch: str,
    kind: str,
    occurred_at: str,
    body: dict[str, Any],
) -> SignedStatement:
    """A statement of ``agency`` signed with its custodial key ``key_id`` by the server."""
    data = encode_statement(
        Statement(
            v=1,
            batch=batch,
            kind=kind,
            occurred_at=occurred_at,
            agency=agency,
            key=key_id,
            body=body,
            nonce=new_nonce(),
        )
    )
    return SignedStatement(data, sign_statement(secret, data), key_id)


def to_pending(
    actor: Actor,
    signed: SignedStatement,
    *,
    idempotency_key: str | None = None,
    fingerprint: bytes | None = None,
    expected_version: int | None = None,
) -> Pending:
    """The checks an append needs no database for: ``signed`` parses, its body fits its
    kind, its times lie in the ledger's window (trace/domain/times.py), the token may
    append it, and it names the token's agency and its own key.

    Every way into the ledger (one append, a capture's group) goes through here.
    """
    statement = parse_statement(signed.statement)
    require_scope_to_append(actor, statement.kind)
    body = decode_body(statement.kind, statement.body)
    kind = EventKind(statement.kind)
    check_new_statement(statement.occurred_at, body, now=datetime.now(UTC))
    check_content(kind, body)
    if statement.key != signed.key_id:
        raise InvalidSignature("the statement names another key", reason="key_mismatch")
    if statement.agency != actor.agency_id:
        raise NotPermitted(
            "the statement names another agency than the token's",
            rule="statement_not_yours",
            kind=kind.value,
        )
    return Pending(
        actor,
        signed,
        statement,
        kind,
        body,
        statement_hash(signed.statement),
        idempotency_key,
        fingerprint or hashlib.sha256(signed.statement + signed.signature).digest(),
        expected_version,
    )


async def append(
    ledger: Ledger,
    actor: Actor,
    signed: SignedStatement,
    *,
    idempotency_key: str | None = None,
    fingerprint: bytes | None = None,
    expected_version: int | None = None,
) -> Appended:
    """Verify ``signed`` and append it as the next record of its batch and of the log.

    ``fingerprint`` identifies the request for ``idempotency_key`` (by default the
    statement and signature): the same key with another fingerprint is refused.
    """
    pending = to_pending(
        actor,
        signed,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        expected_version=expected_version,
    )
    (outcome,) = await _queue(ledger).submit([pending])
    outcome = await _settled(ledger, pending, outcome)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def append_all(
    ledger: Ledger, actor: Actor, statements: Sequence[tuple[SignedStatement, int | None]]
) -> list[Appended | DomainError]:
    """Append each signed statement (with its expected version, if any) in order; return,
    in the same order, its outcome: the record, or the refusal of that statement alone.

    The statements are queued together, so they are written in as few transactions as the
    writer queue makes groups. Each is checked on its own, against the state the earlier
    ones left: a refused statement changes nothing, and one that needed it is refused on
    its own merits. Only a failure of the database itself is raised, once every statement
    is settled: those written before it are kept, and a resend replays them.
    """
    outcomes: list[Appended | DomainError | None] = [None] * len(statements)
    queued: list[tuple[int, Pending]] = []
    for i, (signed, expected_version) in enumerate(statements):
        try:
            queued.append((i, to_pending(actor, signed, expected_version=expected_version)))
        except DomainError as refused:
            outcomes[i] = refused
    results = await _queue(ledger).submit([pending for _, pending in queued])
    for (i, pending), outcome in zip(queued, results, strict=True):
        outcomes[i] = await _settled(ledger, pending, outcome)
    return [outcome for outcome in outcomes if outcome is not None]


async def _settled(ledger: Ledger, pending: Pending, outcome: Outcome) -> Outcome:
    """The answer for ``pending``: a refusal of a statement already recorded is its replay."""
    if isinstance(outcome, (NotPermitted, VersionConflict)):
        # Recorded by another process while this one checked it, it fails the rules the
        # second time (its batch moved on): answer with its record, as for a resend.
        earlier = await _recorded(ledger, pending.digest)
        if earlier is not None:
            return earlier
    return outcome


class WriterQueue:
    """Appends waiting in this process; whoever holds the lock writes the next group."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.waiting: deque[tuple[Pending, asyncio.Future[Outcome]]] = deque()
        self.lock = asyncio.Lock()

    async def submit(self, items: Sequence[Pending]) -> list[Outcome]:
        """Queue ``items``, one after the other, and return their outcomes in the same order
        once the groups containing them have committed.

        They are queued at once, so no other append comes between them and each is
        checked against the state the ones before it left.
        """
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Outcome]] = [loop.create_future() for _ in items]
        self.waiting.extend(zip(items, futures, strict=True))
        while not all(future.done() for future in futures):
            async with self.lock:
                if all(future.done() for future in futures):
                    break
                group = [self.waiting.popleft() for _ in range(min(MAX_GROUP, len(self.waiting)))]
                # Shielded: a caller that goes away must not abort the others' transaction.
                await asyncio.shield(self._write(group))
        failures = [future.exception() for future in futures]
        failure = next((exc for exc in failures if exc is not None), None)
        if failure is not None:
            raise failure
        return [future.result() for future in futures]

    async def _write(self, group: list[tuple[Pending, asyncio.Future[Outcome]]]) -> None:
        items = [item for item, _ in group]
        results: list[Outcome | Exception] = []
        try:
            results.extend(await _commit(self.ledger, items))
        except Exception as exc:
            if len(group) == 1:
                results.append(exc)
            else:
                # A database-level failure spoils the whole group: write each one alone.
                for item in items:
                    try:
                        results.extend(await _commit(self.ledger, [item]))
                    except Exception as single:
                        results.append(single)
        for (_, future), result in zip(group, results, strict=True):
            if isinstance(result, DomainError) or not isinstance(result, Exception):
                future.set_result(result)
            else:
                future.set_exception(result)


async def _commit(ledger: Ledger, items: list[Pending]) -> list[Outcome]:
    """One transaction for ``items``, retried when the database asks for it."""
    for attempt in range(_RETRIES):
        try:
            async with write_transaction(ledger.engine) as conn:
                outcomes = await append_group(conn, items, tree=ledger.maintain_tree)
            count_committed(outcomes)
            return outcomes
        except IntegrityError:
            # The same signed statement, Idempotency-Key or batch registration committed
            # meanwhile by another process: alone, the retry sees it and answers with it.
            if len(items) > 1:
                raise
            earlier = await _recorded(ledger, items[0].digest)
            if earlier is not None:
                return [earlier]
            if attempt == _RETRIES - 1:
                raise
        except DBAPIError as exc:
            if "deadlock" not in str(exc.orig).lower() or attempt == _RETRIES - 1:
                raise
    raise Contention("the append could not be completed; retry")


def _queue(ledger: Ledger) -> WriterQueue:
    queue = ledger.writer
    if not isinstance(queue, WriterQueue):
        queue = WriterQueue(ledger)
        ledger.writer = queue
    return queue


async def custodial_key(ledger: Ledger, actor: Actor) -> tuple[str, Ed25519PrivateKey]:
    """The key the server signs with for ``actor``'s agency: its id and private key."""
    key_id = actor.custodial_key
    secret = ledger.private_keys.get(key_id) if key_id else None
    if key_id is None or secret is None:
        async with read_transaction(ledger.engine) as conn:
            key_id = key_id or await active_custodial_key(conn, actor.agency_id)
            secret = await private_key(ledger, conn, key_id)
    return key_id, secret


async def append_unsigned(
    ledger: Ledger,
    actor: Actor,
    *,
    batch: str,
    kind: str,
    occurred_at: str,
    body: dict[str, Any],
    idempotency_key: str | None = None,
    expected_version: int | None = None,
    fingerprint: bytes | None = None,
) -> Appended:
    """Build a statement for the actor's agency, sign it with its custodial key, append it.

    With an ``idempotency_key``, ``fingerprint`` must name the client's request
    (:func:`request_fingerprint`): only the caller knows which parts of the statement the
    client sent and which the server chose.
    """
    if idempotency_key is not None and fingerprint is None:
        raise ValueError("an append with an Idempotency-Key needs the fingerprint of its request")
    require_scope_to_append(actor, kind)
    # What a person sent: every mistake at once, before anything is signed.
    check_request(kind, occurred_at, body, now=datetime.now(UTC))
    key_id, secret = await custodial_key(ledger, actor)
    signed = custody_signed(
        actor.agency_id, key_id, secret, batch=batch, kind=kind, occurred_at=occurred_at, body=body
    )
    return await append(
        ledger,
        actor,
        signed,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        expected_version=expected_version,
    )


def new_batch_id() -> str:
    """A fresh batch id (random UUID), chosen before the `registered` statement is signed."""
    return str(uuid.uuid4())


async def _recorded(ledger: Ledger, digest: bytes) -> Appended | None:
    async with read_transaction(ledger.engine) as conn:
        position = (
            await conn.execute(select(records.c.position).where(records.c.statement_hash == digest))
        ).scalar()
        if position is None:
            return None
        record = await load_record(conn, position)
        return Appended(record, await find_batch(conn, record.batch), replayed=True)
