"""EPCIS 2.0 capture: a document's events become signed records of the ledger.

What a capture does with each event (the EPCIS 2.0 capture interface, REST ``/capture``):

1. The document must be an ``EPCISDocument`` or ``EPCISQueryDocument`` of the JSON binding
   (:mod:`trace.epcis.document`), hold at most :data:`CAPTURE_LIMIT` events, and every
   identifier must be of a form the EPC Tag Data Standard or GS1 Digital Link defines:
   otherwise it is refused whole, before any job exists (``400``/``413``).
2. Each event is named by its Event Hash ID. One the ledger holds already (same ID, same
   error declaration) is not recorded again: capture is idempotent, so a client may send
   a document again after a lost answer.
3. An event that reads back into a ledger kind whole (:mod:`trace.epcis.mapping`) is
   recorded as that kind, with the kind's rules (a registration creates its batch). A
   partner's event that commissions or transforms goods the ledger does not hold, or moves
   goods between its agencies, makes the ledger's records for it, each keeping the event
   whole (:mod:`trace.epcis.creation`). Any other event is kept as an ``epcis_event``
   record, whole. Each joins the chain of the batch it names (:mod:`trace.epcis.subjects`);
   an event that names none and makes none is refused. An event is kept whole or not at
   all, even when it makes several records.
4. Statements are signed with the submitting agency's custodial key and appended by the
   store's append transaction (``trace/store/group.py``), all in one transaction, so that
   ``GS1-Capture-Error-Behaviour: rollback`` is all or nothing; with ``proceed`` the events
   that pass are kept and the others are listed in the job.

The eventID a capturing application gives is not the ledger's name for the event when it
is not the Event Hash ID (GS1 allows ``urn:uuid:`` and other forms, and example documents
carry hashes computed by other rules): the event is answered with its hash as ``eventID``,
kept whole in its record with the ID it came with, and found by either ID.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.epc import check_identifier
from trace.domain.epcis import TRACE_VOC
from trace.domain.errors import DomainError, InvalidBody
from trace.domain.event_hash import JsonLdContext, Prefixes, context_prefixes, event_hash_id
from trace.domain.kinds import EventKind, Registered, decode_body
from trace.domain.master_data import gtin_of
from trace.domain.record import now_us
from trace.domain.times import MAX_OFFSET, instant_of_us
from trace.epcis.contexts import check_contexts
from trace.epcis.creation import Creation
from trace.epcis.document import read_document
from trace.epcis.errors import CaptureLimitExceeded, InvalidEpcisDocument, NoBatchNamed
from trace.epcis.export import Setting, ledger_event
from trace.epcis.index import ENCODE, EpcisIndex, declaration_key, event_micros, recorded
from trace.epcis.jobs import Behaviour, CaptureJob, EventError, save_job
from trace.epcis.mapping import candidate
from trace.epcis.subjects import BatchClasses, BatchRef, find_batches, identifiers, subject
from trace.store.agencies import (
    Actor,
    active_custodial_key,
    private_key,
    require_scope_to_append,
)
from trace.store.append import custody_signed, new_batch_id, to_pending
from trace.store.database import read_transaction, write_transaction
from trace.store.group import Appended, Pending, append_group, count_committed
from trace.store.ledger import Ledger
from trace.store.master_data import products_of
from trace.store.projections import catch_up

CAPTURE_LIMIT = 500
"""Events one capture takes (``GS1-EPCIS-Capture-Limit``): one append transaction holds them."""
CAPTURE_FILE_SIZE_LIMIT = 8 * 1024 * 1024
"""Bytes one capture takes (``GS1-EPCIS-Capture-File-Size-Limit``), whatever the service's
limit on other bodies: 500 events the size of GS1's largest examples (about 10 KB each, pretty
printed) fit, with room for a document's own context and header."""

_STANDARD_CONTEXT = re.compile(r"https?://\S+/epcis-context\.jsonld")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class _Event:
    """One event of the document, checked and named."""

    index: int
    event: dict[str, Any]
    kept: dict[str, Any]  # the event with the document's own context in it
    prefixes: Prefixes
    hash_id: str
    declaration: str | None
    named: list[tuple[str, str]]
    occurred_at: str

    @property
    def key(self) -> tuple[str, str | None]:
        return self.hash_id, self.declaration


