"""The right edge kept with the log head gives the same roots and nodes as the full tree."""

from __future__ import annotations

import hashlib

import pytest

from trace.domain.compact_range import append_leaf, edge_root, pack, unpack
from trace.domain.merkle import MemoryTree, hash_leaf


def test_edge_roots_and_finished_nodes_match_the_full_tree() -> None:
    tree = MemoryTree()
    edge: list[bytes] = []
    for size in range(300):
        leaf = hashlib.sha256(size.to_bytes(4, "big")).digest()
        edge, finished = append_leaf(edge, size, leaf)
        tree.append(hash_leaf(leaf))
        assert edge_root(edge) == tree.root()
        assert unpack(pack(edge), size + 1) == edge
        for node in finished:
            start = node.index << node.level
            assert node.hash == tree.subtree_hash(start, start + (1 << node.level))
        assert len(finished) == (size + 1 & -(size + 1)).bit_length() - 1


def test_edge_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="1 edge hashes"):
        unpack(b"\x00" * 64, 4)
