"""Merkle log math, checked against RFC 6962 §2.1 written out naively right here.

The reference below is deliberately different in structure from ``trace.domain.merkle``: it
hashes raw entries itself, recurses over list slices exactly as RFC 6962 §2.1 defines MTH,
PATH and SUBPROOF, and verifies with RFC 9162's fn/sn loops transcribed step by step.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.domain.errors import DomainError
from trace.domain.merkle import (
    EMPTY_ROOT,
    ConsistencyProofError,
    InclusionProofError,
    MemoryTree,
    ProofError,
    ProofRangeError,
    complete_subtrees,
    consistency_proof,
    consistency_ranges,
    hash_children,
    hash_leaf,
    inclusion_proof,
    inclusion_ranges,
    root_from_leaves,
    root_from_subtrees,
    verify_consistency,
    verify_inclusion,
)

# --- RFC 6962 §2.1, naively ------------------------------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + entries[0])
    k = _split_point(n)
    return _sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = _split_point(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if complete else [ref_mth(entries)]
    k = _split_point(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], complete), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def rfc9162_inclusion_ok(
    leaf_hash: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def rfc9162_consistency_ok(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, step by step (for 0 < first < second)."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- Fixtures ---------------------------------------------------------------------------------

ENTRIES = [b"entry %d" % i for i in range(3000)]
LEAF_HASHES = [_sha256(b"\x00" + entry) for entry in ENTRIES]
TREE = MemoryTree(LEAF_HASHES)
REF_ROOTS = [ref_mth(ENTRIES[:n]) for n in range(71)]

# The RFC 6962 test vectors of the Certificate Transparency reference implementations.
CT_ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243")] + [
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (index, size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [  # (old_size, new_size, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def _flip(value: bytes, bit: int = 0) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def _is_complete_subtree(start: int, end: int, size: int) -> bool:
    width = end - start
    return width > 0 and width & (width - 1) == 0 and start % width == 0 and end <= size


def _is_right_edge(start: int, end: int, size: int) -> bool:
    """[k*2^j, size) with k*2^j < size < (k+1)*2^j for some j."""
    if end != size or start >= end:
        return False
    j = (end - start - 1).bit_length()
    return start % (1 << j) == 0


def _assert_servable(ranges: list[tuple[int, int]], size: int) -> None:
    edges = [r for r in ranges if not _is_complete_subtree(*r, size)]
    assert all(_is_right_edge(*r, size) for r in edges), (ranges, size)
    assert len(edges) <= 1, (ranges, size)


class CountingTree:
    """A SubtreeHashes that records what it is asked for and hashes nothing of substance."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def subtree_hash(self, start: int, end: int) -> bytes:
        self.asked.append((start, end))
        return _sha256(b"%d:%d" % (start, end))


# --- Known answers ----------------------------------------------------------------------------