@dataclass(frozen=True, slots=True)
class _Planned:
    """An event's statements: one, or one per batch the event creates or moves."""

    index: int
    hash_id: str
    pendings: list[Pending]


def _entries(context: JsonLdContext) -> list[Any]:
    if context is None:
        return []
    return [context] if isinstance(context, str | dict) else list(context)


def _self_contained(event: dict[str, Any], context: JsonLdContext) -> dict[str, Any]:
    """The event with what the document's context defines beyond the standard one.

    JSON-LD merges an event's ``@context`` into its document's, so the kept event means
    the same alone as it meant in its document, and hashes the same.
    """
    local = [
        e for e in _entries(context) if not (isinstance(e, str) and _STANDARD_CONTEXT.fullmatch(e))
    ]
    if not local:
        return event
    return {"@context": [*local, *_entries(event.get("@context"))], **event}


def _occurred_at(event: Mapping[str, Any]) -> str:
    """``eventTime`` in the event's own time zone, as a statement's ``occurred_at``.

    A time or zone outside the ledger's window (trace/domain/times.py) is passed on as
    it was written, for the append to refuse that one event, naming the time.
    """
    offset = event["eventTimeZoneOffset"]
    sign = -1 if offset.startswith("-") else 1
    moment = instant_of_us(event_micros(event["eventTime"]))
    try:
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    except ValueError:
        zone = None
    if moment is None or zone is None or abs(zone.utcoffset(None)) > MAX_OFFSET:
        return str(event["eventTime"]).strip()
    return moment.astimezone(zone).isoformat()


def _check_identifiers(value: Any) -> None:
    """Every URI-shaped string of the event that claims to be an EPC must be one."""
    if isinstance(value, str):
        check_identifier(value)
    elif isinstance(value, dict):
        for item in value.values():
            _check_identifiers(item)
    elif isinstance(value, list):
        for item in value:
            _check_identifiers(item)


def _read(index: int, event: dict[str, Any], context: JsonLdContext) -> _Event:
    _check_identifiers({k: v for k, v in event.items() if k not in ("ilmd", "eventID")})
    kept = _self_contained(event, context)
    prefixes = context_prefixes([*_entries(context), *_entries(event.get("@context"))])
    return _Event(
        index=index,
        event=event,
        kept=kept,
        prefixes=prefixes,
        hash_id=event_hash_id(event, context),
        declaration=declaration_key(event),
        named=identifiers(event, prefixes),
        occurred_at=_occurred_at(event),
    )


def ascii_json(value: Any) -> str:
    """JSON text with every non-ASCII character escaped: NFC leaves it as it is."""
    text = ENCODE.encode(value).decode()

    def escape(match: re.Match[str]) -> str:
        units = match[0].encode("utf-16-be")
        return "".join(
            f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
        )

    return _NOT_ASCII.sub(escape, text)


class _Signer:
    """Statements of the actor's agency, signed with its custodial key."""

    def __init__(self, actor: Actor, key_id: str, secret: Any) -> None:
        self.actor, self.key_id, self.secret = actor, key_id, secret

    def pending(
        self, batch: str, kind: EventKind, occurred_at: str, body: dict[str, Any]
    ) -> Pending:
        signed = custody_signed(
            self.actor.agency_id,
            self.key_id,
            self.secret,
            batch=batch,
            kind=kind.value,
            occurred_at=occurred_at,
            body=body,
        )
        return to_pending(self.actor, signed)


