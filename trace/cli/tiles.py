"""`tiles`: write the log's tiles to a folder that any static file server can publish."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trace.cli.admin import with_ledger
from trace.config import load_settings
from trace.store.tile_files import write_tile_folder
from trace.translation import say


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser(
        "tiles",
        help="ghi nhật ký thành các ô tĩnh / write the log as static tiles (C2SP tlog-tiles)",
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="thư mục để công bố / the folder to publish (made if missing; run again to update)",
    )
    p.set_defaults(run=run_tiles)


def run_tiles(args: argparse.Namespace) -> int:
    """Write the tiles of the newest checkpoint and say how many were new."""
    origin = load_settings().log_origin
    done = with_ledger(lambda ledger: write_tile_folder(ledger, args.out, origin))
    for lang in ("vi", "en"):
        print(
            say(
                "Wrote the log's checkpoint of {size} records and {written} tiles to {path} "
                "({kept} were there already). Publish the folder as it is: "
                "checkpoint and tile/ at the log's address.",
                lang,
                size=done.size,
                written=done.written,
                kept=done.kept,
                path=args.out,
            )
        )
    return 0
