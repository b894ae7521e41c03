"""The ``events`` dataset as one EPCIS 2.0 JSON-LD document, written as it streams.

Each record's event is the one the inspectors' EPCIS interface and the public pages give
(the "epcis" projection, :mod:`trace.epcis.index`), so it has the same Event Hash ID
everywhere. Open data shows less than that event may hold, and what it leaves out is
left out of the event, not hidden in it:

- body fields an export does not show (free-text notes, a shipment's destination
  address, a seed's source: :data:`trace.opendata.cells.PUBLIC_FIELDS`);
- households: a read point, business location, source or destination naming one;
- a correction's reason and note, inside the ``errorDeclaration`` (which is not hashed).

An event that loses nothing is published as it is. One that loses something hashed is
published with its own Event Hash ID (what a partner recomputes from what they were
given) and ``trace:redactedFrom``, the ID of the full event, which ``EQ_eventID`` finds
in the inspectors' interface. The ``events`` table's ``event_id`` column gives every
record's full event ID beside its position and record hash, so those two travel where
they do not change a hash. An event captured whole (kind ``epcis_event``, or a record
capture made from a partner's event, whose body's ``epcis`` holds it) is not repeated
here: its content is whatever its sender wrote and cannot be screened for personal data;
the ``events`` table names it by its Event Hash ID.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.event_hash import EXCLUDED_PROPERTIES, event_hash_id
from trace.domain.kinds import EventKind
from trace.epcis.export import CONTEXT as EVENT_CONTEXT
from trace.epcis.export import EXACT_JSON, PREFIX, agency_uri
from trace.opendata.cells import PUBLIC_FIELDS
from trace.opendata.parties import Party
from trace.opendata.reading import Context, Cut, in_range, stream
from trace.store.tables import epcis_events as indexed
from trace.store.tables import records

CONTEXT: list[Any] = list(EVENT_CONTEXT)
REDACTED_FROM = f"{PREFIX}:redactedFrom"
# The errorDeclaration's members an export shows (the reason's prose may name a person).
_DECLARATION = frozenset({"declarationTime", "reason", "correctiveEventIDs"})
_NO_EVENT = frozenset({EventKind.EPCIS_EVENT.value})
# Kinds whose record may be a partner's event, kept whole in the body's ``epcis``.
_MAY_BE_CAPTURED = frozenset(
    kind.value
    for kind in (
        EventKind.REGISTERED,
        EventKind.TRANSFORMED,
        EventKind.SHIPPED,
        EventKind.RECEIVED,
    )
)


class _Body(msgspec.Struct):
    epcis: Any = None


class _Statement(msgspec.Struct):
    body: _Body


_captured_decoder = msgspec.json.Decoder(_Statement)


def _captured(statement: bytes) -> bool:
    """Whether a record holds a partner's captured event (its body's ``epcis``)."""
    try:
        return _captured_decoder.decode(statement).body.epcis is not None
    except msgspec.DecodeError:
        return False


_RECORDS: Select[Any] = (
    select(records.c.position, records.c.kind, records.c.statement, indexed.c.event)
    .select_from(records.join(indexed, indexed.c.position == records.c.position))
    .where(in_range(records.c.position))
    .order_by(records.c.position)
)
_KIND_BY_HASH = select(records.c.kind).where(records.c.record_hash == bindparam("hash"))
_ENCODE = msgspec.json.Encoder(decimal_format="number")


def header(creation: str, vocabulary: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The document up to its first event, with the master data ``vocabulary`` in its
    ``epcisHeader`` if there is any."""
    opening: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation,
    }
    if vocabulary:
        opening["epcisHeader"] = {"epcisMasterData": {"vocabularyList": list(vocabulary)}}
    return msgspec.json.encode(opening)[:-1] + b',"epcisBody":{"eventList":[\n'


FOOTER = b"\n]}}\n"
SEPARATOR = b",\n"


def encode(event: Mapping[str, Any]) -> bytes:
    """One event as JSON, numbers written as the exact decimals they were read as."""
    return _ENCODE.encode(event)


