"""Reading a range of the log: the cut, what the rows cover, and streaming a query.

Every export query reads records by position (the primary key) through a server-side
cursor, so an export holds a few thousand rows at a time whatever the log's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.opendata.parties import Party

Row = tuple[Any, ...]
# Rows fetched from the database at a time: large enough to amortise each round trip,
# small enough that memory stays flat.
FETCH = 2000


@dataclass(frozen=True, slots=True)
class Cut:
    """The log positions ``[start, end)`` an export holds."""

    start: int
    end: int


@dataclass
class Coverage:
    """What the written rows cover, for the metadata: times and provinces of origin."""

    provinces: set[str] = field(default_factory=set)
    # Earliest and latest time seen per UTC offset: times with the same offset compare
    # as text, so a row costs two string comparisons, not a parse.
    spans: dict[str, list[str]] = field(default_factory=dict)

    def saw(self, occurred_at: str) -> None:
        """Widen the period to include ``occurred_at`` (RFC 3339)."""
        span = self.spans.get(occurred_at[-6:])
        if span is None:
            self.spans[occurred_at[-6:]] = [occurred_at, occurred_at]
        elif occurred_at < span[0]:
            span[0] = occurred_at
        elif occurred_at > span[1]:
            span[1] = occurred_at

    def _moments(self) -> list[datetime]:
        moments = []
        for written in (t for span in self.spans.values() for t in span):
            try:
                moments.append(datetime.fromisoformat(written.replace("Z", "+00:00")))
            except ValueError:
                continue  # a stored time that no longer parses says nothing of the period
        return moments

    @property
    def first(self) -> datetime | None:
        return min(self._moments(), default=None)

    @property
    def last(self) -> datetime | None:
        return max(self._moments(), default=None)


@dataclass(frozen=True, slots=True)
class Context:
    """What every dataset's rows need besides the database: agencies and the site's URL."""

    parties: Mapping[str, Party]
    public_url: str
    coverage: Coverage


def in_range(column: Any) -> Any:
    """``start <= column < end`` with the cut's bind parameters."""
    return and_(column >= bindparam("start"), column < bindparam("end"))


async def stream(conn: AsyncConnection, query: Select[Any], cut: Cut) -> AsyncIterator[Row]:
    """The rows of ``query`` for ``cut``, fetched ``FETCH`` at a time.

    The one place exports treat the databases apart: on PostgreSQL the rows come
    through asyncpg's own cursor (a server-side portal in the read transaction), which
    fetches an export's rows at 1.7 times the rate of SQLAlchemy's result layer over
    the same cursor; SQLite streams through SQLAlchemy.
    """
    parameters = {"start": cut.start, "end": cut.end}
    if conn.dialect.name == "postgresql":
        compiled = query.compile(dialect=conn.dialect)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        if not driver.is_in_transaction():
            # SQLAlchemy opens the driver's transaction at its first statement.
            await conn.exec_driver_sql("SELECT 1")
        values = {**compiled.params, **parameters}
        arguments = [values[name] for name in compiled.positiontup or ()]
        async for record in driver.cursor(compiled.string, *arguments, prefetch=FETCH):
            yield record
        return
    result = await conn.stream(query.execution_options(yield_per=FETCH), parameters)
    async for partition in result.partitions():
        for row in partition:
            yield tuple(row)
