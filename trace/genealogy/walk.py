"""One step back and one step forward, repeated: the batches a batch came from or went into.

Circular 02/2024/TT-BKHCN asks every link of a chain to know its direct supplier and its
direct customer; an inspector chains those steps to find where a batch came from
(upstream) or everything made from it (downstream).

The walk goes breadth first, one query per generation (``WHERE input_id IN (...)``
downstream, ``WHERE output_id IN (...)`` upstream, each served by its own index of
``batch_edges``), rather than with a recursive CTE. A recursive CTE follows every *path*:
in a graph of merges and splits (a diamond at each blend) the paths multiply while the
batches do not, and stopping it on a cycle needs path arrays that SQLite lacks. Here a
set of batches seen makes each batch expanded once, so a cycle ends the walk and the work
is bounded by the batches found; a 10-generation trace costs ten index range scans
(and one more to learn whether the graph goes on).

Every answer is bounded: at most ``depth`` generations and ``max_batches`` batches. When
the graph goes on beyond either, the answer says so (``truncated``, and ``cut`` says by
which bound) instead of hanging or growing without end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, false, select
from sqlalchemy.sql.elements import ColumnElement

from trace.store.batches import Batch, to_batch
from trace.store.database import Reads
from trace.store.tables import batch_edges, batches

# Enough for any real recall (a province's rice mills in one season), small enough that
# one answer stays a few megabytes and a few hundred milliseconds.
MAX_BATCHES = 10_000
# Ids per IN list: far below the bound parameters SQLite and asyncpg accept (32,766).
_CHUNK = 1000


class Direction(StrEnum):
    """Which way a walk follows the edges."""

    UPSTREAM = "upstream"  # to the inputs a batch was made from
    DOWNSTREAM = "downstream"  # to the batches made from it


class Cut(StrEnum):
    """Why a walk stopped before the graph ended."""

    DEPTH = "depth"
    SIZE = "size"


@dataclass(frozen=True, slots=True)
class Edge:
    """Input batch -> output batch, made by the `transformed` record at ``position``."""

    input: str
    output: str
    position: int
    record_hash: bytes
    process: str
    quantity: str
    unit: str
    occurred_at: str


@dataclass(frozen=True, slots=True)
class Walk:
    """What a walk reached: each batch with its distance from the root, and the edges."""

    root: Batch
    direction: Direction
    depth: int | None
    # Batch id -> generations from the root (the root is 0), in the order found.
    depths: dict[str, int]
    batches: dict[str, Batch]
    edges: list[Edge]
    cut: Cut | None

    @property
    def truncated(self) -> bool:
        """The graph goes on beyond what this answer holds."""
        return self.cut is not None

    @property
    def reached_depth(self) -> int:
        """The generations the answer spans."""
        return max(self.depths.values())


def _near(direction: Direction) -> ColumnElement[Any]:
    return batch_edges.c.input_id if direction is Direction.DOWNSTREAM else batch_edges.c.output_id


def _edges_from(direction: Direction) -> Select[Any]:
    return (
        select(batch_edges)
        .where(_near(direction).in_(bindparam("ids", expanding=True)))
        .where(batch_edges.c.corrected == false())
    )


_STEP = {direction: _edges_from(direction) for direction in Direction}
_BEYOND = {direction: _edges_from(direction).limit(1) for direction in Direction}
_BATCHES = select(batches).where(batches.c.id.in_(bindparam("ids", expanding=True)))


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _edge(row: Any) -> Edge:
    return Edge(
        row.input_id,
        row.output_id,
        row.position,
        bytes(row.record_hash),
        row.process,
        row.quantity,
        row.unit,
        row.occurred_at,
    )


async def _step(conn: Reads, direction: Direction, frontier: Sequence[str]) -> list[Edge]:
    """Every edge in force with one end in ``frontier``, in log order."""
    found: list[Edge] = []
    for chunk in _chunks(frontier):
        found.extend(_edge(row) for row in await conn.execute(_STEP[direction], {"ids": chunk}))
    found.sort(key=lambda edge: (edge.position, edge.input))
    return found


async def _beyond(conn: Reads, direction: Direction, frontier: Sequence[str]) -> bool:
    """Whether any edge in force leads on from ``frontier``."""
    for chunk in _chunks(frontier):
        if (await conn.execute(_BEYOND[direction], {"ids": chunk})).first() is not None:
            return True
    return False


async def walk(
    conn: Reads,
    root: Batch,
    direction: Direction,
    *,
    depth: int | None,
    max_batches: int = MAX_BATCHES,
) -> Walk:
    """The batches within ``depth`` generations of ``root`` (None: no limit but the size).

    Each batch appears once, at its shortest distance. Each edge in force that leads from a
    batch less than ``depth`` generations away to a batch of the answer is listed once,
    also one that closes a cycle or joins two paths (a merge after a split).
    """
    depths = {root.id: 0}
    edges: list[Edge] = []
    frontier = [root.id]
    generation = 0
    cut: Cut | None = None
    while frontier:
        if depth is not None and generation == depth:
            if await _beyond(conn, direction, frontier):
                cut = Cut.DEPTH
            break
        reached: list[str] = []
        for edge in await _step(conn, direction, frontier):
            far = edge.output if direction is Direction.DOWNSTREAM else edge.input
            if far not in depths:
                if len(depths) >= max_batches:
                    cut = Cut.SIZE
                    continue
                depths[far] = generation + 1
                reached.append(far)
            edges.append(edge)
        frontier = reached
        generation += 1
    return Walk(root, direction, depth, depths, await load_batches(conn, depths), edges, cut)


async def load_batches(conn: Reads, ids: Iterable[str]) -> dict[str, Batch]:
    """The read model of each batch in ``ids`` that exists."""
    found: dict[str, Batch] = {}
    for chunk in _chunks(sorted(set(ids))):
        found.update(
            (row.id, to_batch(row)) for row in await conn.execute(_BATCHES, {"ids": chunk})
        )
    return found
