"""Photos a signed statement names by their SHA-256: sent by the console, served to the page."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post, route
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from litestar.types import ControllerRouterHandler

from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.edge import photo_media_type
from trace.api.head import GET_AND_HEAD
from trace.api.pages import OWN_COMPRESSION
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.domain.photo_sizes import FORMATS as COPY_FORMATS
from trace.domain.photo_sizes import WIDTHS, make_copy
from trace.domain.photos import FORMATS, MAX_BYTES, Photo
from trace.domain.scopes import Scope
from trace.store.agencies import require_scope
from trace.store.database import read_transaction
from trace.store.errors import NotFound
from trace.store.photos import keep_photo, load_photo

# A photo's name is its content: it never changes, so it is cached for a year (RFC 8246).
_CACHED = "public, max-age=31536000, immutable"

CopyName = Annotated[
    str,
    Parameter(
        pattern=rf"^({'|'.join(map(str, WIDTHS))})\.({'|'.join(COPY_FORMATS)})$",
        description="The copy: its width in pixels and its format, e.g. `480.webp`.",
    ),
]
PhotoSha256 = Annotated[
    str,
    Parameter(
        pattern=r"^[0-9a-f]{64}$",
        description="The photo's name: the SHA-256 of its bytes, 64 lower-case hex digits.",
    ),
]


def photo_path(sha256: str) -> str:
    """Where the photo named ``sha256`` is served."""
    return f"/photos/{sha256}"


class _Copies:
    """Copies made in this worker, newest last, up to :data:`_COPIES_BYTES` in all.

    Making one takes tens to hundreds of milliseconds of CPU; a page's visitors ask for the
    same few, so each is made once per worker.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
        self.size = 0

    def get(self, key: tuple[str, int, str]) -> bytes | None:
        data = self.held.get(key)
        if data is not None:
            self.held.move_to_end(key)
        return data

    def put(self, key: tuple[str, int, str], data: bytes) -> None:
        if key in self.held:
            return
        self.held[key] = data
        self.size += len(data)
        while self.size > self.budget and self.held:
            _, dropped = self.held.popitem(last=False)
            self.size -= len(dropped)


_COPIES_BYTES = 32 * 1024 * 1024
_copies = _Copies(_COPIES_BYTES)


class PhotoOut(msgspec.Struct):
    """A photo the service holds: its name, media type, size in pixels, and its address."""

    sha256: str
    media_type: str
    width: int
    height: int
    url: str

    @classmethod
    def of(cls, photo: Photo) -> PhotoOut:
        """The API view of a photo."""
        return cls(
            photo.sha256, photo.media_type, photo.width, photo.height, photo_path(photo.sha256)
        )


class PhotoController(Controller):
    """`/api/v1/photos`: photos sent before the statements that name them."""

    path = "/api/v1/photos"
    tags = ["photos"]

    @post(
        "/",
        dependencies={"actor": Provide(provide_actor)},
        request_max_body_size=MAX_BYTES,
        status_code=201,
        responses=problem_answers(*ANY, *TOKEN, 413, 415, 422),
    )
    async def send_photo(
        self, request: Request[Any, Any, Any], ledger: LedgerDep, actor: ActorDep
    ) -> PhotoOut:
        """Send a product or field photo, before the event that names it.

        A token with the `record` scope. The body is the photo's bytes as the console
        prepares them (`image/jpeg`, `image/png` or `image/webp`, at most 2 MB): the long
        side at most 1,280 pixels and no metadata (no EXIF, XMP, IPTC, comments or text
        chunks), checked without re-encoding, so that its SHA-256 stays the one the phone
        signs. The answer names it by that SHA-256; an event names it in `body.photo`. The
        same bytes sent again are kept once and answered the same.
        """
        require_scope(actor, Scope.RECORD)
        media_type = photo_media_type(request.content_type, list(FORMATS))
        photo = await keep_photo(ledger, actor, await request.body(), media_type)
        return PhotoOut.of(photo)


@route(
    "/photos/{sha256:str}",
    http_method=GET_AND_HEAD,
    tags=["photos"],
    opt={OWN_COMPRESSION: True},
    responses={
        304: ResponseSpec(None, description="Not modified."),
        **problem_answers(*ANY, 404),
    },
)
async def photo(
    request: Request[Any, Any, Any], ledger: LedgerDep, sha256: PhotoSha256
) -> Response[Any]:
    """Read a photo named in a signed statement.

    Public. The bytes as they were sent, with their media type: their SHA-256 is the name,
    so anyone can check the photo is the one the statement signs. Cached for a year; the
    ETag is the name.
    """
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": _CACHED,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    async with read_transaction(ledger.engine) as conn:
        stored = await load_photo(conn, sha256)
    return Response(stored.data, media_type=stored.media_type, headers=headers)


@route(
    "/photos/{sha256:str}/{name:str}",
    http_method=GET_AND_HEAD,
    tags=["photos"],
    opt={OWN_COMPRESSION: True},
    responses={
        304: ResponseSpec(None, description="Not modified."),
        **problem_answers(*ANY, 404),
    },
)
async def photo_copy(
    request: Request[Any, Any, Any], ledger: LedgerDep, sha256: PhotoSha256, name: CopyName
) -> Response[Any]:
    """Read a smaller copy of a photo, for a phone's screen.

    Public. `{width}.{format}`: a width of 240, 480, 720 or 960 pixels (smaller than the
    photo) and `avif` or `webp`, as the page offers them in `srcset`. A copy is made from
    the photo named `sha256` and is not what was signed: check the hash on the photo itself.
    Cached for a year.
    """
    width_text, fmt = name.split(".")
    width = int(width_text)
    etag = f'"{sha256}-{width}-{fmt}"'
    headers = {
        "ETag": etag,
        "Cache-Control": _CACHED,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
        "Link": f'<{photo_path(sha256)}>; rel="original"',
    }
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    key = (sha256, width, fmt)
    data = _copies.get(key)
    if data is None:
        async with read_transaction(ledger.engine) as conn:
            stored = await load_photo(conn, sha256)
        try:
            data = await asyncio.to_thread(make_copy, stored.data, width, fmt)
        except ValueError:
            # A copy as wide as the photo or wider is not made: the photo itself is that.
            raise NotFound(f"no copy {name}", what="photo", id=f"{sha256}/{name}") from None
        _copies.put(key, data)
    return Response(data, media_type=COPY_FORMATS[fmt][0], headers=headers)


ROUTES: list[ControllerRouterHandler] = [PhotoController, photo, photo_copy]
