"""Tiles of the log (C2SP tlog-tiles) read from the stored tree, full ones kept once made.

A hash tile of level 0 is the leaf hashes of 256 records; of level ``L`` above, 256 rows of
``merkle_nodes`` at height ``8*L``, which the append writes in the transaction of the
records they cover (trace/store/group.py). An entry bundle is the records' hashes. Each is
one range read on a primary key.

Mirrors and witnesses read the same tiles over and over, and a full tile never changes, so
each worker keeps the full tiles it has served (:class:`FullTiles`, bounded) and cuts a
partial tile out of the full one where it holds it. A tile the log does not hold yet is
:class:`NotFound`: its leaves are not all in.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from trace.domain.merkle import HASH_SIZE, hash_leaf
from trace.domain.tiles import ENTRY_LENGTH_BYTES, Tile, encode_entry_bundle
from trace.store.database import read_transaction
from trace.store.errors import NotFound
from trace.store.tables import merkle_nodes, records

# Full tiles one worker keeps: 8 KiB each, so about 16 MiB; the top of the tree and the
# newest leaves, which every client asks for, stay in.
FULL_TILES_KEPT = 2048


@dataclass(frozen=True, slots=True)
class TileBytes:
    """A tile's bytes and their entity tag (the start of their SHA-256)."""

    data: bytes
    etag: str

    @classmethod
    def of(cls, data: bytes) -> TileBytes:
        """The tile ``data`` with its tag."""
        return cls(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"')


class FullTiles:
    """Full tiles already read, least recently served dropped first beyond ``kept``."""

    def __init__(self, kept: int = FULL_TILES_KEPT) -> None:
        self.kept = kept
        self._held: OrderedDict[tuple[int | None, int], TileBytes] = OrderedDict()

    def get(self, level: int | None, index: int) -> TileBytes | None:
        """The full tile (level, index), if this worker holds it."""
        data = self._held.get((level, index))
        if data is not None:
            self._held.move_to_end((level, index))
        return data

    def put(self, level: int | None, index: int, data: TileBytes) -> None:
        """Keep a full tile."""
        self._held[(level, index)] = data
        self._held.move_to_end((level, index))
        while len(self._held) > self.kept:
            self._held.popitem(last=False)


async def read_tile(conn: AsyncConnection, tile: Tile) -> bytes:
    """The bytes of ``tile`` as the stored tree holds them; `NotFound` if it is not all in."""
    start, end = tile.first, tile.first + tile.width
    if tile.level is not None and tile.level > 0:
        nodes = select(merkle_nodes.c.hash).where(
            merkle_nodes.c.level == tile.node_level,
            merkle_nodes.c.idx >= start,
            merkle_nodes.c.idx < end,
        )
        found = await conn.execute(nodes.order_by(merkle_nodes.c.idx))
    else:
        leaves = select(records.c.record_hash).where(
            records.c.position >= start, records.c.position < end
        )
        found = await conn.execute(leaves.order_by(records.c.position))
    hashes = [bytes(h) for h in found.scalars()]
    if len(hashes) != tile.width:
        raise NotFound(
            f"tile {tile.path()} needs {tile.leaves_needed()} leaves; "
            f"{len(hashes)} of its {tile.width} are in",
            what="tile",
            id=tile.path(),
        )
    if tile.level is None:
        return encode_entry_bundle(hashes)
    if tile.level == 0:
        return b"".join(hash_leaf(h) for h in hashes)
    return b"".join(hashes)


async def tile_bytes(engine: AsyncEngine, full_tiles: FullTiles, tile: Tile) -> TileBytes:
    """``tile``'s bytes, from this worker's full tiles where it can, else from the database."""
    held = full_tiles.get(tile.level, tile.index)
    if held is None:
        async with read_transaction(engine) as conn:
            data = await read_tile(conn, tile)
        read = TileBytes.of(data)
        if tile.is_full:
            full_tiles.put(tile.level, tile.index, read)
        return read
    if tile.is_full:
        return held
    return TileBytes.of(held.data[: _byte_length(tile, held.data)])


def _byte_length(tile: Tile, full: bytes) -> int:
    """Where the first ``tile.width`` hashes, or entries, of a full tile end."""
    if tile.level is not None:
        return tile.width * HASH_SIZE
    at = 0
    for _ in range(tile.width):
        at += ENTRY_LENGTH_BYTES + int.from_bytes(full[at : at + ENTRY_LENGTH_BYTES], "big")
    return at
