"""The "search" projection: batches as inspectors look for them, derived from records alone.

Applied in log order (trace/store/projections.py), each record adds to the tables of
trace/store/tables.py's search section:

- `registered` makes the batch's row (product, its folded key and words, producer, GTIN, lot,
  province, when it occurred and when it was recorded);
- every record adds its kind to the batch's kinds;
- `inspected`, `recalled` and `certified` are kept as facts, and `corrected` marks the fact it
  points at as corrected, as the public page ignores a corrected record; the batch's
  disposition is then worked out again from its facts: "recalled" while a recall stands,
  else the latest standing inspection's result.

A record whose body no longer decodes (changed behind the ledger's back, which `python -m
trace verify` reports) adds nothing; one whose only fault is a time outside the window of
trace/domain/times.py counts like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError
from trace.domain.facts import read_fact
from trace.domain.folding import fold, words
from trace.domain.identifiers import validate_gtin
from trace.domain.kinds import (
    Certified,
    Corrected,
    EventKind,
    Inspected,
    Registered,
)
from trace.domain.record import Record, to_us
from trace.domain.statement import Statement, parse_time
from trace.store.database import is_sqlite
from trace.store.tables import (
    batch_search,
    batch_search_facts,
    batch_search_kinds,
    batch_search_words,
)

NAME = "search"
WORD_LENGTH = 64  # batch_search_words.word
# PostgreSQL's full-text configuration for folded names: words as they are, no stemming.
FULL_TEXT_CONFIG = "simple"
RECALLED = "recalled"
_FACT_KINDS = frozenset({EventKind.INSPECTED, EventKind.RECALLED, EventKind.CERTIFIED})
_statement = msgspec.json.Decoder(Statement)


@dataclass
class _Changes:
    """What one run of records adds, gathered to be written in a few statements."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    words: list[dict[str, Any]] = field(default_factory=list)
    kinds: set[tuple[str, int]] = field(default_factory=set)
    facts: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[bytes] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)


class SearchProjection:
    """Batch search tables, brought up to date record by record."""

    name = NAME

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Apply ``records`` (consecutive, in log order) inside the caller's transaction."""
        decoded = [(record, statement) for record in records if (statement := _decode(record))]
        positions = await _registered_positions(
            conn,
            {s.batch for _, s in decoded if s.kind != EventKind.REGISTERED},
        )
        changes = _Changes()
        for record, statement in decoded:
            _gather(changes, positions, record, statement)
        await _write(conn, changes)


def _decode(record: Record) -> Statement | None:
    try:
        return _statement.decode(record.statement)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


async def _registered_positions(conn: AsyncConnection, batch_ids: set[str]) -> dict[str, int]:
    """Where each batch was registered, for the batches named here but registered before."""
    if not batch_ids:
        return {}
    rows = await conn.execute(
        select(batch_search.c.batch_id, batch_search.c.position).where(
            batch_search.c.batch_id.in_(sorted(batch_ids))
        )
    )
    return {row.batch_id: int(row.position) for row in rows}


def _gather(
    changes: _Changes, positions: dict[str, int], record: Record, statement: Statement
) -> None:
    # A record whose only fault is a time outside the window still counts: a recall among
    # them must still make its batch "recalled" for inspectors.
    body = read_fact(record.statement, statement).body
    if body is None:
        return
    if isinstance(body, Registered):
        try:
            row = _batch_row(record, statement, body)
        except DomainError:
            return
        positions[statement.batch] = record.position
        changes.batches.append(row)
        changes.words.extend(
            {"word": word, "position": record.position}
            for word in dict.fromkeys(w[:WORD_LENGTH] for w in words(body.product))
        )
    position = positions.get(statement.batch)
    if position is None:
        return  # a batch whose registration did not decode
    changes.kinds.add((statement.kind, position))
    kind = EventKind(statement.kind)
    if kind in _FACT_KINDS:
        changes.facts.append(_fact_row(record, position, kind, body))
        changes.touched.add(position)
    elif isinstance(body, Corrected):
        changes.corrections.append(bytes.fromhex(body.corrects))
        changes.touched.add(position)


def _batch_row(record: Record, statement: Statement, body: Registered) -> dict[str, Any]:
    """The batch's row; GTINs as GTIN-14, as the batches read model and queries hold them."""
    return {
        "position": record.position,
        "batch_id": statement.batch,
        "product": body.product,
        "product_key": fold(body.product),
        "producer_id": statement.agency,
        "gtin": validate_gtin(body.gtin) if body.gtin else None,
        "lot": body.lot,
        "province": body.origin.province if body.origin else None,
        "occurred_us": to_us(parse_time(statement.occurred_at, field="occurred_at")),
        "recorded_us": record.recorded_at_us,
        "disposition": None,
    }


def _fact_row(
    record: Record, position: int, kind: EventKind, body: msgspec.Struct
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_position": record.position,
        "position": position,
        "record_hash": record.record_hash,
        "kind": kind.value,
        "result": None,
        "scheme": None,
        "stars": None,
        "valid_from": None,
        "valid_until": None,
        "corrected": False,
    }
    if isinstance(body, Inspected):
        row["result"] = body.result.value
    elif isinstance(body, Certified):
        row.update(
            scheme=body.scheme.value,
            stars=body.stars,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
        )
    return row


async def _write(conn: AsyncConnection, changes: _Changes) -> None:
    if changes.batches:
        await conn.execute(batch_search.insert(), changes.batches)
    if is_sqlite(conn.engine):  # PostgreSQL finds words with its full-text index
        await _insert_new(conn, batch_search_words, changes.words)
    await _insert_new(
        conn,
        batch_search_kinds,
        [{"kind": kind, "position": position} for kind, position in sorted(changes.kinds)],
    )
    if changes.facts:
        await conn.execute(batch_search_facts.insert(), changes.facts)
    if changes.corrections:
        await conn.execute(
            update(batch_search_facts)
            .where(batch_search_facts.c.record_hash == bindparam("target"))
            .values(corrected=True),
            [{"target": target} for target in changes.corrections],
        )
    if changes.touched:
        await _settle_dispositions(conn, changes.touched)


async def _insert_new(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, leaving out those already there (a kind seen in an earlier run)."""
    if not rows:
        return
    insert = sqlite_insert if is_sqlite(conn.engine) else pg_insert
    await conn.execute(insert(table).on_conflict_do_nothing(), rows)


async def _settle_dispositions(conn: AsyncConnection, touched: Iterable[int]) -> None:
    """Work out again the disposition of the batches at ``touched`` from their standing facts."""
    facts = batch_search_facts.c
    rows = await conn.execute(
        select(facts.position, facts.kind, facts.result)
        .where(
            facts.position.in_(sorted(touched)),
            facts.kind.in_([EventKind.INSPECTED.value, EventKind.RECALLED.value]),
            facts.corrected.is_(False),
        )
        .order_by(facts.record_position)
    )
    found: dict[int, str | None] = dict.fromkeys(touched)
    for row in rows:
        if found[row.position] != RECALLED:
            found[row.position] = RECALLED if row.kind == EventKind.RECALLED else row.result
    await conn.execute(
        update(batch_search)
        .where(batch_search.c.position == bindparam("at"))
        .values(disposition=bindparam("value")),
        [{"at": at, "value": value} for at, value in sorted(found.items())],
    )
