"""Tile paths and entry bundles as C2SP tlog-tiles writes them."""

from __future__ import annotations

import pytest

from trace.domain.tiles import (
    TILE_WIDTH,
    Tile,
    TilePathError,
    decode_entry_bundle,
    encode_entry_bundle,
    encode_index,
    parse_tile_path,
    split_hash_tile,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("index", "written"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234, "x001/234"),
        # The specification's own example.
        (1234067, "x001/x234/067"),
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_an_index_is_written_in_three_digit_groups_all_but_the_last_after_an_x(
    index: int, written: str
) -> None:
    assert encode_index(index) == written


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("tile/0/000", Tile(0, 0)),
        ("tile/0/x001/234", Tile(0, 1234)),
        ("tile/1/000.p/2", Tile(1, 0, 2)),
        ("tile/0/x001/x234/067.p/255", Tile(0, 1234067, 255)),
        ("tile/entries/000.p/30", Tile(None, 0, 30)),
        ("tile/entries/x002/001", Tile(None, 2001)),
    ],
)
def test_a_path_names_its_tile_and_the_tile_writes_the_same_path(path: str, tile: Tile) -> None:
    assert parse_tile_path(path) == tile
    assert tile.path() == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/0",  # not three digits
        "tile/0/0000",
        "tile/0/x000/123",  # a zero group in front: 123 has one way of being written
        "tile/0/001/234",  # the group before the last lacks its x
        "tile/0/x234",  # the last has one
        "tile/0/000.p/0",  # widths are 1 to 255
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/0/000.p/",
        "tile/00/000",  # levels have no leading zero
        "tile/8/000",  # beyond the tree's highest level
        "tile/data/000",  # Go's sumdb name, not tlog-tiles'
        "tile/8/0/000",  # Go's sumdb path, with the height in it
        "tile/entries",
        "tiles/0/000",
        "tile/0/-01",
        "tile/0/٠٠٠",  # Arabic-Indic digits are digits to Python, not to the specification
    ],
)
def test_a_path_written_any_other_way_names_no_tile(path: str) -> None:
    with pytest.raises(TilePathError) as refused:
        parse_tile_path(path)
    assert refused.value.code == "tile_path"


def test_a_tile_exists_once_every_leaf_under_its_last_node_is_in() -> None:
    assert Tile(0, 0).leaves_needed() == 256
    assert Tile(0, 1, 3).leaves_needed() == 259
    assert Tile(1, 0, 2).leaves_needed() == 512
    assert Tile(None, 0, 30).leaves_needed() == 30


def test_a_tree_has_full_tiles_and_one_partial_tile_a_level_at_its_right_edge() -> None:
    assert list(tiles_for_size(0)) == []
    assert [t.path() for t in tiles_for_size(30)] == ["tile/0/000.p/30", "tile/entries/000.p/30"]
    assert [t.path() for t in tiles_for_size(256 * 256 + 513)] == [
        *(Tile(0, n).path() for n in range(258)),
        "tile/0/258.p/1",
        "tile/1/000",
        "tile/1/001.p/2",
        "tile/2/000.p/1",
        *(Tile(None, n).path() for n in range(258)),
        "tile/entries/258.p/1",
    ]


def test_an_entry_bundle_is_each_entry_after_its_big_endian_16_bit_length() -> None:
    entries = [b"\x01" * 32, b"", b"ab" * 300]
    bundle = encode_entry_bundle(entries)
    assert bundle[:2] == b"\x00\x20"
    assert bundle[34:36] == b"\x00\x00"
    assert bundle[36:38] == (600).to_bytes(2, "big")
    assert len(bundle) == 3 * 2 + 32 + 600
    assert decode_entry_bundle(bundle) == entries


def test_an_entry_bundle_cut_short_is_refused() -> None:
    bundle = encode_entry_bundle([b"\x07" * 32, b"\x08" * 32])
    with pytest.raises(ValueError, match="runs past"):
        decode_entry_bundle(bundle[:-1])
    with pytest.raises(ValueError, match="cut off"):
        decode_entry_bundle(bundle[:35])


def test_an_entry_longer_than_a_16_bit_length_says_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 65535"):
        encode_entry_bundle([b"\x00" * 65536])


def test_a_hash_tile_is_whole_hashes_one_to_256() -> None:
    assert split_hash_tile(b"\x01" * 64) == [b"\x01" * 32, b"\x01" * 32]
    for size in (0, 31, 33, 32 * (TILE_WIDTH + 1)):
        with pytest.raises(ValueError):
            split_hash_tile(b"\x00" * size)