class _Planner:
    """Decides, event by event, what each becomes: a kind's record, a kept event, or an error."""

    def __init__(
        self,
        base_url: str,
        signer: _Signer,
        known: dict[str, BatchRef],
        names: Mapping[str, str],
    ) -> None:
        self.base_url = base_url
        self.signer = signer
        self.known = known  # canonical class or item URI -> batch, new registrations added
        agency = signer.actor.agency_id
        self.creation = Creation(base_url, agency, TRACE_VOC, known, new_batch_id, names)

    def _as_kind(self, item: _Event) -> tuple[EventKind, BatchRef, dict[str, Any]] | None:
        given = item.event.get("eventID")
        if given not in (None, item.hash_id):
            return None  # a record of a kind has no place for another eventID

        def batch_of(uri: str) -> str | None:
            ref = self.known.get(uri)
            return None if ref is None else ref.id

        found = candidate(item.event, item.prefixes, base_url=self.base_url, batch_of=batch_of)
        if found is None:
            return None
        kind, body = found
        try:
            decoded = decode_body(kind.value, body)
        except InvalidBody:
            return None
        batch = subject(item.named, self.known)
        if isinstance(decoded, Registered):
            if batch is not None or decoded.gtin is None:
                return None
            batch = BatchRef(new_batch_id(), decoded.gtin.zfill(14), decoded.lot, "")
        if batch is None:
            return None
        refs = {*self.known.values(), batch}
        setting = Setting(
            base_url=self.base_url,
            batch_class=batch.epc_class(self.base_url),
            classes=BatchClasses({ref.id: ref for ref in refs}, self.base_url),
        )
        again = ledger_event(
            kind,
            decoded,
            occurred_at=item.occurred_at,
            agency=self.signer.actor.agency_id,
            recorded_at_us=0,
            setting=setting,
        )
        if again["eventID"] != item.hash_id:
            return None
        if isinstance(decoded, Registered):
            self.known[batch.epc_class(self.base_url)] = batch
        return kind, batch, body

    def plan(self, item: _Event) -> list[Pending]:
        """The statements for ``item``; raises the domain error that refuses it."""
        as_kind = self._as_kind(item)
        if as_kind is not None:
            kind, ref, body = as_kind
            return [self.signer.pending(ref.id, kind, item.occurred_at, body)]
        kept = {"event": ascii_json(item.kept), "event_hash": item.hash_id}
        # A partner's event that starts batches or moves goods (trace/epcis/creation.py).
        made = self.creation.made(item.event, item.prefixes, item.named, item.hash_id)
        if made:
            self._remember(item, made[0].batch)
            return [
                self.signer.pending(m.batch.id, m.kind, item.occurred_at, {**m.body, "epcis": kept})
                for m in made
            ]
        batch = subject(item.named, self.known)
        if batch is None:
            raise NoBatchNamed("no identifier of the event names a batch of this ledger")
        self._remember(item, batch)
        return [self.signer.pending(batch.id, EventKind.EPCIS_EVENT, item.occurred_at, kept)]

    def _remember(self, item: _Event, batch: BatchRef) -> None:
        """A container the event names (an SSCC as ``parentID``) holds the batch from now on."""
        for role, uri in item.named:
            if role == "parent":
                self.known.setdefault(uri, batch)


class _Rejected(Exception):
    """Rolls the capture's transaction back: ``rollback`` with an event refused, or an event
    refused in part (one of the batches it creates), which must be refused whole."""

    def __init__(self, refused: list[tuple[_Planned, DomainError]]) -> None:
        super().__init__()
        self.refused = refused