class Redaction:
    """What open data leaves out of a record's event: fields it does not show, households."""

    def __init__(self, public_url: str, parties: Mapping[str, Party]) -> None:
        self.agencies = agency_uri(public_url, "")
        self.parties = parties

    def _shown_party(self, uri: Any) -> bool:
        """False for an agency URI that names a household (or an agency the export lacks)."""
        if not isinstance(uri, str) or not uri.startswith(self.agencies):
            return True
        party = self.parties.get(uri[len(self.agencies) :])
        return party is not None and party.id is not None

    @staticmethod
    def _fields(holder: Mapping[str, Any], shown: frozenset[str]) -> dict[str, Any]:
        prefix = f"{PREFIX}:"
        return {
            key: value
            for key, value in holder.items()
            if not key.startswith(prefix) or key[len(prefix) :] in shown
        }

    def _parties(self, event: dict[str, Any], name: str, role: str) -> None:
        kept = [item for item in event.get(name) or [] if self._shown_party(item.get(role))]
        if kept:
            event[name] = kept
        else:
            event.pop(name, None)

    def event(self, full: Mapping[str, Any], kind: str) -> dict[str, Any]:
        """``full`` without what an export of a record of ``kind`` does not show."""
        shown = frozenset(PUBLIC_FIELDS.get(kind, ()))
        event = self._fields(full, shown)
        if isinstance(full.get("ilmd"), Mapping):
            event["ilmd"] = self._fields(full["ilmd"], shown)
        for place in ("readPoint", "bizLocation"):
            if place in event and not self._shown_party(event[place].get("id")):
                del event[place]
        self._parties(event, "sourceList", "source")
        self._parties(event, "destinationList", "destination")
        declaration = full.get("errorDeclaration")
        if isinstance(declaration, Mapping):
            event["errorDeclaration"] = {
                key: value for key, value in declaration.items() if key in _DECLARATION
            }
        return event


def _hashed(event: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key not in EXCLUDED_PROPERTIES}


def published(full: Mapping[str, Any], redacted: dict[str, Any]) -> dict[str, Any]:
    """The event open data publishes: ``full`` itself if nothing hashed was left out."""
    if _hashed(redacted) == _hashed(full):
        return redacted
    redacted[REDACTED_FROM] = full["eventID"]
    redacted["eventID"] = event_hash_id(redacted, CONTEXT)
    return {"eventID": redacted.pop("eventID"), **redacted}


class EventWriter:
    """Turns rows of ``records`` and their indexed events into the events open data shows."""

    def __init__(self, lookups: AsyncConnection, context: Context) -> None:
        self.lookups = lookups
        self.redaction = Redaction(context.public_url, context.parties)

    async def _kind_of_corrected(self, statement: bytes) -> str | None:
        try:
            corrects = msgspec.json.decode(statement)["body"]["corrects"]
            wanted = bytes.fromhex(corrects)
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            return None
        return (await self.lookups.execute(_KIND_BY_HASH, {"hash": wanted})).scalar()

    async def event(self, row: tuple[Any, ...]) -> dict[str, Any] | None:
        """The published event of one record, or None for a record open data does not repeat."""
        _position, kind, statement, text = row
        if kind in _NO_EVENT or (kind in _MAY_BE_CAPTURED and _captured(bytes(statement))):
            return None
        if kind == EventKind.CORRECTED:
            # A correction repeats the corrected event: shown only if that one would be.
            kind = await self._kind_of_corrected(bytes(statement))
            if kind is None or kind in _NO_EVENT:
                return None
        full: dict[str, Any] = EXACT_JSON.decode(text)
        return published(full, self.redaction.event(full, kind))


async def epcis_events(
    conn: AsyncConnection, lookups: AsyncConnection, cut: Cut, context: Context
) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    """The position and published EPCIS event of each record in ``cut``, in log order.

    The "epcis" projection must have caught up to the end of ``cut``.
    """
    writer = EventWriter(lookups, context)
    async for row in stream(conn, _RECORDS, cut):
        event = await writer.event(tuple(row))
        if event is not None:
            yield row[0], event
