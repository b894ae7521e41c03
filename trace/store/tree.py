"""The log's Merkle tree in the database: nodes kept by the append, proofs served from them.

Leaf ``i`` is the ``record_hash`` at position ``i`` (RFC 6962 leaf hashing over it).
Complete subtrees of level 1 and above are rows of ``merkle_nodes``, written in the
append transaction (trace/store/group.py) from the edge kept on the log head; level 0
comes from ``records``.
A proof asks for O(log n) subtrees (trace/domain/merkle.py), all fetched in one statement;
the proofs of a whole batch share one fetch, in as few statements as its size allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from sqlalchemy import (
    Executable,
    Integer,
    Select,
    and_,
    bindparam,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.merkle import (
    EMPTY_ROOT,
    ProofRangeError,
    complete_subtrees,
    consistency_proof,
    consistency_ranges,
    hash_leaf,
    inclusion_proof,
    inclusion_ranges,
    root_from_subtrees,
)
from trace.store.tables import merkle_nodes, records

# Subtrees one statement asks for: a page of 500 records of a batch among others needs
# about 8,000. Far below the bind parameters asyncpg (32,767) and SQLite (32,766) allow.
KEYS_PER_STATEMENT = 10_000


class StoredSubtrees:
    """Subtree hashes prefetched from the database for one proof (a ``SubtreeHashes``)."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self._hashes = hashes  # (start, end) of a complete subtree -> its hash

    def subtree_hash(self, start: int, end: int) -> bytes:
        """The hash of ``[start, end)``: a stored complete subtree, or the ragged right edge."""
        parts = complete_subtrees(start, end)
        try:
            return root_from_subtrees([self._hashes[part] for part in parts])
        except KeyError as exc:
            raise ProofRangeError(
                f"leaves [{start}, {end}) are not all in the log",
                reason="missing",
                expected=f"[{start}, {end})",
                found="fewer leaves",
            ) from exc


async def load_subtrees(conn: AsyncConnection, ranges: Iterable[tuple[int, int]]) -> StoredSubtrees:
    """Fetch every complete subtree needed to hash ``ranges``.

    The proofs of one record need a statement; those of a batch of 20,000 records, tens of
    thousands of subtrees, need a few statements of at most :data:`KEYS_PER_STATEMENT` each.
    """
    wanted = {part for start, end in ranges for part in complete_subtrees(start, end)}
    # (level, index) of each subtree, level 0 being a leaf.
    keys = sorted(_key(start, end) for start, end in wanted)
    found: dict[tuple[int, int], bytes] = {}
    for first in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[first : first + KEYS_PER_STATEMENT]
        by_level = {
            level: [index for _, index in group]
            for level, group in groupby(chunk, key=itemgetter(0))
        }
        indexes = {f"indexes_{level}": wanted for level, wanted in by_level.items()}
        for row in await conn.execute(_subtrees(tuple(by_level)), indexes):
            digest = bytes(row.hash)
            if row.level == 0:
                found[(row.idx, row.idx + 1)] = hash_leaf(digest)
            else:
                width = 1 << row.level
                found[(row.idx * width, (row.idx + 1) * width)] = digest
    return StoredSubtrees(found)


def _key(start: int, end: int) -> tuple[int, int]:
    width = end - start
    return width.bit_length() - 1, start // width


@lru_cache(maxsize=256)
def _subtrees(levels: tuple[int, ...]) -> Executable:
    """The statement for subtrees of ``levels``: level 0 are records, the rest stored nodes.

    The indexes of each level are one plain IN list, ``indexes_{n}`` (``level = 3 AND idx IN
    (...) OR ...``): PostgreSQL reads each list as an array, whereas a row-value IN of
    (level, idx) pairs becomes a nested OR, one level deeper per pair, that overflows its
    stack at a few thousand pairs. Built once per set of levels (a proof in a log of a
    given size has few), so that SQLAlchemy compiles it once.
    """
    parts: list[Select[tuple[int, int, bytes]]] = []
    if 0 in levels:
        parts.append(
            select(
                literal(0, Integer).label("level"),
                records.c.position.label("idx"),
                records.c.record_hash.label("hash"),
            ).where(records.c.position.in_(bindparam("indexes_0", expanding=True)))
        )
    nodes = [
        and_(
            merkle_nodes.c.level == level,
            merkle_nodes.c.idx.in_(bindparam(f"indexes_{level}", expanding=True)),
        )
        for level in levels
        if level > 0
    ]
    if nodes:
        parts.append(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(or_(*nodes))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


async def root_at(conn: AsyncConnection, size: int) -> bytes:
    """The Merkle tree hash of the log's first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    tree = await load_subtrees(conn, [(0, size)])
    return tree.subtree_hash(0, size)


async def prove_inclusion(conn: AsyncConnection, index: int, size: int) -> list[bytes]:
    """The RFC 6962 audit path of leaf ``index`` in the tree of ``size`` leaves."""
    tree = await load_subtrees(conn, inclusion_ranges(index, size))
    return inclusion_proof(index, size, tree)


async def prove_consistency(conn: AsyncConnection, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 6962 consistency proof from ``old_size`` to ``new_size``."""
    tree = await load_subtrees(conn, consistency_ranges(old_size, new_size))
    return consistency_proof(old_size, new_size, tree)
