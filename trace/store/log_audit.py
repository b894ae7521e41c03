"""The log's part of the audit: the stored tree against the records, checkpoints against both.

A rewrite of history that recomputes every hash still cannot reproduce a root that
was signed and published before it: each checkpoint, from the database or handed in
from outside (a witness's copy, a saved download), must be the root of the records
as they are now, signed by the log's key.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.chain import ChainFault, Fault
from trace.domain.checkpoint import Checkpoint, parse_checkpoint_text
from trace.domain.compact_range import append_leaf, edge_root, pack
from trace.domain.errors import DomainError
from trace.domain.note import SignatureType, Verifier, parse_note, verify_note
from trace.store.tables import checkpoints, log_head, log_keys, merkle_nodes


def _fault(position: int | None, fault: Fault, detail: str) -> ChainFault:
    return ChainFault("-", 0, position, fault, detail)


async def check_log(
    conn: AsyncConnection, leaves: Sequence[bytes], published: Sequence[str] = ()
) -> list[ChainFault]:
    """Rebuild the tree from ``leaves`` (record hashes by position) and compare everything."""
    faults: list[ChainFault] = []
    stored = {
        (int(level), int(index)): bytes(digest)
        for level, index, digest in await conn.execute(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash)
        )
    }
    notes = list((await conn.execute(select(checkpoints.c.note))).scalars()) + list(published)
    wanted: dict[int, list[tuple[Checkpoint, str]]] = {}
    verifiers = [
        Verifier(row.origin, SignatureType.ED25519, bytes(row.public_key))
        for row in await conn.execute(select(log_keys.c.origin, log_keys.c.public_key))
    ]
    for note in notes:
        try:
            verify_note(note, verifiers)
            checkpoint = parse_checkpoint_text(parse_note(note).text)
        except DomainError as exc:
            faults.append(_fault(None, Fault.CHECKPOINT_SIGNATURE, str(exc)))
            continue
        wanted.setdefault(checkpoint.size, []).append((checkpoint, note))
    edge: list[bytes] = []
    roots = {0: edge_root(edge)}
    for position, leaf in enumerate(leaves):
        edge, finished = append_leaf(edge, position, leaf)
        for node in finished:
            if stored.get((node.level, node.index)) != node.hash:
                first = node.index << node.level
                faults.append(
                    _fault(first, Fault.TREE_MISMATCH, f"tree node {node.level}/{node.index}")
                )
        if position + 1 in wanted:
            roots[position + 1] = edge_root(edge)
    head = (await conn.execute(select(log_head.c.size, log_head.c.edge))).one()
    if head.size == len(leaves) and bytes(head.edge) != pack(edge):
        faults.append(_fault(len(leaves), Fault.TREE_MISMATCH, "the log head's edge"))
    for size, points in sorted(wanted.items()):
        for checkpoint, _note in points:
            if size > len(leaves):
                faults.append(
                    _fault(size, Fault.CHECKPOINT_MISMATCH, f"checkpoint {size} is past the log")
                )
            elif roots[size] != checkpoint.root_hash:
                faults.append(
                    _fault(
                        size,
                        Fault.CHECKPOINT_MISMATCH,
                        f"checkpoint {size} does not match the records: history was rewritten",
                    )
                )
    return faults
