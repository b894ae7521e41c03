"""Photos named in signed statements, kept by their SHA-256 (trace/domain/photos.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.photos import Photo, check_photo
from trace.domain.record import now_us
from trace.store.agencies import Actor
from trace.store.database import Reads, read_transaction, write_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.tables import photos


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A photo's bytes as they were sent, with its name and media type."""

    sha256: str
    media_type: str
    data: bytes


async def keep_photo(ledger: Ledger, actor: Actor, data: bytes, media_type: str) -> Photo:
    """Check ``data`` (:func:`~trace.domain.photos.check_photo`) and keep it by its SHA-256.

    The same bytes sent again are kept once and answered the same.
    """
    # Decoding takes milliseconds of CPU: off the event loop, which serves the pages.
    photo = await asyncio.to_thread(check_photo, data, media_type)
    known = await _described(ledger, photo.sha256)
    if known is not None:
        return known
    row = {
        "sha256": photo.sha256,
        "media_type": photo.media_type,
        "width": photo.width,
        "height": photo.height,
        "agency_id": actor.agency_id,
        "created_at_us": now_us(),
        "data": data,
    }
    try:
        async with write_transaction(ledger.engine) as conn:
            await conn.execute(insert(photos).values(row))
    except IntegrityError:
        # The same bytes, kept meanwhile by another request.
        known = await _described(ledger, photo.sha256)
        if known is None:
            raise
        return known
    return photo


_DESCRIBED = select(photos.c.sha256, photos.c.media_type, photos.c.width, photos.c.height)


async def _described(ledger: Ledger, sha256: str) -> Photo | None:
    async with read_transaction(ledger.engine) as conn:
        row = (await conn.execute(_DESCRIBED.where(photos.c.sha256 == sha256))).first()
    return None if row is None else Photo(row.sha256, row.media_type, row.width, row.height)


async def load_photo(conn: AsyncConnection, sha256: str) -> StoredPhoto:
    """The photo named ``sha256``; :class:`NotFound` if the service has none."""
    row = (
        await conn.execute(
            select(photos.c.sha256, photos.c.media_type, photos.c.data).where(
                photos.c.sha256 == sha256
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"no photo {sha256}", what="photo", id=sha256)
    return StoredPhoto(row.sha256, row.media_type, bytes(row.data))


_SIZES = _DESCRIBED.where(photos.c.sha256.in_(bindparam("names", expanding=True)))


async def photo_sizes(conn: Reads, names: Iterable[str]) -> dict[str, Photo]:
    """The photos among ``names`` that the service holds, without their bytes."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = await conn.execute(_SIZES, {"names": wanted})
    return {row.sha256: Photo(row.sha256, row.media_type, row.width, row.height) for row in rows}
