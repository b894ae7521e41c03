"""The log as C2SP tlog-tiles: tile coordinates, their paths, and entry bundles.

C2SP tlog-tiles (https://c2sp.org/tlog-tiles) cuts an RFC 6962 tree into *tiles* of height
8: the tile at level ``L`` and index ``N`` holds the hashes of the tree's nodes
``N*256 .. N*256+255`` at height ``8*L`` (level 0 holds leaf hashes), each 32 bytes, one
after the other. A tile of fewer than 256 hashes, at the right edge of the tree, is a
*partial* tile of width ``W``. The entries themselves come in *entry bundles* of 256, each
entry a big-endian 16-bit length followed by its bytes.

For this log an entry is the leaf itself: the 32-byte ``record_hash`` of the record at that
position, whose RFC 6962 leaf hash ``SHA-256(0x00 || record_hash)`` is the tree's leaf
(trace/domain/merkle.py). A client hashes each entry of a bundle into a leaf and checks it
against the level-0 tile and the checkpoint; the record behind a hash (statement, signature,
chain link) is read from the API (``GET /api/v1/log/records``) and hashed into it
(trace/domain/record.py).

Paths, as the specification writes them: ``tile/<L>/<N>[.p/<W>]`` and
``tile/entries/<N>[.p/<W>]``, where ``N`` is written in groups of three decimal digits, each
but the last prefixed with ``x`` (1234067 is ``x001/x234/067``), and ``W`` (1 to 255) is
decimal without leading zeroes. A path that is not written exactly so names no tile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from trace.domain.errors import DomainError
from trace.domain.merkle import HASH_SIZE
from trace.domain.texts import N_

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, or entries, in a full tile
# Levels 0 to 7 cover 2^64 leaves, more than a tree size (below 2^63) can reach.
MAX_LEVEL = 7
ENTRY_LENGTH_BYTES = 2  # tlog-tiles: each entry is prefixed by its length as a big-endian uint16
MAX_ENTRY_BYTES = (1 << 16) - 1

_GROUP = re.compile(r"x[0-9]{3}|[0-9]{3}", re.ASCII)
_WIDTH = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)
_LEVEL = re.compile(r"0|[1-9][0-9]?", re.ASCII)


class TilePathError(DomainError):
    """A path under ``/tile/`` that names no tile as tlog-tiles writes tile paths."""

    code = "tile_path"
    words = N_(
        "'{path}' is not the path of a tile ({reason}). Tiles are at "
        "tile/<level>/<index>[.p/<width>] and tile/entries/<index>[.p/<width>], the index in "
        "groups of three digits, each but the last starting with x (1234 is x001/234), the "
        "width from 1 to 255 (C2SP tlog-tiles)."
    )


@dataclass(frozen=True)
class Tile:
    """One tile: ``level`` (``None`` for an entry bundle), ``index``, and ``width`` (1-256)."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_full(self) -> bool:
        """A full tile never changes once published; a partial one is replaced by wider ones."""
        return self.width == TILE_WIDTH

    @property
    def node_level(self) -> int:
        """The height in the Merkle tree of the nodes a hash tile holds (0 for leaves)."""
        return TILE_HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """The index, at ``node_level``, of the tile's first node (or entry)."""
        return self.index * TILE_WIDTH

    def leaves_needed(self) -> int:
        """The tree size from which on this tile exists: its last node's leaves are all in."""
        return (self.first + self.width) << self.node_level

    def path(self) -> str:
        """The tile's path under the log's prefix, as tlog-tiles writes it."""
        where = "entries" if self.level is None else str(self.level)
        partial = "" if self.is_full else f".p/{self.width}"
        return f"tile/{where}/{encode_index(self.index)}{partial}"


def encode_index(index: int) -> str:
    """``N`` as a tile path writes it: three-digit groups, all but the last prefixed by ``x``."""
    if index < 0:
        raise ValueError(f"a tile index is not negative, found {index}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> Tile:
    """The tile at ``path`` (``tile/…``, no leading slash); `TilePathError` if it names none.

    Only the one way tlog-tiles writes a tile's path is accepted, so that every tile has one
    address and a cache holds it once.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"{path!r} does not start with tile/<level>/", path=path, reason="tile")
    if parts[1] == "entries":
        level = None
    elif _LEVEL.fullmatch(parts[1]) and int(parts[1]) <= MAX_LEVEL:
        level = int(parts[1])
    else:
        raise TilePathError(
            f"level {parts[1]!r} is neither entries nor 0 to {MAX_LEVEL}", path=path, reason="level"
        )
    groups = parts[2:]
    width = TILE_WIDTH
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        if not _WIDTH.fullmatch(groups[-1]) or int(groups[-1]) >= TILE_WIDTH:
            raise TilePathError(
                f"partial width {groups[-1]!r} is not 1 to 255", path=path, reason="width"
            )
        width = int(groups[-1])
        groups = [*groups[:-2], groups[-2][: -len(".p")]]
    if not all(_GROUP.fullmatch(g) for g in groups) or any(
        g.startswith("x") != (i < len(groups) - 1) for i, g in enumerate(groups)
    ):
        raise TilePathError(
            f"index {'/'.join(groups)!r} is not three-digit groups with x before all but the last",
            path=path,
            reason="index",
        )
    index = 0
    for group in groups:
        index = index * 1000 + int(group.removeprefix("x"))
    tile = Tile(level, index, width)
    if tile.path() != path:  # x000/123: a leading zero group, which encode_index never writes
        raise TilePathError(f"{path!r} is written {tile.path()!r}", path=path, reason="index")
    return tile


def tiles_for_size(size: int) -> Iterator[Tile]:
    """Every tile, hash tiles by level then entry bundles, that a tree of ``size`` leaves has.

    Full tiles, and at each level the partial tile at the right edge, if any: the tiles a
    static copy of the log at that size holds.
    """
    level = 0
    nodes = size
    while nodes > 0 and level <= MAX_LEVEL:
        yield from _row(level, nodes)
        nodes >>= TILE_HEIGHT
        level += 1
    yield from _row(None, size)


def _row(level: int | None, count: int) -> Iterator[Tile]:
    full, rest = divmod(count, TILE_WIDTH)
    for index in range(full):
        yield Tile(level, index)
    if rest:
        yield Tile(level, full, rest)


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as its big-endian 16-bit length, then its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise ValueError(f"an entry holds at most {MAX_ENTRY_BYTES} bytes, not {len(entry)}")
        out += len(entry).to_bytes(ENTRY_LENGTH_BYTES, "big") + entry
    return bytes(out)


def decode_entry_bundle(bundle: bytes) -> list[bytes]:
    """The entries of a bundle, in order; ``ValueError`` if the lengths do not fill it exactly."""
    entries, at = [], 0
    while at < len(bundle):
        if at + ENTRY_LENGTH_BYTES > len(bundle):
            raise ValueError(f"a length is cut off at byte {at} of {len(bundle)}")
        length = int.from_bytes(bundle[at : at + ENTRY_LENGTH_BYTES], "big")
        at += ENTRY_LENGTH_BYTES
        if at + length > len(bundle):
            raise ValueError(f"an entry of {length} bytes runs past the bundle's end at {at}")
        entries.append(bundle[at : at + length])
        at += length
    return entries


def split_hash_tile(data: bytes) -> list[bytes]:
    """The hashes of a tile's bytes; ``ValueError`` unless it is whole hashes, 1 to 256."""
    if not data or len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise ValueError(f"a tile is 1 to 256 hashes of {HASH_SIZE} bytes, not {len(data)} bytes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