async def capture(
    ledger: Ledger, actor: Actor, data: bytes, *, behaviour: Behaviour, base_url: str
) -> CaptureJob:
    """Capture the EPCIS document ``data`` for ``actor``'s agency; the finished job.

    Raises :class:`~trace.epcis.errors.InvalidEpcisDocument` (and the identifier and event
    errors of step 1) or :class:`CaptureLimitExceeded` for a document refused whole.
    """
    # A token that may record nothing is refused at once, not event by event.
    require_scope_to_append(actor, EventKind.EPCIS_EVENT.value)
    job = CaptureJob(actor.agency_id, behaviour, now_us())
    _, raw, events = read_document(data)
    # A context no JSON-LD processor can read would spoil every page that gives it back.
    check_contexts(raw, events)
    if len(events) > CAPTURE_LIMIT:
        raise CaptureLimitExceeded(
            f"{len(events)} events, more than the {CAPTURE_LIMIT} one capture takes",
            limit=CAPTURE_LIMIT,
            count=len(events),
        )
    context = raw.get("@context")
    items = []
    for index, event in enumerate(events):
        try:
            items.append(_read(index, event, context))
        except DomainError as exc:
            where = f"$.epcisBody.eventList[{index}]"
            raise InvalidEpcisDocument(f"{where}: {exc.detail}", reason=where) from exc
    await catch_up(ledger, EpcisIndex(base_url))
    async with read_transaction(ledger.engine) as conn:
        held = await recorded(conn, (item.key for item in items))
        known = await find_batches(conn, base_url, (uri for i in items for _, uri in i.named))
        gtins = {gtin_of(uri) for item in items for _, uri in item.named}
        products = await products_of(conn, {gtin for gtin in gtins if gtin})
        names = {gtin: product.name("vi") for gtin, product in products.items()}
        key_id = actor.custodial_key or await active_custodial_key(conn, actor.agency_id)
        secret = ledger.private_keys.get(key_id) or await private_key(ledger, conn, key_id)
    planner = _Planner(base_url, _Signer(actor, key_id, secret), known, names)
    planned: list[_Planned] = []
    for item in items:
        if item.key in held:
            job.event_ids.append(item.hash_id)
            continue
        held.add(item.key)
        try:
            planned.append(_Planned(item.index, item.hash_id, planner.plan(item)))
        except DomainError as refused:
            job.errors.append(EventError.of(item.index, item.hash_id, refused))
    order = {item.hash_id: item.index for item in reversed(items)}
    await _append(ledger, job, planned, order)
    return job


def _refusals(
    planned: list[_Planned], outcomes: list[Appended | DomainError]
) -> list[tuple[_Planned, DomainError]]:
    """Each event with a statement refused, and the first refusal."""
    refused = []
    at = 0
    for plan in planned:
        mine = outcomes[at : at + len(plan.pendings)]
        at += len(plan.pendings)
        error = next((o for o in mine if isinstance(o, DomainError)), None)
        if error is not None:
            refused.append((plan, error))
    return refused


async def _append(
    ledger: Ledger, job: CaptureJob, planned: list[_Planned], order: Mapping[str, int]
) -> None:
    """Append the planned statements and write the job, in one transaction when any is kept.

    An event is kept whole or not at all: with ``proceed``, an event whose statements were
    refused in part is dropped and the others are appended again without it.
    """
    rollback = job.behaviour is Behaviour.ROLLBACK
    while planned and not (rollback and job.errors):
        try:
            async with write_transaction(ledger.engine) as conn:
                outcomes = await append_group(
                    conn, [p for plan in planned for p in plan.pendings], tree=ledger.maintain_tree
                )
                refused = _refusals(planned, outcomes)
                if refused and (rollback or any(len(p.pendings) > 1 for p, _ in refused)):
                    raise _Rejected(refused)
                failed = {plan.index for plan, _ in refused}
                job.event_ids.extend(p.hash_id for p in planned if p.index not in failed)
                job.errors.extend(EventError.of(p.index, p.hash_id, e) for p, e in refused)
                await _finish(conn, job, order)
            count_committed(outcomes)
            return
        except _Rejected as rejected:
            if rollback:
                job.errors.extend(EventError.of(p.index, p.hash_id, e) for p, e in rejected.refused)
                break
            dropped = [(p, e) for p, e in rejected.refused if len(p.pendings) > 1]
            job.errors.extend(EventError.of(p.index, p.hash_id, e) for p, e in dropped)
            gone = {p.index for p, _ in dropped}
            planned = [p for p in planned if p.index not in gone]
    if rollback and job.errors:
        job.event_ids.clear()
    async with write_transaction(ledger.engine) as conn:
        await _finish(conn, job, order)


async def _finish(conn: AsyncConnection, job: CaptureJob, order: Mapping[str, int]) -> None:
    """Write the job, its kept events and its errors in the document's order."""
    job.event_ids.sort(key=order.__getitem__)
    job.errors.sort(key=lambda error: error.index)
    job.finished_at_us = now_us()
    await save_job(conn, job)
