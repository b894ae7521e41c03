"""The rows of each dataset for log positions ``[start, end)``, streamed from the store.

Every query reads records by position and streams its result
(:func:`trace.opendata.reading.stream`). Rows are tuples in the order of their dataset's fields
(:mod:`trace.opendata.datasets`), of JSON values: text, integers, booleans,
None, and objects or arrays for the ``object`` and ``array`` fields.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.places import commune_name, province_name
from trace.opendata.cells import (
    counterparty,
    envelope,
    public_body,
    quantity,
    text,
    utc_text,
)
from trace.opendata.parties import UNKNOWN, Party
from trace.opendata.reading import Context, Cut, Row, in_range, stream
from trace.store.tables import agencies, batches, checkpoints, epcis_events, records

_EVENTS = (
    select(
        records.c.position,
        records.c.batch_id,
        records.c.seq,
        records.c.recorded_at_us,
        records.c.prev,
        records.c.record_hash,
        records.c.statement_hash,
        records.c.statement,
        records.c.signature,
        records.c.key_id,
        records.c.agency_id,
        records.c.kind,
        batches.c.code,
        epcis_events.c.event_id,
    )
    .select_from(
        records.outerjoin(batches, batches.c.id == records.c.batch_id).outerjoin(
            epcis_events, epcis_events.c.position == records.c.position
        )
    )
    .where(in_range(records.c.position))
    .order_by(records.c.position)
)


_NO_FACTS = (None, None, None, None, None)


def _facts_of(kind: str, body: Mapping[str, Any], parties: Mapping[str, Party]) -> Row:
    """counterparty_id, counterparty_name, quantity, quantity_unit and details of a body."""
    other = counterparty(body, parties)
    value, unit = quantity(body)
    return (
        other.id if other else None,
        other.name if other else None,
        value,
        unit,
        public_body(kind, body, parties),
    )


async def event_rows(conn: AsyncConnection, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """One row per record, in log order."""
    parties, saw = context.parties, context.coverage.saw
    # The signing agency's six columns, made once per agency.
    shown: dict[str, Row] = {}
    async for row in stream(conn, _EVENTS, cut):
        position, batch, seq, recorded, prev, rhash, shash, statement, sig, key, agency_id = row[
            :11
        ]
        agency = shown.get(agency_id)
        if agency is None:
            party = parties.get(agency_id, UNKNOWN)
            agency = shown[agency_id] = (
                party.id,
                party.name,
                party.kind,
                party.household,
                party.province,
                party.commune,
            )
        kind = row[11]
        parsed = envelope(statement)
        if parsed is None:
            occurred, facts = None, _NO_FACTS
        else:
            occurred = parsed.occurred_at or None
            if occurred is not None:
                saw(occurred)
            facts = _facts_of(kind, parsed.body, parties)
        yield (
            position,
            batch,
            row[12],
            seq,
            kind,
            occurred,
            utc_text(recorded),
            *agency,
            *facts,
            shash.hex(),
            rhash.hex(),
            prev.hex(),
            sig.hex(),
            None if agency[3] else key,
            row[13] or _captured_id(parsed.body if parsed else None),
        )


def _captured_id(body: Any) -> str | None:
    """The ID of the partner's event a record was captured from: one event may make a record
    on each batch it creates, and the index holds it at the first of them only."""
    kept = body.get("epcis") if isinstance(body, dict) else None
    found = kept.get("event_hash") if isinstance(kept, dict) else None
    return found if isinstance(found, str) else None


def _facts(kind: str) -> Select[Any]:
    """The records of one kind in the range, with their batch's public facts."""
    return (
        select(
            records.c.position,
            records.c.batch_id,
            batches.c.code,
            batches.c.product,
            batches.c.gtin,
            batches.c.lot,
            records.c.recorded_at_us,
            records.c.record_hash,
            records.c.statement,
            records.c.agency_id,
        )
        .select_from(records.outerjoin(batches, batches.c.id == records.c.batch_id))
        .where(in_range(records.c.position), records.c.kind == kind)
        .order_by(records.c.position)
    )


_INSPECTED, _CERTIFIED, _RECALLED = _facts("inspected"), _facts("certified"), _facts("recalled")


def _list(value: Any) -> list[Any]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


