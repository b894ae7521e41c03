"""The log served as C2SP tlog-tiles, on both databases: what each tile holds, how long it may
be cached, and what a path that names no tile gets."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, registration
from trace.domain.checkpoint import parse_checkpoint_text
from trace.domain.merkle import hash_children, hash_leaf, root_from_leaves
from trace.domain.note import parse_note
from trace.domain.tiles import (
    TILE_WIDTH,
    Tile,
    decode_entry_bundle,
    split_hash_tile,
    tiles_for_size,
)
from trace.store.agencies import Actor
from trace.store.append import append_unsigned, new_batch_id
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import records
from trace.store.tile_files import TilesWritten, write_tile_folder

ORIGIN = "trace.example.vn/log"
# Two full tiles of leaves and a partial third; a partial tile of level 1 above them.
SIZE = 2 * TILE_WIDTH + 8
ROUND = 128


async def grow_to(ledger: Ledger, cast: Cast, size: int) -> None:
    """Add batches of harvests until the log holds ``size`` records, ``ROUND`` appends at a time."""
    actor = Actor(
        cast.producer.id, cast.producer.actor.agency_kind, None, custodial_key=cast.producer.key_id
    )
    async with read_transaction(ledger.engine) as conn:
        have = len((await conn.execute(select(records.c.position))).all())
    batch = new_batch_id()
    await append_unsigned(
        ledger, actor, batch=batch, kind="registered", occurred_at=WHEN,
        body=registration(lot=f"L-{batch[:8]}"),
    )  # fmt: skip

    def harvest(n: int) -> Any:
        return append_unsigned(
            ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
            body={"quantity": kg(str(n + 1))},
        )  # fmt: skip

    wanted = size - have - 1
    for start in range(0, wanted, ROUND):
        await asyncio.gather(*(harvest(n) for n in range(start, min(start + ROUND, wanted))))


async def record_hashes(ledger: Ledger) -> list[bytes]:
    async with read_transaction(ledger.engine) as conn:
        found = await conn.execute(select(records.c.record_hash).order_by(records.c.position))
        return [bytes(h) for h in found.scalars()]


async def get_tile(client: httpx.AsyncClient, tile: Tile) -> httpx.Response:
    answer = await client.get(f"/{tile.path()}")
    assert answer.status_code == 200, f"{tile.path()}: {answer.text[:300]}"
    return answer


async def test_the_tiles_of_a_checkpoint_lead_to_its_root_and_full_ones_are_cached_for_good(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast
) -> None:
    await grow_to(ledger, cast, SIZE)
    await sign_checkpoint(ledger, ORIGIN)
    stored = await record_hashes(ledger)
    await the_tiles_hold_the_records_leaves_and_lead_to_the_root(client, stored)
    await full_tiles_are_immutable_and_partial_ones_short_lived(client)
    await partial_tiles_of_an_older_tree_start_the_newer_tiles(client)


async def the_tiles_hold_the_records_leaves_and_lead_to_the_root(
    client: httpx.AsyncClient, stored: list[bytes]
) -> None:
    answer = await client.get("/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text == (await client.get("/api/v1/log/checkpoint")).text
    checkpoint = parse_checkpoint_text(parse_note(answer.text).text)
    assert checkpoint.size == SIZE == len(stored)

    tiles = {t.path(): t for t in tiles_for_size(checkpoint.size)}
    assert list(tiles) == [
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/8",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/8",
    ]
    body = {path: (await get_tile(client, tile)).content for path, tile in tiles.items()}

    entries = [
        e for path in tiles if path.startswith("tile/entries/")
        for e in decode_entry_bundle(body[path])
    ]  # fmt: skip
    assert entries == stored  # an entry is the record's hash, in log order
    leaves = [h for path in ("tile/0/000", "tile/0/001", "tile/0/002.p/8")
              for h in split_hash_tile(body[path])]  # fmt: skip
    assert leaves == [hash_leaf(e) for e in entries]
    # Level 1 holds the roots of the full tiles below it.
    first, second = split_hash_tile(body["tile/1/000.p/2"])
    assert first == root_from_leaves(leaves[:TILE_WIDTH])
    assert second == root_from_leaves(leaves[TILE_WIDTH : 2 * TILE_WIDTH])
    # And the root is level 1's two hashes joined with the ragged edge of level 0.
    edge = root_from_leaves(leaves[2 * TILE_WIDTH :])
    assert hash_children(hash_children(first, second), edge) == checkpoint.root_hash


async def full_tiles_are_immutable_and_partial_ones_short_lived(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/tile/0/001", "/tile/entries/000"):
        full = await client.get(path)
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert full.headers["content-type"] == "application/octet-stream"
        assert "content-encoding" not in full.headers  # hashes do not compress
        again = await client.get(path, headers={"If-None-Match": full.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        head = await client.head(path)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == full.headers["etag"]
        assert head.headers["content-length"] == full.headers["content-length"]
    for path in ("/tile/0/002.p/8", "/tile/1/000.p/2", "/checkpoint"):
        short = await client.get(path)
        assert short.status_code == 200
        assert "immutable" not in short.headers["cache-control"]
        assert short.headers["cache-control"].startswith("public, max-age=")
        assert int(short.headers["cache-control"].rsplit("=", 1)[1]) <= 60


async def partial_tiles_of_an_older_tree_start_the_newer_tiles(client: httpx.AsyncClient) -> None:
    """A client holding an older checkpoint asks for narrower tiles than the log has now."""
    for level in (0, None):
        full = (await get_tile(client, Tile(level, 1))).content
        for width in (1, 17, 255):
            narrow = (await get_tile(client, Tile(level, 1, width))).content
            assert full.startswith(narrow)
            count = len(
                split_hash_tile(narrow) if level == 0 else decode_entry_bundle(narrow)
            )  # fmt: skip
            assert count == width


async def test_a_tile_served_again_is_the_same_bytes_and_the_log_growing_changes_none(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast
) -> None:
    await grow_to(ledger, cast, TILE_WIDTH + 8)
    before = {p: (await client.get(p)).content for p in ("/tile/0/000", "/tile/entries/000")}
    assert all(before.values())
    partial = (await client.get("/tile/0/001.p/8")).content
    assert (await client.get("/tile/0/001")).status_code == 404
    await grow_to(ledger, cast, 2 * TILE_WIDTH + 1)
    for path, content in before.items():
        assert (await client.get(path)).content == content
    # The partial tile has become full; its first eight hashes are what they were.
    second = await client.get("/tile/0/001")
    assert second.status_code == 200
    assert second.headers["cache-control"].endswith("immutable")
    assert second.content.startswith(partial)
    assert split_hash_tile(second.content) == [
        hash_leaf(h) for h in (await record_hashes(ledger))[TILE_WIDTH : 2 * TILE_WIDTH]
    ]


NO_TILE = [
    ("/tile/0/000", "not_found"),  # a full tile needs 256 leaves
    ("/tile/0/000.p/21", "not_found"),  # the log holds 20
    ("/tile/1/000.p/1", "not_found"),
    ("/tile/entries/001.p/1", "not_found"),
    ("/tile/0/0", "tile_path"),
    ("/tile/0/x000/000", "tile_path"),
    ("/tile/0/000.p/256", "tile_path"),
    ("/tile/eight/000", "tile_path"),
    ("/tile/8/data/000", "tile_path"),
    ("/tile/0/000.p/20/", "tile_path"),  # one address a tile: no trailing slash
    ("/tile/0/000.p/%320", "tile_path"),  # nor a digit percent-encoded
]


async def test_a_path_that_names_no_tile_of_the_log_is_a_404_problem_naming_it(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast
) -> None:
    await grow_to(ledger, cast, 20)
    assert (await client.get("/tile/0/000.p/20")).status_code == 200
    for path, code in NO_TILE:
        answer = await client.get(path, headers={"Accept-Language": "vi"})
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "immutable" not in answer.headers.get("cache-control", "")
        problem: dict[str, Any] = answer.json()
        assert problem["code"] == code, path
        assert path.lstrip("/") in problem["detail"]  # the words name the path as sent


async def test_an_empty_log_has_a_checkpoint_of_size_zero_and_no_tile(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/checkpoint")
    assert answer.status_code == 200
    assert parse_checkpoint_text(parse_note(answer.text).text).size == 0
    assert (await client.get("/tile/0/000.p/1")).status_code == 404
    assert (await client.get("/tile/entries/000.p/1")).status_code == 404


async def test_the_tile_folder_holds_what_the_service_serves_and_a_new_run_adds_only_the_new(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    folder = tmp_path / "published"
    await grow_to(ledger, cast, TILE_WIDTH + 8)
    assert await write_tile_folder(ledger, folder, ORIGIN) == TilesWritten(TILE_WIDTH + 8, 5, 0)
    await folder_is_what_the_service_serves(client, folder)
    first = written_at(folder)
    assert await write_tile_folder(ledger, folder, ORIGIN) == TilesWritten(TILE_WIDTH + 8, 0, 5)

    await grow_to(ledger, cast, 2 * TILE_WIDTH + 1)
    # tile/0/000 and tile/entries/000 are there; the other five are new.
    done = await write_tile_folder(ledger, folder, ORIGIN)
    assert done == TilesWritten(2 * TILE_WIDTH + 1, 5, 2)
    await folder_is_what_the_service_serves(client, folder)
    second = written_at(folder)
    for name, when in first.items():
        if name != "checkpoint":
            assert second[name] == when, f"{name} was written again"
    assert "tile/0/001.p/8" in second  # kept, for clients of the older checkpoint
    assert not [name for name in second if name.rsplit("/", 1)[-1].startswith(".")]


def written_at(folder: Path) -> dict[str, int]:
    """Each file of the folder, by its path inside it, and when it was last written."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


async def folder_is_what_the_service_serves(client: httpx.AsyncClient, folder: Path) -> None:
    files = written_at(folder)
    assert "checkpoint" in files
    for name in files:
        answer = await client.get(f"/{name}")
        assert answer.status_code == 200, name
        assert answer.content == (folder / name).read_bytes(), name
