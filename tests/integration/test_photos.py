"""Photos a signed statement names: kept only without metadata, served as sent, on the page."""

from __future__ import annotations

import hashlib
import io

import httpx
import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, record, register, registration
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import photos

GPS_IFD = 0x8825
MAKE, MODEL = 0x010F, 0x0110


def jpeg(*, size: tuple[int, int] = (640, 480), with_gps: bool = False) -> bytes:
    """A photo as a phone takes it (with its GPS position and camera) or as the console
    prepares it (without)."""
    image = Image.new("RGB", size, (120, 160, 60))
    out = io.BytesIO()
    if with_gps:
        exif = Image.Exif()
        exif[MAKE], exif[MODEL] = "Acme", "Phone 7"
        exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 0.0)}
        image.save(out, "JPEG", quality=85, exif=exif)
    else:
        image.save(out, "JPEG", quality=85)
    return out.getvalue()


def png(*, text: bool = False, size: tuple[int, int] = (320, 200)) -> bytes:
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Author", "Nguyen Van A")  # Latin-1: a tEXt chunk
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


async def send(
    client: httpx.AsyncClient, member: object, data: bytes, media_type: str
) -> httpx.Response:
    headers = {**member.headers, "Content-Type": media_type, "Accept-Language": "en"}  # type: ignore[attr-defined]
    return await client.post("/api/v1/photos", content=data, headers=headers)


async def kept(ledger: Ledger) -> int:
    async with read_transaction(ledger.engine) as conn:
        return int((await conn.execute(select(func.count()).select_from(photos))).scalar_one())


async def test_a_photo_with_its_gps_position_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    sent = jpeg(with_gps=True)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the test's own premise
    refused = await send(client, cast.producer, sent, "image/jpeg")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "photo_refused" and problem["reason"] == "exif"
    assert "GPS" in problem["detail"] and "console" in problem["detail"]
    vietnamese = await client.post(
        "/api/v1/photos",
        content=sent,
        headers={**cast.producer.headers, "Content-Type": "image/jpeg", "Accept-Language": "vi"},
    )
    assert vietnamese.json()["lang"] == "vi" and "GPS" in vietnamese.json()["detail"]
    assert await kept(ledger) == 0


async def test_the_photo_without_metadata_is_kept_as_sent_and_named_by_its_sha256(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    sent = jpeg()
    name = hashlib.sha256(sent).hexdigest()
    answer = await send(client, cast.producer, sent, "image/jpeg")
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "sha256": name,
        "media_type": "image/jpeg",
        "width": 640,
        "height": 480,
        "url": f"/photos/{name}",
    }
    again = await send(client, cast.producer, sent, "image/jpeg")
    assert again.status_code == 201 and again.json() == answer.json()
    assert await kept(ledger) == 1

    served = await client.get(f"/photos/{name}")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == name
    assert served.content == sent
    read = Image.open(io.BytesIO(served.content))
    read.load()
    assert not read.getexif()
    assert not {"exif", "xmp", "comment", "photoshop"} & set(read.info)
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["etag"] == f'"{name}"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in served.headers
    unchanged = await client.get(f"/photos/{name}", headers={"If-None-Match": f'"{name}"'})
    assert unchanged.status_code == 304 and not unchanged.content


