"""The log's tiles written to a folder, for any static file server or CDN to publish.

The folder holds what the service serves at ``/checkpoint`` and ``/tile/…`` (C2SP
tlog-tiles), for the newest checkpoint: every full tile, the partial tiles at the right
edge, and the checkpoint itself. It is written so that a reader never sees a checkpoint
whose tiles are not all there: tiles first, each to a temporary name then renamed, the
checkpoint last. Run again, it only writes what is new: the bytes at a tile's path never
change (a partial tile of width W is the first W hashes of its full tile), so a tile already
in the folder is kept, and partial tiles of earlier sizes stay for clients that hold an
older checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trace.domain.tiles import Tile, tiles_for_size
from trace.store.checkpoints import latest_checkpoint, sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tiles import read_tile

# Tiles read in one read transaction: short transactions on PostgreSQL, few of them.
TILES_PER_TRANSACTION = 256


@dataclass(frozen=True, slots=True)
class TilesWritten:
    """What a run did: the checkpoint's size, tiles written, and tiles already there."""

    size: int
    written: int
    kept: int


async def write_tile_folder(ledger: Ledger, out: Path, origin: str) -> TilesWritten:
    """Sign a checkpoint of the log as it is (unless the newest covers it) and write its tiles."""
    await sign_checkpoint(ledger, origin)
    latest = await latest_checkpoint(ledger)
    assert latest is not None  # just signed
    size = latest.checkpoint.size
    wanted: list[Tile] = []
    kept = 0
    for tile in tiles_for_size(size):
        if (out / tile.path()).is_file():
            kept += 1  # written whole by an earlier run: a tile's bytes never change
        else:
            wanted.append(tile)
    for first in range(0, len(wanted), TILES_PER_TRANSACTION):
        chunk = wanted[first : first + TILES_PER_TRANSACTION]
        async with read_transaction(ledger.engine) as conn:
            read = [(tile, await read_tile(conn, tile)) for tile in chunk]
        for tile, data in read:
            _replace(out / tile.path(), data)
    _replace(out / "checkpoint", latest.note.encode("utf-8"))
    return TilesWritten(size, len(wanted), kept)


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` whole or not at all: a reader sees the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    with part.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    part.replace(path)
