"""The log's Merkle tree in the database: nodes kept by the append, proofs served from them.

Leaf ``i`` is the ``record_hash`` at position ``i`` (RFC 6962 leaf hashing over it).
Complete subtrees of level 1 and above are rows of ``merkle_nodes``, written in the
append transaction (trace/store/group.py) from the edge kept on the log head; level 0
comes from ``records``.
A proof asks for O(log n) subtrees (trace/domain/merkle.py), all fetched in two queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Integer, Select, literal, select, tuple_, union_all
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
    """Fetch every complete subtree needed to hash ``ranges``."""
    wanted = {part for start, end in ranges for part in complete_subtrees(start, end)}
    leaves = sorted(start for start, end in wanted if end - start == 1)
    nodes = [
        ((end - start).bit_length() - 1, start // (end - start))
        for start, end in wanted
        if end - start > 1
    ]
    # One statement for both kinds of subtree: level 0 are records, the rest stored nodes.
    parts: list[Select[tuple[int, int, bytes]]] = []
    if leaves:
        parts.append(
            select(
                literal(0, Integer).label("level"),
                records.c.position.label("idx"),
                records.c.record_hash.label("hash"),
            ).where(records.c.position.in_(leaves))
        )
    if nodes:
        parts.append(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
                _node_keys(nodes)
            )
        )
    found: dict[tuple[int, int], bytes] = {}
    if parts:
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        for row in await conn.execute(query):
            digest = bytes(row.hash)
            if row.level == 0:
                found[(row.idx, row.idx + 1)] = hash_leaf(digest)
            else:
                width = 1 << row.level
                found[(row.idx * width, (row.idx + 1) * width)] = digest
    return StoredSubtrees(found)


def _node_keys(nodes: list[tuple[int, int]]) -> ColumnElement[bool]:
    # Row-value IN works on PostgreSQL and SQLite 3.15+; a handful of keys per proof.
    return tuple_(merkle_nodes.c.level, merkle_nodes.c.idx).in_(nodes)


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
