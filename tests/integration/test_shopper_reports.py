"""Shoppers' reports (issue 15): the form without JavaScript, the photo drawn again without
its GPS position, the per-client and per-batch limits, the readers (the authority of the
batch's province and the producer, nobody else), and done-point 3: the reporter's contact
and words appear on no page and in no export.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import Cast, Member, make_member
from tests.e2e.test_export_cli import trace
from tests.integration.helpers import register
from tests.integration.test_photos import GPS_IFD, jpeg
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.identifiers import DigitalLink
from trace.domain.scopes import Scope
from trace.opendata.manifest import MANIFEST, decode_manifest
from trace.store.agencies import create_token
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.reports import PER_BATCH_PER_DAY, PER_CLIENT_PER_HOUR
from trace.store.tables import inspector_audit, shopper_reports

GTIN = "8936047000128"
# What one shopper gave: it must reach the province's authority and the producer, and
# nobody else.
CONTACT = "shopper.7731@example.vn"
WORDS = "Tem ở chợ Hôm (quầy QX7731ZK) in mờ, nghi là tem giả"
HANOI, HUNG_YEN = "01", "33"
LINK = DigitalLink(GTIN, "BD-1").path()


async def authority(ledger: Ledger, name: str, province: str) -> Member:
    return await make_member(ledger, name, AgencyKind.AUTHORITY, province=province)


def fields(**overrides: str) -> dict[str, str]:
    """The form as a shopper fills it in."""
    return {"problem": "fake_label", "text": WORDS, "contact": CONTACT, **overrides}


async def send(
    client: httpx.AsyncClient,
    code: str,
    data: dict[str, str],
    *,
    photo: bytes | None = None,
    lang: str = "vi",
    agent: str = "Mozilla/5.0 (Linux; Android 14) Shopper",
    **headers: str,
) -> httpx.Response:
    """Post the form as a phone's browser does (multipart, from this site's own page)."""
    files = {"photo": ("IMG_0001.jpg", photo or b"", "image/jpeg")}
    return await client.post(
        f"/b/{code}/report" + ("" if lang == "vi" else f"?lang={lang}"),
        data=data,
        files=files,
        headers={"User-Agent": agent, "Sec-Fetch-Site": "same-origin", **headers},
    )


async def readable(client: httpx.AsyncClient, member: Member, **query: Any) -> Any:
    answer = await client.get("/api/v1/reports", params=query, headers=member.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


async def test_every_page_links_to_a_form_that_works_without_javascript(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await authority(ledger, "Chi cục Quản lý chất lượng Hà Nội", HANOI)
    batch = await register(client, cast.producer, gtin=GTIN)
    code = batch["batch"]["code"]
    for path in (f"/b/{code}", LINK):
        page = await client.get(path)
        assert f'href="/b/{code}/report"' in page.text and "Báo cáo vấn đề" in page.text
    english = await client.get(f"/b/{code}?lang=en")
    assert f'href="/b/{code}/report?lang=en"' in english.text
    form = await client.get(f"/b/{code}/report")
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert (
        "<script" not in form.text and "script-src" not in form.headers["content-security-policy"]
    )
    assert re.search(
        r'<form method="post" action="/b/\w+/report" enctype="multipart/form-data"', form.text
    )
    values = re.findall(r'type="radio" name="problem" value="(\w+)"', form.text)
    assert values == ["fake_label", "spoiled", "wrong_information", "other"]
    assert (
        'type="file" id="photo" name="photo" accept="image/jpeg,image/png,image/webp"' in form.text
    )
    # The shopper is told who will see their contact before they give it.
    assert "Chi cục Quản lý chất lượng Hà Nội" in form.text and "HTX Bưởi Diễn" in form.text
    assert "không bao giờ được công bố" in form.text
    in_english = await client.get(f"/b/{code}/report?lang=en")
    assert "What is wrong?" in in_english.text and "never published" in in_english.text
    assert (await client.get(f"/b/{code.lower()}/report")).status_code == 308
    unknown = await client.get("/b/AAAAAAAAAAAAAA/report")
    assert unknown.status_code == 404 and "<form" not in unknown.text
    assert "Không có lô hàng nào mang mã AAAAAAAAAAAAAA" in unknown.text


async def test_a_report_is_kept_with_its_photo_drawn_again_without_the_gps_position(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    hanoi = await authority(ledger, "Chi cục Quản lý chất lượng Hà Nội", HANOI)
    code = (await register(client, cast.producer))["batch"]["code"]
    taken = jpeg(size=(4000, 3000), with_gps=True)
    assert Image.open(io.BytesIO(taken)).getexif().get_ifd(GPS_IFD)  # the test's premise
    sent = await send(client, code, fields(), photo=taken, lang="en")
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/b/{code}/report/sent?lang=en"
    thanks = await client.get(sent.headers["location"])
    assert "Thank you" in thanks.text
    assert "Chi cục Quản lý chất lượng Hà Nội" in thanks.text and "HTX Bưởi Diễn" in thanks.text
    [report] = (await readable(client, hanoi))["reports"]
    assert report["batch_code"] == code and report["province"] == HANOI
    assert report["producer_id"] == cast.producer.id and report["problem"] == "fake_label"
    assert report["text"] == WORDS and report["contact"] == CONTACT
    assert report["photo"]["width"] == 1280 and report["photo"]["height"] == 960
    photo = await client.get(report["photo"]["url"], headers=hanoi.headers)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"] == "no-store"
    kept = Image.open(io.BytesIO(photo.content))
    assert kept.size == (1280, 960) and not kept.getexif()
    assert b"Exif" not in photo.content and b"Acme" not in photo.content
    # The photo is not in the public photo store, and its URL needs a token.
    assert (await client.get(report["photo"]["url"])).status_code == 401


async def test_a_form_with_mistakes_comes_back_filled_in_with_what_to_fix(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    code = (await register(client, cast.producer))["batch"]["code"]
    wrong = fields(problem="", text="  ", contact="gọi tôi nhé")
    again = await send(client, code, wrong, photo=b"not a photo at all", lang="en")
    assert again.status_code == 422
    summary = again.text.split('id="errors"')[1].split("</div>")[0]
    assert re.findall(r'href="#(\w+)"', summary) == ["problem", "text", "photo", "contact"]
    assert "Choose what is wrong with the product." in summary
    assert "Choose a JPEG, PNG or WebP photo" in summary
    assert "like 0912 345 678" in summary
    assert 'value="gọi tôi nhé"' in again.text  # what they typed is kept
    vietnamese = await send(client, code, fields(text="x" * 2001))
    assert vietnamese.status_code == 422 and "tối đa 2000 ký tự" in vietnamese.text
    assert 'value="fake_label" checked' in vietnamese.text
    # A photo larger than the form takes is not read at all; the form says what to do.
    too_large = await send(client, code, fields(), photo=b"\xff\xd8\xff" + bytes(9 * 2**20))
    assert too_large.status_code == 422 and "tối đa 8 MB" in too_large.text
    async with read_transaction(ledger.engine) as conn:
        assert (await conn.execute(select(shopper_reports.c.id))).all() == []


async def test_a_report_posted_from_another_site_is_refused_with_the_way_to_send_it(
    client: httpx.AsyncClient, cast: Cast, settings: Settings
) -> None:
    code = (await register(client, cast.producer))["batch"]["code"]
    forged = await send(client, code, fields(), **{"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403 and "Báo cáo vấn đề" in forged.text
    # A browser without Fetch Metadata still sends Origin with a post.
    no_fetch_metadata = await client.post(
        f"/b/{code}/report", data=fields(), headers={"Origin": "https://evil.example"}
    )
    assert no_fetch_metadata.status_code == 403
    own = await client.post(
        f"/b/{code}/report", data=fields(), headers={"Origin": settings.public_url}
    )
    assert own.status_code == 303


async def test_a_client_sends_a_few_reports_an_hour_and_a_batch_takes_a_few_a_day(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    code = (await register(client, cast.producer))["batch"]["code"]
    for _ in range(PER_CLIENT_PER_HOUR):
        assert (await send(client, code, fields())).status_code == 303
    refused = await send(client, code, fields(), lang="en")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 3000
    assert f"You have sent {PER_CLIENT_PER_HOUR} reports in the last hour" in refused.text
    assert "fake" not in refused.text
    # Another phone is another client; the batch takes its share from everyone.
    for n in range(PER_BATCH_PER_DAY - PER_CLIENT_PER_HOUR):
        assert (await send(client, code, fields(), agent=f"phone {n}")).status_code == 303
    full = await send(client, code, fields(), agent="yet another phone")
    assert full.status_code == 429 and "hôm nay" in full.text
    # No address or browser is kept: only the day's keyed hash of them.
    async with read_transaction(ledger.engine) as conn:
        rows = (await conn.execute(select(shopper_reports))).all()
    assert len(rows) == PER_BATCH_PER_DAY
    stored = repr([tuple(row) for row in rows])
    assert "127.0.0.1" not in stored and "phone" not in stored and "Android" not in stored
    assert {len(row.client) for row in rows} == {16}


async def test_the_province_authority_and_the_producer_read_reports_and_nobody_else(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    hanoi = await authority(ledger, "Chi cục QLCL Hà Nội", HANOI)
    hung_yen = await authority(ledger, "Chi cục QLCL Hưng Yên", HUNG_YEN)
    code = (await register(client, cast.producer))["batch"]["code"]
    for n in range(3):
        sent = await send(
            client, code, fields(text=f"{WORDS} ({n})"), agent=f"phone {n}", photo=jpeg()
        )
        assert sent.status_code == 303
    first = await readable(client, hanoi, limit=2)
    assert [r["text"][-3:] for r in first["reports"]] == ["(0)", "(1)"]
    rest = await readable(client, hanoi, after=first["next_after"], limit=2)
    assert [r["text"][-3:] for r in rest["reports"]] == ["(2)"] and rest["next_after"] is None
    assert len((await readable(client, cast.producer))["reports"]) == 3
    photo = first["reports"][0]["photo"]["url"]
    assert (await client.get(photo, headers=cast.producer.headers)).status_code == 200
    recall_only = await create_token(ledger, hanoi.id, "Thanh tra", scopes=[Scope.RECALL])
    strangers = {
        "another province's authority": hung_yen.headers,
        "another producer": cast.other_producer.headers,
        "the operator": cast.operator.headers,
        "the certifier": cast.certifier.headers,
        "an authority's token without inspect": {"Authorization": f"Bearer {recall_only}"},
    }
    for who, headers in strangers.items():
        answer = await client.get("/api/v1/reports", headers=headers)
        assert answer.status_code == 200 and answer.json()["reports"] == [], who
        missing = await client.get(photo, headers=headers)
        assert missing.status_code == 404, who
        assert missing.json()["id"] == photo.split("/")[-2]  # as the description says: text
    assert (await client.get("/api/v1/reports")).status_code == 401
    # The authority's reading is in the inspectors' audit trail, as every query of theirs.
    async with read_transaction(ledger.engine) as conn:
        paths = (await conn.execute(select(inspector_audit.c.path))).scalars().all()
    assert "/api/v1/reports" in paths and photo in paths


async def test_the_reporters_contact_and_words_are_on_no_page_and_in_no_export(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings, tmp_path: Path
) -> None:
    hanoi = await authority(ledger, "Chi cục QLCL Hà Nội", HANOI)
    hung_yen = await authority(ledger, "Chi cục QLCL Hưng Yên", HUNG_YEN)
    code = (await register(client, cast.producer, gtin=GTIN))["batch"]["code"]
    assert (await send(client, code, fields(), photo=jpeg())).status_code == 303
    await sign_checkpoint(ledger, settings.log_origin)
    personal = [CONTACT, "QX7731ZK", "quầy QX7731ZK"]
    texts: dict[str, str] = {}
    for lang in ("vi", "en"):
        for path in (f"/b/{code}", LINK):
            for fmt in ("html", "json", "jsonld", "linkset"):
                answer = await client.get(path, params={"lang": lang, "format": fmt})
                assert answer.status_code == 200, (path, fmt)
                texts[f"{path}?lang={lang}&format={fmt}"] = answer.text
        texts[f"/open-data/?lang={lang}"] = (await client.get(f"/open-data/?lang={lang}")).text
        texts[f"/b/{code}/report/sent?lang={lang}"] = (
            await client.get(f"/b/{code}/report/sent?lang={lang}")
        ).text
    texts["/open-data/ (DCAT)"] = (
        await client.get("/open-data/", headers={"Accept": "application/ld+json"})
    ).text
    manifest_bytes = (await client.get(f"/open-data/{MANIFEST}")).content
    texts[MANIFEST] = manifest_bytes.decode("utf-8", "replace")
    for entry in decode_manifest(manifest_bytes).files:
        got = await client.get(f"/open-data/{entry.name}", headers={"Accept-Encoding": "identity"})
        texts[f"/open-data/{entry.name}"] = got.content.decode("utf-8", "replace")
    public_reads = [
        "/epcis/events",
        "/api/v1/log/checkpoint",
        "/api/v1/log/records?start=0&end=2",
        "/api/v1/log/records/0/bundle",
        f"/api/v1/batches/{code}",
        f"/api/v1/batches/{code}/records",
        f"/api/v1/batches/{code}/verify",
        "/.well-known/gs1resolver",
    ]
    for path in public_reads:
        answer = await client.get(path)
        assert answer.status_code < 500, path
        texts[path] = answer.text
    # The exporting inspectors' queries, and the whole export of the command line.
    texts["/epcis/events (inspector)"] = (
        await client.get("/epcis/events", headers=hanoi.headers)
    ).text
    out = tmp_path / "export"
    done = trace(settings, "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    texts["export (stdout)"] = done.stdout + done.stderr
    exported = [p for p in out.rglob("*") if p.is_file()]
    assert len(exported) > 5
    for file in exported:
        texts[f"export/{file.name}"] = file.read_bytes().decode("utf-8", "replace")
    hits = [(where, value) for where, text in texts.items() for value in personal if value in text]
    assert hits == []
    # And yet it is kept, for the readers it was given to.
    [report] = (await readable(client, hanoi))["reports"]
    assert report["contact"] == CONTACT and report["text"] == WORDS
    assert (await readable(client, hung_yen))["reports"] == []
    assert (await client.get("/api/v1/reports")).status_code == 401


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", "tới cơ quan quản lý chất lượng nông lâm thủy sản của Hà Nội và tới hộ đã sản xuất"),
        ("en", "to the agri-food quality authority of Hà Nội and to the household that produced"),
    ],
)
async def test_the_thank_you_page_names_no_household_and_the_province_without_an_authority(
    client: httpx.AsyncClient, ledger: Ledger, lang: str, words: str
) -> None:
    household = await make_member(
        ledger, "Nguyễn Văn Tâm", AgencyKind.PRODUCER, household=True, province=HANOI
    )
    code = (await register(client, household))["batch"]["code"]
    page = await client.get(f"/b/{code}/report/sent?lang={lang}")
    assert "Nguyễn Văn Tâm" not in page.text  # a household is a person: not named
    assert words in page.text
