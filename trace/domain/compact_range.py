"""The log's right edge: the complete subtrees that make up a tree of a given size.

A tree of ``size`` leaves is, left to right, one complete subtree per set bit of
``size`` (largest first): the same split RFC 6962 §2.1 makes. Appending a leaf merges
equal-sized subtrees like a binary counter, so each append yields the new edge, the
new root, and the complete nodes it finished, without reading anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trace.domain.merkle import HASH_SIZE, hash_children, hash_leaf, root_from_subtrees


@dataclass(frozen=True, slots=True)
class Node:
    """The complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``."""

    level: int
    index: int
    hash: bytes


def pack(edge: Sequence[bytes]) -> bytes:
    """The edge as stored: its hashes concatenated."""
    return b"".join(edge)


def unpack(data: bytes, size: int) -> list[bytes]:
    """The edge of a tree of ``size`` from its stored bytes; ``ValueError`` if they disagree."""
    edge = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
    if len(edge) != size.bit_count() or len(data) != HASH_SIZE * len(edge):
        raise ValueError(f"a tree of {size} leaves has {size.bit_count()} edge hashes")
    return edge


def append_leaf(edge: Sequence[bytes], size: int, leaf: bytes) -> tuple[list[bytes], list[Node]]:
    """Add the entry ``leaf`` at index ``size``; return the new edge and the nodes it completed.

    The nodes returned are those of level 1 and above; level 0 is the leaf itself.
    """
    merged = list(edge)
    node = hash_leaf(leaf)
    finished: list[Node] = []
    level = 0
    while size >> level & 1:
        node = hash_children(merged.pop(), node)
        level += 1
        finished.append(Node(level, size >> level, node))
    merged.append(node)
    return merged, finished


def edge_root(edge: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the tree whose right edge is ``edge``."""
    return root_from_subtrees(edge)
