"""Merkle tree hashing, proofs and their verification for the ledger's log.

Hashing and the shape of the tree are RFC 6962 §2.1: a leaf hash is SHA-256(0x00 || leaf), an
interior node SHA-256(0x01 || left || right), and a tree of n > 1 leaves splits at the largest
power of two smaller than n. Proofs are the PATH of RFC 6962 §2.1.1 and the consistency
PROOF/SUBPROOF of §2.1.2. They are verified as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
(consistency) describe, in the named steps below: the proof is first decomposed into its
*inner* part (levels where the path's node has a sibling on either side) and its *border*
part (levels on the tree's right border, where every sibling is on the left), so that a proof
of the wrong length is rejected as such before any hashing.

Which leaves a proof asks for. "[start, end)" means leaves start .. end-1. A *complete
subtree* is an aligned range [k*2^j, (k+1)*2^j). `inclusion_proof` and `consistency_proof`
ask their `SubtreeHashes` only for ranges of two shapes:

- complete subtrees that lie wholly inside the tree, and
- at most one *right edge* per proof, [k*2^j, size) with k*2^j < size < (k+1)*2^j: the
  right border of a tree whose size is not a multiple of 2^j (for a consistency proof, size
  is the new size).

`inclusion_ranges` and `consistency_ranges` list them, in proof order. A store answers the
complete subtrees from stored tiles and computes a right edge as the `root_from_subtrees` of
its `complete_subtrees`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Protocol

from trace.domain.errors import DomainError
from trace.domain.texts import N_

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(DomainError):
    """A Merkle proof does not prove what it claims to."""

    code = "proof_invalid"
    words = N_("The Merkle proof is not valid ({reason}): {detail}")


class InclusionProofError(ProofError):
    """An inclusion proof does not lead from the leaf to the root (RFC 9162 §2.1.3.2)."""


class ConsistencyProofError(ProofError):
    """A consistency proof does not link the old root to the new root (RFC 9162 §2.1.4.2)."""


class ProofRangeError(DomainError):
    """A proof or subtree was asked for leaves or sizes the tree does not have."""

    code = "proof_range"
    words = N_("There is no proof for this request ({reason}): {detail}")
    variants = MappingProxyType(
        {
            "from_empty": N_(
                "There is no consistency proof from the empty tree (from = "
                "{found}): RFC 9162 §2.1.4 defines proofs from size 1 on, "
                "since every tree extends the empty one. Ask with from ≥ 1."
            ),
            "from_after_to": N_(
                "A consistency proof goes from an older, smaller tree to a "
                "newer one: from ({found}) must not be larger than to "
                "({expected})."
            ),
        }
    )


def hash_leaf(data: bytes) -> bytes:
    """The RFC 6962 leaf hash, SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 interior node hash, SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH (RFC 6962 §2.1) of already-hashed leaves; `EMPTY_ROOT` for none."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        # Pairing left to right and carrying an odd last node up unchanged builds the same
        # tree as RFC 6962's split at the largest power of two smaller than n.
        paired = [hash_children(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The subtrees, left to right, into which RFC 6962 splits the leaves [start, end).

    Their sizes are the binary digits of end - start, largest first; each is a complete
    subtree when start is a multiple of the first one's size, as for every range a proof asks.
    """
    if not 0 <= start <= end:
        raise ProofRangeError(f"range [{start}, {end}) is not a range of leaves", reason="range")
    parts = []
    while start < end:
        width = 1 << ((end - start).bit_length() - 1)
        parts.append((start, start + width))
        start += width
    return parts


def root_from_subtrees(subtree_hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive subtrees as `complete_subtrees` splits them: folded from the right."""
    if not subtree_hashes:
        return EMPTY_ROOT
    root = subtree_hashes[-1]
    for left in reversed(subtree_hashes[:-1]):
        root = hash_children(left, root)
    return root


class SubtreeHashes(Protocol):
    """Anything that can give the hash of a range of a log's leaves."""

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH (RFC 6962 §2.1) of the leaves [start, end), where 0 <= start < end."""
        ...


# Proof generation: RFC 6962 §2.1.1 PATH and §2.1.2 SUBPROOF, as the ranges they hash.


def _sibling_range(node: int, level: int, size: int) -> tuple[int, int]:
    """The leaves under the sibling of `node` at `level`, cut at the tree's right edge."""
    sibling = node ^ 1
    return sibling << level, min((sibling + 1) << level, size)


def _path_ranges(node: int, level: int, size: int) -> list[tuple[int, int]]:
    """The sibling ranges on the way from `node` at `level` up to the root of `size` leaves."""
    last = (size - 1) >> level
    ranges = []
    while last > 0:
        # The last node of a level with an even index has no sibling: RFC 6962's split
        # carries it up unchanged.
        if node != last or node & 1:
            ranges.append(_sibling_range(node, level, size))
        node, last, level = node >> 1, last >> 1, level + 1
    return ranges


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges PATH(index, D[0:size]) hashes, from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ProofRangeError(
            f"leaf {index} is not in a tree of size {size}", reason="index", index=index, size=size
        )
    return _path_ranges(index, 0, size)


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges PROOF(old_size, D[0:new_size]) hashes; none when there is nothing to prove.

    The proof is the inclusion path, in the new tree, of the largest complete subtree that ends
    at old_size, preceded by that subtree itself unless it is the whole old tree.
    """
    if not 0 <= old_size <= new_size:
        raise ProofRangeError(
            f"no consistency proof from size {old_size} to size {new_size}",
            reason="sizes",
            old_size=old_size,
            new_size=new_size,
        )
    if old_size in (0, new_size):
        return []
    level = _trailing_zeros(old_size)
    seed = (old_size - (1 << level), old_size)
    path = _path_ranges((old_size - 1) >> level, level, new_size)
    return path if seed[0] == 0 else [seed, *path]


def inclusion_proof(index: int, size: int, tree: SubtreeHashes) -> list[bytes]:
    """The RFC 6962 §2.1.1 inclusion proof of leaf `index` in the tree's first `size` leaves."""
    return [tree.subtree_hash(start, end) for start, end in inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, tree: SubtreeHashes) -> list[bytes]:
    """The RFC 6962 §2.1.2 proof that the tree of `new_size` leaves extends that of `old_size`.

    Empty when old_size is new_size, and when old_size is 0: every tree extends the empty one.
    """
    return [tree.subtree_hash(start, end) for start, end in consistency_ranges(old_size, new_size)]


class MemoryTree:
    """Leaf hashes held in memory, each complete subtree's hash cached once computed."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._leaves: list[bytes] = list(leaf_hashes)
        self._complete: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self._leaves)

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash at the right; return its index."""
        self._leaves.append(leaf_hash)
        return len(self._leaves) - 1

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        return EMPTY_ROOT if size == 0 else self.subtree_hash(0, size)

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of the leaves [start, end)."""
        if not 0 <= start < end <= self.size:
            raise ProofRangeError(
                f"range [{start}, {end}) is not inside a tree of size {self.size}", reason="range"
            )
        parts = complete_subtrees(start, end)
        return root_from_subtrees([self._complete_hash(s, e) for s, e in parts])

    def _complete_hash(self, start: int, end: int) -> bytes:
        if end - start == 1:
            return self._leaves[start]
        cached = self._complete.get((start, end))
        if cached is None:
            middle = (start + end) // 2
            cached = hash_children(
                self._complete_hash(start, middle), self._complete_hash(middle, end)
            )
            self._complete[(start, end)] = cached
        return cached


# Verification: RFC 9162 §2.1.3.2 and §2.1.4.2.


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Pass if `proof` shows that leaf `index` of the `size`-leaf tree `root` is `leaf_hash`.

    Raises `InclusionProofError` saying what was expected and what was found otherwise.
    """
    _check_hash_size(InclusionProofError, "leaf hash", leaf_hash)
    _check_hash_size(InclusionProofError, "root", root)
    if not 0 <= index < size:
        raise InclusionProofError(
            f"leaf index {index} is outside a tree of size {size}, expected 0 <= index < size",
            reason="index",
            expected=size,
            found=index,
        )
    inner, border = _decompose_inclusion_proof(index, size)
    _check_proof_length(InclusionProofError, proof, inner + border)
    calculated = _chain_inner(leaf_hash, proof[:inner], index)
    calculated = _chain_border_right(calculated, proof[inner:])
    _check_root(InclusionProofError, "root", calculated, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Pass if `proof` shows that tree `new_root` of `new_size` extends `old_root` of `old_size`.

    From size 0, which RFC 9162 leaves undefined, the proof must be empty and the old root the
    empty tree's: every tree extends the empty one. Raises `ConsistencyProofError` otherwise.
    """
    _check_hash_size(ConsistencyProofError, "old root", old_root)
    _check_hash_size(ConsistencyProofError, "new root", new_root)
    if not 0 <= old_size <= new_size:
        raise ConsistencyProofError(
            f"old size {old_size} is not between 0 and new size {new_size}",
            reason="sizes",
            expected=new_size,
            found=old_size,
        )
    if old_size == 0 or old_size == new_size:
        _check_trivial_consistency(old_size, old_root, new_root, proof)
        return
    # Step 2 and 4 of §2.1.4.2: climb to the largest complete subtree ending at old_size; if it
    # is the whole old tree, its hash is old_root and the proof leaves it out.
    level = _trailing_zeros(old_size)
    node, last = (old_size - 1) >> level, (new_size - 1) >> level
    inner, border = _decompose_inclusion_proof(node, last + 1)
    seeded = node == 0
    _check_proof_length(ConsistencyProofError, proof, inner + border + (0 if seeded else 1))
    seed, path = (old_root, proof) if seeded else (proof[0], proof[1:])
    calculated_old = _chain_inner_right(seed, path[:inner], node)
    calculated_old = _chain_border_right(calculated_old, path[inner:])
    _check_root(ConsistencyProofError, "old root", calculated_old, old_root)
    calculated_new = _chain_inner(seed, path[:inner], node)
    calculated_new = _chain_border_right(calculated_new, path[inner:])
    _check_root(ConsistencyProofError, "new root", calculated_new, new_root)


def _check_trivial_consistency(
    old_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Nothing to prove from the empty tree or to the same size: no hashes, and the right root."""
    _check_proof_length(ConsistencyProofError, proof, 0)
    expected, what = (
        (EMPTY_ROOT, "the empty tree's root") if old_size == 0 else (new_root, "the new root")
    )
    if old_root != expected:
        raise ConsistencyProofError(
            f"old root {old_root.hex()} of size {old_size} does not match {what} {expected.hex()}",
            reason="root_mismatch",
            expected=expected.hex(),
            found=old_root.hex(),
        )


def _decompose_inclusion_proof(index: int, size: int) -> tuple[int, int]:
    """How many proof hashes are inner (below where the path meets the right border) and border.

    Below the highest bit where index and size - 1 differ, every node on the path has a
    sibling; above it, the path runs along the right border and has a (left) sibling only where
    index has a 1 bit.
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Hash up the inner levels, the sibling on the left where index has a 1 bit."""
    for level, sibling in enumerate(proof):
        sibling_on_left = (index >> level) & 1
        seed = hash_children(sibling, seed) if sibling_on_left else hash_children(seed, sibling)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Hash up the inner levels keeping only left siblings: the old tree knows no others."""
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = hash_children(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    """Hash up the right border, where every sibling is on the left."""
    for sibling in proof:
        seed = hash_children(sibling, seed)
    return seed


def _trailing_zeros(number: int) -> int:
    return (number & -number).bit_length() - 1


def _check_hash_size(error: type[ProofError], what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise error(
            f"{what} is {len(value)} bytes, expected {HASH_SIZE}",
            reason="hash_size",
            expected=HASH_SIZE,
            found=len(value),
        )


def _check_proof_length(error: type[ProofError], proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise error(
            f"proof has {len(proof)} hashes, expected {expected}",
            reason="proof_length",
            expected=expected,
            found=len(proof),
        )
    for position, value in enumerate(proof):
        _check_hash_size(error, f"proof hash {position}", value)


def _check_root(error: type[ProofError], what: str, calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise error(
            f"calculated {what} {calculated.hex()} does not match expected {what} {expected.hex()}",
            reason="root_mismatch",
            expected=expected.hex(),
            found=calculated.hex(),
        )