async def inspection_rows(conn: AsyncConnection, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """One row per analyte of each inspection."""
    async for (
        position,
        batch,
        code,
        product,
        _gtin,
        _lot,
        recorded,
        rhash,
        statement,
        agency_id,
    ) in stream(conn, _INSPECTED, cut):
        parsed = envelope(bytes(statement))
        if parsed is None:
            continue
        body, authority = parsed.body, context.parties.get(agency_id, UNKNOWN)
        samples = [text(s.get("code")) for s in _list(body.get("samples"))]
        for number, analyte in enumerate(_list(body.get("analytes")), start=1):
            yield (
                position,
                number,
                batch,
                code,
                product,
                parsed.occurred_at or None,
                utc_text(recorded),
                authority.id,
                authority.name,
                text(body.get("laboratory")),
                text(body.get("result")),
                text(body.get("certificate_number")),
                text(body.get("reference")),
                samples,
                text(analyte.get("name")),
                text(analyte.get("value")),
                text(analyte.get("unit")),
                text(analyte.get("limit")),
                text(analyte.get("method")),
                text(analyte.get("result")),
                bytes(rhash).hex(),
            )


async def certification_rows(
    conn: AsyncConnection, cut: Cut, context: Context
) -> AsyncIterator[Row]:
    """One row per certificate."""
    async for (
        position,
        batch,
        code,
        product,
        _gtin,
        _lot,
        recorded,
        rhash,
        statement,
        agency_id,
    ) in stream(conn, _CERTIFIED, cut):
        parsed = envelope(bytes(statement))
        if parsed is None:
            continue
        body, certifier = parsed.body, context.parties.get(agency_id, UNKNOWN)
        stars = body.get("stars")
        yield (
            position,
            batch,
            code,
            product,
            parsed.occurred_at or None,
            utc_text(recorded),
            text(body.get("scheme")),
            stars if isinstance(stars, int) else None,
            text(body.get("certificate_number")),
            text(body.get("decision_number")),
            text(body.get("issuer")),
            text(body.get("issuer_level")),
            text(body.get("scope")),
            text(body.get("valid_from")),
            text(body.get("valid_until")),
            certifier.id,
            certifier.name,
            bytes(rhash).hex(),
        )


async def recall_rows(conn: AsyncConnection, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """One row per recall."""
    async for (
        position,
        batch,
        code,
        product,
        gtin,
        lot,
        recorded,
        rhash,
        statement,
        agency_id,
    ) in stream(conn, _RECALLED, cut):
        parsed = envelope(bytes(statement))
        if parsed is None:
            continue
        body, authority = parsed.body, context.parties.get(agency_id, UNKNOWN)
        yield (
            position,
            batch,
            code,
            product,
            gtin,
            lot,
            parsed.occurred_at or None,
            utc_text(recorded),
            text(body.get("severity")),
            text(body.get("reason")),
            text(body.get("scope")),
            text(body.get("effective_at")),
            text(body.get("decision_number")),
            authority.id,
            authority.name,
            bytes(rhash).hex(),
        )


_FIRST = (
    select(records.c.agency_id, func.min(records.c.position).label("first"))
    .where(records.c.position < bindparam("end"))
    .group_by(records.c.agency_id)
    .subquery()
)
_AGENCIES = (
    select(
        agencies.c.id,
        agencies.c.name,
        agencies.c.kind,
        agencies.c.province,
        agencies.c.commune,
        _FIRST.c.first,
        records.c.recorded_at_us,
    )
    .select_from(
        agencies.join(_FIRST, _FIRST.c.agency_id == agencies.c.id).join(
            records, records.c.position == _FIRST.c.first
        )
    )
    .where(_FIRST.c.first >= bindparam("start"), agencies.c.household.is_(False))
    .order_by(_FIRST.c.first)
)


async def agency_rows(conn: AsyncConnection, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """Organisations whose first record is in the range, in order of that record."""
    async for agency_id, name, kind, province, commune, first, recorded in stream(
        conn, _AGENCIES, cut
    ):
        yield (
            agency_id,
            name,
            kind,
            province,
            province_name(province) if province else None,
            commune,
            commune_name(commune) if commune else None,
            first,
            utc_text(recorded),
        )


def _checkpoint_query(cut: Cut) -> Select[Any]:
    # A checkpoint belongs with its last leaf (size - 1); the empty tree's with the first cut.
    after = checkpoints.c.size > bindparam("start")
    return (
        select(
            checkpoints.c.size,
            checkpoints.c.root_hash,
            checkpoints.c.note,
            checkpoints.c.signed_at_us,
        )
        .where(
            checkpoints.c.size <= bindparam("end"),
            or_(after, checkpoints.c.size == 0) if cut.start == 0 else after,
        )
        .order_by(checkpoints.c.size)
    )


async def checkpoint_rows(conn: AsyncConnection, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """Checkpoints whose last leaf is in the range, by size."""
    async for size, root, note, signed in stream(conn, _checkpoint_query(cut), cut):
        yield (
            size,
            base64.b64encode(bytes(root)).decode("ascii"),
            note.split("\n", 1)[0],
            utc_text(signed),
            note,
        )


RowSource = Callable[[AsyncConnection, Cut, Context], AsyncIterator[Row]]