def test_the_reference_reproduces_the_published_ct_roots() -> None:
    assert [ref_mth(CT_ENTRIES[:n]).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_published_ct_roots(size: int) -> None:
    leaves = [hash_leaf(entry) for entry in CT_ENTRIES[:size]]
    assert root_from_leaves(leaves).hex() == CT_ROOTS[size]
    assert MemoryTree(leaves).root().hex() == CT_ROOTS[size]


def test_hashes_use_the_rfc_6962_prefixes() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert hash_leaf(b"").hex() == CT_ROOTS[1]
    assert hash_children(hash_leaf(b""), hash_leaf(b"\x00")).hex() == CT_ROOTS[2]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_match_the_published_ct_proofs(
    index: int, size: int, proof: list[str]
) -> None:
    tree = MemoryTree(hash_leaf(entry) for entry in CT_ENTRIES)
    assert [h.hex() for h in ref_path(index, CT_ENTRIES[:size])] == proof
    assert [h.hex() for h in inclusion_proof(index, size, tree)] == proof
    root = bytes.fromhex(CT_ROOTS[size])
    verify_inclusion(hash_leaf(CT_ENTRIES[index]), index, size, [*map(bytes.fromhex, proof)], root)


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_published_ct_proofs(
    old_size: int, new_size: int, proof: list[str]
) -> None:
    tree = MemoryTree(hash_leaf(entry) for entry in CT_ENTRIES)
    assert [h.hex() for h in ref_proof(old_size, CT_ENTRIES[:new_size])] == proof
    assert [h.hex() for h in consistency_proof(old_size, new_size, tree)] == proof
    old_root, new_root = bytes.fromhex(CT_ROOTS[old_size]), bytes.fromhex(CT_ROOTS[new_size])
    verify_consistency(old_size, new_size, old_root, new_root, [*map(bytes.fromhex, proof)])


# --- Agreement with the reference -------------------------------------------------------------


def test_roots_match_the_rfc_definition_for_sizes_0_to_70() -> None:
    for size in range(71):
        assert root_from_leaves(LEAF_HASHES[:size]) == REF_ROOTS[size]
        assert TREE.root(size) == REF_ROOTS[size]


def test_any_range_hashes_as_the_rfc_definition_of_its_entries() -> None:
    for start in range(40):
        for end in range(start + 1, 41):
            assert TREE.subtree_hash(start, end) == ref_mth(ENTRIES[start:end])
            parts = [TREE.subtree_hash(s, e) for s, e in complete_subtrees(start, end)]
            assert root_from_subtrees(parts) == ref_mth(ENTRIES[start:end])


def test_inclusion_proofs_match_rfc_path_for_every_leaf_of_sizes_1_to_70() -> None:
    for size in range(1, 71):
        for index in range(size):
            proof = inclusion_proof(index, size, TREE)
            assert proof == ref_path(index, ENTRIES[:size]), (index, size)
            verify_inclusion(LEAF_HASHES[index], index, size, proof, REF_ROOTS[size])
            assert rfc9162_inclusion_ok(LEAF_HASHES[index], index, size, proof, REF_ROOTS[size])


def test_consistency_proofs_match_rfc_subproof_for_all_sizes_up_to_40() -> None:
    for new_size in range(1, 41):
        for old_size in range(1, new_size + 1):
            proof = consistency_proof(old_size, new_size, TREE)
            assert proof == ref_proof(old_size, ENTRIES[:new_size]), (old_size, new_size)
            verify_consistency(old_size, new_size, REF_ROOTS[old_size], REF_ROOTS[new_size], proof)
            if old_size < new_size:
                assert rfc9162_consistency_ok(
                    old_size, new_size, REF_ROOTS[old_size], REF_ROOTS[new_size], proof
                )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_large_trees_agree_with_the_reference(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(2, len(ENTRIES)), label="new_size")
    old_size = data.draw(st.integers(1, new_size - 1), label="old_size")
    index = data.draw(st.integers(0, new_size - 1), label="index")
    new_root, old_root = ref_mth(ENTRIES[:new_size]), ref_mth(ENTRIES[:old_size])
    assert TREE.root(new_size) == new_root

    path = inclusion_proof(index, new_size, TREE)
    assert path == ref_path(index, ENTRIES[:new_size])
    verify_inclusion(LEAF_HASHES[index], index, new_size, path, new_root)

    proof = consistency_proof(old_size, new_size, TREE)
    assert proof == ref_proof(old_size, ENTRIES[:new_size])
    verify_consistency(old_size, new_size, old_root, new_root, proof)


def test_a_grown_tree_still_proves_its_older_sizes() -> None:
    tree = MemoryTree(LEAF_HASHES[:5])
    old_root, old_path = tree.root(), inclusion_proof(2, 5, tree)
    for leaf_hash in LEAF_HASHES[5:13]:
        tree.append(leaf_hash)
    assert tree.root(5) == old_root
    assert inclusion_proof(2, 5, tree) == old_path
    verify_consistency(5, 13, old_root, tree.root(), consistency_proof(5, 13, tree))


# --- What a store is asked for ----------------------------------------------------------------


def test_the_ranges_of_a_worked_example() -> None:
    # Leaf 6 of 13: its neighbour, the pair to its left, the first four, then the ragged [8, 13).
    assert inclusion_ranges(6, 13) == [(7, 8), (4, 6), (0, 4), (8, 13)]
    # From 6 to 13: the old tree's last complete subtree [4, 6) first, then its path in the new.
    assert consistency_ranges(6, 13) == [(4, 6), (6, 8), (0, 4), (8, 13)]
    # From 8 to 13 the old tree is itself a complete subtree; the verifier has it as old root.
    assert consistency_ranges(8, 13) == [(8, 13)]
    assert consistency_ranges(0, 13) == consistency_ranges(13, 13) == []
    assert complete_subtrees(8, 13) == [(8, 12), (12, 13)]
    assert complete_subtrees(0, 8) == [(0, 8)]
    assert complete_subtrees(5, 5) == []


def test_proofs_ask_only_for_complete_subtrees_and_one_right_edge() -> None:
    for size in range(1, 71):
        for index in range(size):
            _assert_servable(inclusion_ranges(index, size), size)
        for old_size in range(size + 1):
            _assert_servable(consistency_ranges(old_size, size), size)


@given(st.integers(2, 1 << 40).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_proofs_of_huge_trees_ask_only_for_servable_ranges(sizes: tuple[int, int]) -> None:
    small, size = sizes
    _assert_servable(inclusion_ranges(small, size), size)
    _assert_servable(consistency_ranges(small, size), size)


def test_a_million_leaf_proof_asks_for_logarithmically_many_subtrees() -> None:
    size = 1_000_000
    depth = (size - 1).bit_length()  # 20
    rng = random.Random(6962)
    for index in [0, 1, size // 2, size - 2, size - 1, *rng.sample(range(size), 300)]:
        tree = CountingTree()
        proof = inclusion_proof(index, size, tree)
        assert len(tree.asked) == len(proof) <= depth
        assert tree.asked == inclusion_ranges(index, size)
        _assert_servable(tree.asked, size)
    for old_size in [1, 2, 524_288, 524_289, size - 1, *rng.sample(range(1, size), 300)]:
        tree = CountingTree()
        proof = consistency_proof(old_size, size, tree)
        assert len(tree.asked) == len(proof) <= depth + 1
        assert tree.asked == consistency_ranges(old_size, size)
        _assert_servable(tree.asked, size)


# --- Rejections -------------------------------------------------------------------------------


def _inclusion_case(index: int, size: int) -> tuple[bytes, list[bytes], bytes]:
    return LEAF_HASHES[index], inclusion_proof(index, size, TREE), REF_ROOTS[size]


def test_proof_errors_are_domain_errors_with_one_code() -> None:
    assert issubclass(InclusionProofError, ProofError)
    assert issubclass(ConsistencyProofError, ProofError)
    assert issubclass(ProofError, DomainError)
    assert InclusionProofError("x").code == ConsistencyProofError("x").code == "proof_invalid"


def test_every_flipped_bit_of_an_inclusion_proof_is_caught() -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    for position in range(len(proof)):
        for bit in range(256):
            broken = [*proof]
            broken[position] = _flip(proof[position], bit)
            with pytest.raises(
                InclusionProofError, match=r"calculated root [0-9a-f]{64} does not match"
            ):
                verify_inclusion(leaf, 6, 13, broken, root)


def test_a_flipped_leaf_or_root_is_caught() -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    with pytest.raises(InclusionProofError, match=f"does not match expected root {root.hex()}"):
        verify_inclusion(_flip(leaf, 200), 6, 13, proof, root)
    with pytest.raises(InclusionProofError) as caught:
        verify_inclusion(leaf, 6, 13, proof, _flip(root, 7))
    assert caught.value.params == {
        "reason": "root_mismatch",
        "expected": _flip(root, 7).hex(),
        "found": root.hex(),
    }


@pytest.mark.parametrize("wrong_index", [5, 7, 4, 0, 12])
def test_a_proof_for_another_index_is_refused(wrong_index: int) -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, wrong_index, 13, proof, root)


@pytest.mark.parametrize(("index", "size"), [(13, 13), (14, 13), (-1, 13), (0, 0)])
def test_an_index_outside_the_tree_is_refused_by_name(index: int, size: int) -> None:
    leaf, _, root = _inclusion_case(0, 13)
    with pytest.raises(InclusionProofError, match=f"leaf index {index} is outside a tree"):
        verify_inclusion(leaf, index, size, [], root)


@pytest.mark.parametrize("wrong_size", [6, 7, 8, 17, 26])
def test_a_proof_for_a_differently_shaped_size_is_refused(wrong_size: int) -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 6, wrong_size, proof, root)


@pytest.mark.parametrize("same_shape_size", [9, 12, 14, 16])
def test_the_size_is_bound_by_the_signed_root_not_by_the_proof(same_shape_size: int) -> None:
    # Leaf 6 has the same path shape in every tree of 9 to 16 leaves, so RFC 9162 accepts the
    # proof at any of those sizes: a verifier must take size and root from one checkpoint.
    leaf, proof, root = _inclusion_case(6, 13)
    verify_inclusion(leaf, 6, same_shape_size, proof, root)


def test_truncated_and_extended_inclusion_proofs_say_how_long_they_should_be() -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    expected = f"expected {len(proof)}$"
    with pytest.raises(InclusionProofError, match=f"proof has {len(proof) - 1} hashes, {expected}"):
        verify_inclusion(leaf, 6, 13, proof[:-1], root)
    with pytest.raises(InclusionProofError, match=f"proof has {len(proof) + 1} hashes, {expected}"):
        verify_inclusion(leaf, 6, 13, [*proof, root], root)
    with pytest.raises(InclusionProofError, match=f"proof has {len(proof) + 1} hashes, {expected}"):
        verify_inclusion(leaf, 6, 13, [root, *proof], root)


def test_hashes_of_the_wrong_size_are_named() -> None:
    leaf, proof, root = _inclusion_case(6, 13)
    with pytest.raises(InclusionProofError, match="proof hash 1 is 31 bytes, expected 32"):
        verify_inclusion(leaf, 6, 13, [proof[0], proof[1][:31], *proof[2:]], root)
    with pytest.raises(InclusionProofError, match="leaf hash is 0 bytes, expected 32"):
        verify_inclusion(b"", 6, 13, proof, root)
    with pytest.raises(ConsistencyProofError, match="new root is 9 bytes, expected 32"):
        verify_consistency(3, 7, REF_ROOTS[3], b"WrongRoot", [])


def test_every_corruption_of_every_small_inclusion_proof_is_refused() -> None:
    for size in range(1, 21):
        for index in range(size):
            leaf, proof, root = _inclusion_case(index, size)
            for args in _corrupted_inclusions(leaf, index, size, proof, root):
                with pytest.raises(InclusionProofError):
                    verify_inclusion(*args)
                assert not rfc9162_inclusion_ok(*args)


def _corrupted_inclusions(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    cases = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (_flip(leaf), index, size, proof, root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [root, *proof], root),
    ]
    cases += [(leaf, index, size, proof[:-1], root)] if proof else []
    for position in range(len(proof)):
        broken = [*proof]
        broken[position] = _flip(proof[position], 3)
        cases.append((leaf, index, size, broken, root))
    return [case for case in cases if case[1] >= 0]


def test_every_flipped_bit_of_a_consistency_proof_names_the_root_it_breaks() -> None:
    for old_size, new_size in [(6, 13), (4, 13), (7, 8), (1, 2), (12, 40)]:
        proof = consistency_proof(old_size, new_size, TREE)
        ranges = consistency_ranges(old_size, new_size)
        for position, (_, end) in enumerate(ranges):
            broken_root = "old root" if end <= old_size else "new root"
            for bit in (0, 77, 255):
                broken = [*proof]
                broken[position] = _flip(proof[position], bit)
                with pytest.raises(ConsistencyProofError, match=f"calculated {broken_root} "):
                    verify_consistency(
                        old_size, new_size, REF_ROOTS[old_size], REF_ROOTS[new_size], broken
                    )


def test_flipped_or_swapped_roots_are_refused() -> None:
    old_root, new_root = REF_ROOTS[6], REF_ROOTS[13]
    proof = consistency_proof(6, 13, TREE)
    with pytest.raises(ConsistencyProofError, match="does not match expected old root"):
        verify_consistency(6, 13, _flip(old_root, 9), new_root, proof)
    with pytest.raises(ConsistencyProofError, match="does not match expected new root"):
        verify_consistency(6, 13, old_root, _flip(new_root, 9), proof)
    with pytest.raises(ConsistencyProofError, match="does not match expected old root"):
        verify_consistency(6, 13, new_root, old_root, proof)


def test_truncated_and_extended_consistency_proofs_say_how_long_they_should_be() -> None:
    proof = consistency_proof(6, 13, TREE)
    n = len(proof)
    for wrong in (proof[:-1], [], [*proof, REF_ROOTS[6]], [REF_ROOTS[13], *proof]):
        with pytest.raises(
            ConsistencyProofError, match=f"proof has {len(wrong)} hashes, expected {n}$"
        ):
            verify_consistency(6, 13, REF_ROOTS[6], REF_ROOTS[13], wrong)


def test_every_corruption_of_every_small_consistency_proof_is_refused() -> None:
    for new_size in range(2, 25):
        for old_size in range(1, new_size):
            proof = consistency_proof(old_size, new_size, TREE)
            for args in _corrupted_consistencies(old_size, new_size, proof):
                with pytest.raises(ConsistencyProofError):
                    verify_consistency(*args)
                if 0 < args[0] < args[1]:
                    assert not rfc9162_consistency_ok(*args)


def _corrupted_consistencies(
    old_size: int, new_size: int, proof: list[bytes]
) -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    old_root, new_root = REF_ROOTS[old_size], REF_ROOTS[new_size]
    cases = [
        (old_size - 1, new_size, old_root, new_root, proof),
        (old_size + 1, new_size, old_root, new_root, proof),
        (old_size ^ 2, new_size, old_root, new_root, proof),
        (old_size, new_size * 2, old_root, new_root, proof),
        (old_size, new_size // 2, old_root, new_root, proof),
        (old_size, new_size, new_root, old_root, proof),
        (old_size, new_size, old_root, new_root, []),
        (old_size, new_size, old_root, new_root, proof[:-1]),
        (old_size, new_size, old_root, new_root, [*proof, old_root]),
        (old_size, new_size, old_root, new_root, [old_root, *proof]),
        (old_size, new_size, old_root, new_root, [proof[0], *proof]),
    ]
    for position in range(len(proof)):
        broken = [*proof]
        broken[position] = _flip(proof[position], 4)
        cases.append((old_size, new_size, old_root, new_root, broken))
    return cases


def test_consistency_from_a_larger_size_is_refused_by_name() -> None:
    with pytest.raises(ConsistencyProofError, match="old size 9 is not between 0 and new size 8"):
        verify_consistency(9, 8, REF_ROOTS[9], REF_ROOTS[8], [])


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    verify_consistency(8, 8, REF_ROOTS[8], REF_ROOTS[8], [])
    with pytest.raises(ConsistencyProofError, match="proof has 1 hashes, expected 0"):
        verify_consistency(8, 8, REF_ROOTS[8], REF_ROOTS[8], [REF_ROOTS[8]])
    with pytest.raises(ConsistencyProofError, match="of size 8 does not match the new root"):
        verify_consistency(8, 8, REF_ROOTS[7], REF_ROOTS[8], [])


def test_every_tree_extends_the_empty_tree_and_only_its_root() -> None:
    assert consistency_proof(0, 13, TREE) == []
    verify_consistency(0, 13, EMPTY_ROOT, REF_ROOTS[13], [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(
        ConsistencyProofError, match="of size 0 does not match the empty tree's root"
    ):
        verify_consistency(0, 13, REF_ROOTS[1], REF_ROOTS[13], [])
    with pytest.raises(ConsistencyProofError, match="proof has 1 hashes, expected 0"):
        verify_consistency(0, 13, EMPTY_ROOT, REF_ROOTS[13], [EMPTY_ROOT])


def test_proofs_of_leaves_or_sizes_the_tree_lacks_are_not_made() -> None:
    with pytest.raises(ProofRangeError, match="leaf 13 is not in a tree of size 13"):
        inclusion_proof(13, 13, TREE)
    with pytest.raises(ProofRangeError, match="no consistency proof from size 9 to size 8"):
        consistency_proof(9, 8, TREE)
    with pytest.raises(
        ProofRangeError, match=r"range \[\d+, 3001\) is not inside a tree of size 3000"
    ):
        inclusion_proof(0, 3001, TREE)
