"""Photos a signed statement names by their SHA-256: sent by the console, served to the page."""

from __future__ import annotations

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
from trace.domain.photos import FORMATS, MAX_BYTES, Photo
from trace.domain.scopes import Scope
from trace.store.agencies import require_scope
from trace.store.database import read_transaction
from trace.store.photos import keep_photo, load_photo

# A photo's name is its content: it never changes, so it is cached for a year (RFC 8246).
_CACHED = "public, max-age=31536000, immutable"

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


ROUTES: list[ControllerRouterHandler] = [PhotoController, photo]
