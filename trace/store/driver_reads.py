"""Read transactions on PostgreSQL straight through asyncpg, for the public pages.

A page rendered from the database runs about five statements in one read transaction.
Through SQLAlchemy's async layer each statement costs a greenlet hand-off, the look-up of
its compiled form, a cursor's adaptation and the result's rows, and the transaction two
more hand-offs: about 850 µs of CPU for five statements, against 250 for the same through
asyncpg itself (docs/benchmarks.md, "PostgreSQL: the page's reads through asyncpg"). So
the pages read like this:

- the connection is **borrowed from the engine's own pool**, so it is counted in the
  connection budget and in the pool's metrics like any other, and given back when the
  reads end, before the page is rendered (docs/operations.md, "The connection budget");
- one ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY``: the page's rows are one
  snapshot (a hot standby takes it too);
- each statement is **compiled once** by the engine's dialect, as SQLAlchemy would send
  it, and kept with the order of its positional parameters; a statement with an expanding
  ``IN`` list is kept once per length of its lists;
- values go through the same conversions as SQLAlchemy's: its bind processors on the way
  in, the dialect's result processors (chosen by the column types PostgreSQL names) on the
  way out, and the connection's codecs, which SQLAlchemy set up when it opened it. Rows
  carry the names SQLAlchemy's rows carry (``row.code``, ``tuple(row)``, ``row[0]``).

A connection that fails, or a read cancelled half-way, is invalidated (closed, not given
back for reuse); failures are reported as :func:`trace.store.database.read_transaction`
reports them, so an outage is a 503 with ``Retry-After`` and a replica out of reach is
left for the others.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

from trace.store.database import is_replica, replica_unreachable
from trace.store.outage import is_unavailable, report_success

BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
# Statements kept per engine: the pages use about a dozen, each at a few list lengths.
# Past this (statements built anew on every call), the cache starts again.
CACHE_SIZE = 512

_Processor = Callable[[Any], Any]


class UnsupportedStatement(Exception):
    """A statement the direct reads cannot run as SQLAlchemy would (a parameter renamed)."""


@dataclass(eq=False)
class _Form:
    """What one statement shares across the lengths of its lists: row names and conversions."""

    statement: Executable
    compiled: SQLCompiler
    # The column types SQLAlchemy knows, in order (none for a textual statement).
    types: list[Any]
    # Known once the first execution has named the columns and their types: a named tuple
    # of the columns' names (the labels SQLAlchemy gave them, its rows' names), and the
    # result processors the dialect chooses for each column's type.
    row: Any = None
    results: list[_Processor | None] | None = None
    shapes: dict[tuple[object, ...], _Shape] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Shape:
    """One statement at one length of each of its lists: the SQL and where each $n comes from."""

    sql: str
    # Per positional parameter: the caller's parameter name and the index in its list (None
    # for a plain value), or no name and a value fixed by the statement itself.
    sources: tuple[tuple[str | None, int | None, Any], ...]
    processors: tuple[_Processor | None, ...]

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = []
        for (name, index, fixed), process in zip(self.sources, self.processors, strict=True):
            if name is None:
                value = fixed
            elif index is None:
                value = parameters[name]
            else:
                value = parameters[name][index]
            values.append(value if process is None else process(value))
        return values


class Statements:
    """The compiled forms of the statements read through one engine's dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        # Keyed by the statement object (kept alive here, so its id is not reused).
        self._forms: dict[int, _Form] = {}

    def form(self, statement: Executable) -> _Form:
        found = self._forms.get(id(statement))
        if found is not None:
            return found
        if len(self._forms) >= CACHE_SIZE:
            self._forms.clear()
        if not isinstance(statement, ClauseElement):
            raise UnsupportedStatement(f"not a SQL expression: {statement!r}")
        compiled = statement.compile(dialect=self.dialect)
        assert isinstance(compiled, SQLCompiler)
        columns = getattr(statement, "selected_columns", None)
        types = [column.type for column in columns] if columns is not None else []
        found = _Form(statement, compiled, types)
        self._forms[id(statement)] = found
        return found

    def shape(self, form: _Form, parameters: Mapping[str, Any]) -> _Shape:
        """The SQL and arguments of ``form`` for parameters of this many list items."""
        compiled = form.compiled
        late = compiled.post_compile_params
        key = tuple(_late_key(p.expanding, parameters.get(p.key, p.value)) for p in late)
        found = form.shapes.get(key)
        if found is not None:
            return found
        state = compiled.construct_expanded_state(dict(parameters))
        inverse = {
            expanded: (name, index)
            for name, names in state.parameter_expansion.items()
            for index, expanded in enumerate(names)
        }
        positions = state.positiontup or ()
        sources: list[tuple[str | None, int | None, Any]] = []
        for name in positions:
            origin, index = inverse.get(name, (name, None))
            if origin in parameters:
                sources.append((origin, index, None))
            else:  # a value the statement holds itself (a limit, a literal list)
                sources.append((None, None, state.parameters[name]))
        # A list's name is used even when the list is empty (and so names no $n).
        used = {origin for origin, _, _ in sources} | set(state.parameter_expansion)
        lost = sorted(name for name in parameters if name in compiled.binds and name not in used)
        if lost:
            raise UnsupportedStatement(f"parameters {lost} are not passed on under their names")
        found = _Shape(
            state.statement,
            tuple(sources),
            tuple(state.processors.get(name) for name in positions),
        )
        form.shapes[key] = found
        return found