async def test_smaller_copies_for_phones_are_served_in_avif_and_webp(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    sent = png(size=(1000, 750))
    name = hashlib.sha256(sent).hexdigest()
    assert (await send(client, cast.producer, sent, "image/png")).status_code == 201
    for fmt, media_type in (("avif", "image/avif"), ("webp", "image/webp")):
        served = await client.get(f"/photos/{name}/480.{fmt}")
        assert served.status_code == 200, served.text
        assert served.headers["content-type"] == media_type
        assert served.headers["link"] == f'</photos/{name}>; rel="original"'
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        copy = Image.open(io.BytesIO(served.content))
        assert copy.format == fmt.upper() and copy.size == (480, 360)
        assert copy.convert("RGB").getpixel((240, 180)) == pytest.approx((10, 20, 30), abs=4)
        again = await client.get(
            f"/photos/{name}/480.{fmt}", headers={"If-None-Match": served.headers["etag"]}
        )
        assert again.status_code == 304
    # No copy as wide as the photo or wider (the photo is that), none of a width not offered,
    # none of a photo the service does not hold.
    assert (await client.get(f"/photos/{name}/960.webp")).status_code == 200
    assert (await client.get(f"/photos/{name}/1280.webp")).status_code in (400, 404)
    assert (await client.get(f"/photos/{name}/500.webp")).status_code == 400
    assert (await client.get(f"/photos/{name}/480.gif")).status_code == 400
    assert (await client.get(f"/photos/{'0' * 64}/480.webp")).status_code == 404


async def test_an_unknown_photo_is_a_404_problem(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/photos/{'0' * 64}")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "not_found"
    assert (await client.get("/photos/not-a-hash")).status_code == 400


async def test_a_png_with_a_text_chunk_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    refused = await send(client, cast.producer, png(text=True), "image/png")
    assert refused.status_code == 422, refused.text
    assert refused.json()["reason"] == "text" and "tEXt" in refused.json()["detail"]
    assert await kept(ledger) == 0
    plain = await send(client, cast.producer, png(), "image/png")
    assert plain.status_code == 201, plain.text


async def test_a_photo_larger_than_1280_pixels_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    refused = await send(client, cast.producer, jpeg(size=(1281, 720)), "image/jpeg")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["reason"] == "too_large" and problem["limit"] == 1280
    assert (problem["width"], problem["height"]) == (1281, 720)
    assert (
        await send(client, cast.producer, jpeg(size=(720, 1280)), "image/jpeg")
    ).status_code == 201


async def test_a_photo_sent_as_another_type_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    not_an_image_type = await send(client, cast.producer, jpeg(), "application/octet-stream")
    assert not_an_image_type.status_code == 415, not_an_image_type.text
    assert "image/jpeg" in not_an_image_type.json()["detail"]
    mislabelled = await send(client, cast.producer, jpeg(), "image/png")
    assert mislabelled.status_code == 422, mislabelled.text
    assert mislabelled.json()["reason"] == "wrong_format"
    assert await kept(ledger) == 0


async def test_a_photo_needs_a_token_that_may_record(client: httpx.AsyncClient, cast: Cast) -> None:
    anonymous = await client.post(
        "/api/v1/photos", content=jpeg(), headers={"Content-Type": "image/jpeg"}
    )
    assert anonymous.status_code == 401


async def test_a_photo_over_two_megabytes_is_refused_with_its_limit(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    too_large = await send(
        client, cast.producer, b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), "image/jpeg"
    )
    assert too_large.status_code == 413
    assert too_large.json()["limit"] == 2 * 1024 * 1024


async def test_the_registered_photo_is_on_the_public_page_and_a_field_photo_on_its_entry(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    product = (await send(client, cast.producer, jpeg(size=(800, 600)), "image/jpeg")).json()
    field = (await send(client, cast.producer, png(size=(300, 400)), "image/png")).json()
    batch = (await register(client, cast.producer, photo=product["sha256"]))["batch"]
    await record(
        client,
        cast.producer,
        batch["id"],
        "harvested",
        {"quantity": kg("12"), "photo": field["sha256"]},
    )
    page = await client.get(f"/b/{batch['code']}")
    assert page.status_code == 200
    html = page.text
    assert (
        f'<img class="photo lead" id="product-photo" src="/photos/{product["sha256"]}" '
        'width="800" height="600" alt="Bưởi Diễn" fetchpriority="high">'
    ) in html  # the first screen's largest element: not lazy
    assert f'src="/photos/{field["sha256"]}" width="300" height="400"' in html
    assert "img-src 'self'" in page.headers["content-security-policy"]
    records = (await client.get(f"/api/v1/batches/{batch['id']}/records")).json()["records"]
    assert [r["kind"] for r in records] == ["registered", "harvested"]
    shown = await client.get(f"/b/{batch['code']}?format=json")
    bodies = [event["body"] for event in shown.json()["events"]]
    assert bodies[0]["photo"] == product["sha256"] and bodies[1]["photo"] == field["sha256"]


async def test_an_event_naming_a_photo_the_service_does_not_hold_is_refused(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    unknown = hashlib.sha256(b"never sent").hexdigest()
    refused = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(photo=unknown)},
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "invalid_body"
    assert problem["errors"] == [
        {
            "field": "body.photo",
            "detail": f"Photo: the service has no photo {unknown}. Send the photo first "
            "(POST /api/v1/photos), then the event.",
        }
    ]
    batch = (await register(client, cast.producer, lot="BD-2"))["batch"]
    planted = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={
            "kind": "planted",
            "occurred_at": WHEN,
            "body": {"crop": "Bưởi", "area": "A1", "photo": unknown},
        },
        headers={**cast.producer.headers, "Accept-Language": "vi"},
    )
    assert planted.status_code == 422, planted.text
    assert planted.json()["errors"][0]["field"] == "body.photo"
    malformed = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(lot="BD-3", photo="ABC")},
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert malformed.status_code == 422
    assert "SHA-256" in malformed.json()["errors"][0]["detail"]
