"""`/checkpoint` and `/tile/…`: the log as C2SP tlog-tiles, for mirrors, witnesses and CDNs.

The service's root is the log's prefix: ``/checkpoint`` is the newest signed checkpoint (as
``/api/v1/log/checkpoint``), ``/tile/<L>/<N>[.p/<W>]`` the hash tiles and
``/tile/entries/<N>[.p/<W>]`` the entry bundles (trace/domain/tiles.py says what each holds).
A full tile never changes, so it is cached for a year as immutable (RFC 8246), by browsers,
CDNs and proxies alike, and served from memory after its first read (trace/store/tiles.py);
a partial tile, which a wider one follows as the log grows, and the checkpoint are kept a
short while only. A plain file server can publish the same files: ``python -m trace tiles``
writes them (trace/cli/tiles.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, route
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from litestar.types import ControllerRouterHandler

from trace.api.auth import LedgerDep
from trace.api.head import GET_AND_HEAD
from trace.api.pages import OWN_COMPRESSION
from trace.api.problems import ANY, problem_answers
from trace.domain.tiles import Tile, parse_tile_path
from trace.store.checkpoints import latest_checkpoint, sign_checkpoint
from trace.store.tiles import TileBytes, tile_bytes

FULL_TILE_CACHE = "public, max-age=31536000, immutable"
# A partial tile's bytes never change either, but the log may stop serving it once the full
# tile is in (tlog-tiles allows it): a cache asks again soon.
PARTIAL_TILE_CACHE = "public, max-age=60"
# About the time the service takes to sign a checkpoint of new records (TRACE_CHECKPOINT_SECONDS).
CHECKPOINT_CACHE = "public, max-age=2"
OCTETS = "application/octet-stream"

TileIndex = Annotated[
    str,
    Parameter(
        description=(
            "The tile's index N in groups of three digits, each but the last starting with "
            "`x` (`000`, `x001/234`), then `.p/<W>` for a partial tile of W (1 to 255) "
            "hashes or entries."
        ),
    ),
]
TileLevel = Annotated[
    str,
    Parameter(
        description="The tile's level, 0 (leaf hashes) to 7, in decimal without leading zeroes."
    ),
]

_TILE_ANSWERS = {
    200: ResponseSpec(bytes, media_type=OCTETS, description="The tile's bytes."),
    304: ResponseSpec(None, description="Not modified."),
    **problem_answers(*ANY, 404),
}


def _tile_path(request: Request[Any, Any, Any]) -> str:
    """The path as sent, from ``tile/`` on, not decoded: a tile has one address, so a trailing
    slash or a percent-encoded digit, which routing would smooth away, names no tile."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(request.scope["path"])
    path = path.split("?", 1)[0]
    return path[path.find("/tile/") + 1 :]


async def _send_tile(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[bytes]:
    tile: Tile = parse_tile_path(_tile_path(request))
    found: TileBytes = await tile_bytes(ledger.engine, ledger.full_tiles, tile)
    headers = {
        "ETag": found.etag,
        "Cache-Control": FULL_TILE_CACHE if tile.is_full else PARTIAL_TILE_CACHE,
        "X-Content-Type-Options": "nosniff",
    }
    if found.etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(found.data, media_type=OCTETS, headers=headers)


@route(
    "/tile/{level:str}/{index:path}",
    http_method=GET_AND_HEAD,
    tags=["log"],
    opt={OWN_COMPRESSION: True},
    responses=_TILE_ANSWERS,
)
async def hash_tile(
    request: Request[Any, Any, Any], ledger: LedgerDep, level: TileLevel, index: TileIndex
) -> Response[bytes]:
    """Read a tile of the log's Merkle tree hashes (C2SP tlog-tiles).

    Public. The hashes of 256 consecutive nodes at height 8 × level, 32 bytes each (level 0:
    the RFC 6962 leaf hashes), or the first W of them at the tree's right edge. A full tile
    never changes and is cached for a year; a partial one for a minute. 404 until every leaf
    a tile covers is in the log.
    """
    return await _send_tile(request, ledger)


@route(
    "/tile/entries/{index:path}",
    http_method=GET_AND_HEAD,
    tags=["log"],
    opt={OWN_COMPRESSION: True},
    responses=_TILE_ANSWERS,
)
async def entry_bundle(
    request: Request[Any, Any, Any], ledger: LedgerDep, index: TileIndex
) -> Response[bytes]:
    """Read a bundle of the log's entries (C2SP tlog-tiles).

    Public. 256 entries (W at the right edge), each a big-endian 16-bit length then the
    entry: the 32-byte record hash whose RFC 6962 leaf hash is the tree's leaf. The records
    behind the hashes: `GET /api/v1/log/records`. Cached like the hash tiles.
    """
    return await _send_tile(request, ledger)


@route(
    "/checkpoint",
    http_method=GET_AND_HEAD,
    tags=["log"],
    media_type="text/plain",
    responses=problem_answers(*ANY, 409),
)
async def checkpoint(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[str]:
    """Read the log's newest signed checkpoint, where tlog-tiles clients look for it.

    Public. The same C2SP signed note as `GET /api/v1/log/checkpoint`: origin, tree size,
    root hash, the log's signature and the witnesses' cosignatures. Cached for two seconds.
    """
    origin = str(request.app.state.settings.log_origin)
    latest = await latest_checkpoint(ledger) or await sign_checkpoint(ledger, origin)
    return Response(
        latest.note,
        media_type="text/plain",
        headers={"Cache-Control": CHECKPOINT_CACHE, "X-Content-Type-Options": "nosniff"},
    )


ROUTES: list[ControllerRouterHandler] = [checkpoint, hash_tile, entry_bundle]