def _late_key(expanding: bool, value: Any) -> object:
    """What of a late-rendered parameter changes its SQL: a list's length, else its value."""
    return len(value) if expanding else value


class DriverRows:
    """The rows of one statement, with the methods the page's readers call on a Result."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> Sequence[Any]:
        return self._rows

    def first(self) -> Any | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]


class DriverReads:
    """A read transaction on one asyncpg connection, with the ``execute`` of Reads."""

    __slots__ = ("_conn", "_statements")

    def __init__(self, conn: asyncpg.Connection, statements: Statements) -> None:
        self._conn = conn
        self._statements = statements

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None, /
    ) -> DriverRows:
        form = self._statements.form(statement)
        shape = self._statements.shape(form, parameters or {})
        arguments = shape.arguments(parameters or {})
        if form.results is None:
            # The first time: PostgreSQL names the column types the processors depend on.
            prepared = await self._conn.prepare(shape.sql)
            records = await prepared.fetch(*arguments)
            _learn_columns(self._statements.dialect, form, prepared)
            assert form.results is not None
        else:
            records = await self._conn.fetch(shape.sql, *arguments)
        make, results = form.row._make, form.results
        if any(results):
            return DriverRows(
                [
                    make([v if p is None else p(v) for v, p in zip(record, results, strict=True)])
                    for record in records
                ]
            )
        return DriverRows([make(record) for record in records])


def _learn_columns(
    dialect: Dialect, form: _Form, prepared: asyncpg.prepared_stmt.PreparedStatement
) -> None:
    """The names and result processors of ``form``'s columns, as PostgreSQL describes them."""
    attributes = prepared.get_attributes()
    names = [attribute.name for attribute in attributes]
    form.row = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    if not form.types:  # a textual statement: no types known, no conversion
        form.results = [None] * len(attributes)
        return
    if len(form.types) != len(attributes):
        raise UnsupportedStatement(
            f"{len(attributes)} columns came back where the statement names {len(form.types)}"
        )
    form.results = [
        column.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
        for column, attribute in zip(form.types, attributes, strict=True)
    ]


@asynccontextmanager
async def driver_transaction(
    engine: AsyncEngine, statements: Statements
) -> AsyncIterator[DriverReads]:
    """A read-only snapshot on a connection borrowed from ``engine``'s pool, given back after.

    Fails as :func:`trace.store.database.read_transaction` fails: a replica out of reach is
    noted against itself and raised as :class:`trace.store.outage.ReplicaUnavailable`.
    """
    try:
        pooled = await engine.raw_connection()
    except Exception as exc:
        if is_replica(engine) and is_unavailable(exc):
            raise replica_unreachable(engine, exc) from exc
        raise
    conn = pooled.driver_connection
    assert isinstance(conn, asyncpg.Connection)
    try:
        await conn.execute(BEGIN)
        yield DriverReads(conn, statements)
        await conn.execute("COMMIT")
    except Exception as exc:
        lost = is_unavailable(exc)
        if lost:
            # As SQLAlchemy does on a disconnect: the connections opened before this one are
            # taken as lost with it (a restarted server) and replaced on their next use.
            engine.sync_engine.pool._invalidate(pooled, exc)
        elif not await _rolled_back(conn):
            pooled.invalidate(exc)
        await greenlet_spawn(pooled.close)
        if lost and is_replica(engine):
            raise replica_unreachable(engine, exc) from exc
        raise
    except BaseException:
        # A read cancelled half-way: the connection's state is unknown, so it is closed.
        pooled.invalidate()
        pooled.close()
        raise
    await greenlet_spawn(pooled.close)
    report_success(engine)


async def _rolled_back(conn: asyncpg.Connection) -> bool:
    """Whether ``conn`` is out of its transaction and fit to be used again."""
    if conn.is_closed():
        return False
    if not conn.is_in_transaction():
        return True
    try:
        await conn.execute("ROLLBACK")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True
