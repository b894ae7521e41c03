"""Labels through the API: who may print, what the files hold, and print runs in the ledger."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import date
from typing import Any

import pypdfium2
import pytest
from sqlalchemy import func, insert, select

from tests.conftest import Cast
from tests.integration.helpers import kg, stored
from tests.integration.helpers import record as event
from tests.integration.helpers import register as register_batch
from tests.labels.reading import decode, decode_labels, pdf_pages, png_image, svg_image
from trace.domain.identifiers import new_serial
from trace.domain.statement import parse_statement
from trace.labels.facts import batch_facts
from trace.labels.runs import keyed_run_id, serials_digest
from trace.labels.templates import TEMPLATES
from trace.store.batches import find_batch
from trace.store.database import read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import label_runs, label_serials

GTIN = "8936047000128"


async def register(client: Any, member: Any, **body: Any) -> dict[str, Any]:
    return dict((await register_batch(client, member, **body))["batch"])


def pdf_text(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index].get_textpage()
            texts.append(page.get_text_range())
        return texts
    finally:
        document.close()


async def test_producer_prints_lot_labels_that_decode_to_the_public_url(
    client: Any, cast: Cast
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="BD-2026-09")
    response = await client.get(
        f"/api/v1/batches/{batch['code']}/labels",
        params={"template": "a4-3x8", "count": 30},
        headers=cast.producer.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"labels-{batch['code']}-a4-3x8.pdf" in response.headers["content-disposition"]
    pages = pdf_pages(response.content, 300)
    assert len(pages) == 2  # 24 on the first sheet, 6 on the second
    url = "https://TRACE.EXAMPLE.VN/01/08936047000128/10/BD-2026-09"
    sheet = TEMPLATES["a4-3x8"]
    assert decode_labels(pages[0], sheet, 300) == [url] * 24
    assert decode_labels(pages[1], sheet, 300) == [url] * 6
    words = pdf_text(response.content)[0]
    assert "Bưởi Diễn" in words and batch["code"] in words.replace("\r\n", "")


async def test_png_and_svg_hold_one_label_in_english_when_asked(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer)
    for fmt, read in (("png", lambda b: png_image(b)), ("svg", lambda b: svg_image(b, 203))):
        response = await client.get(
            f"/api/v1/batches/{batch['id']}/labels",
            params={"format": fmt, "lang": "en"},
            headers=cast.producer.headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-language"] == "en"
        assert decode(read(response.content)) == [f"https://TRACE.EXAMPLE.VN/b/{batch['code']}"]
    svg = response.content.decode()
    assert "Origin:" in svg and "Xuất xứ" not in svg


@pytest.mark.parametrize(
    ("params", "field", "vi", "en"),
    [
        (
            {"template": "roll-99x99"},
            "template",
            "Không có mẫu tem 'roll-99x99'. Các mẫu tem: roll-50x30-203,",
            "There is no label template 'roll-99x99'. The templates: roll-50x30-203,",
        ),
        (
            {"format": "tiff"},
            "format",
            "Không có định dạng tem 'tiff'. Các định dạng: pdf, png, svg.",
            "There is no label format 'tiff'. The formats: pdf, png, svg.",
        ),
        (
            {"count": 0},
            "count",
            "Số tem phải từ 1 đến 10000, không phải 0.",
            "The number of labels must be from 1 to 10000, not 0.",
        ),
        (
            {"count": 10_001},
            "count",
            "Số tem phải từ 1 đến 10000, không phải 10001.",
            "The number of labels must be from 1 to 10000, not 10001.",
        ),
        (
            {"format": "png", "count": 2},
            "count",
            "Tệp PNG chỉ chứa một trang tem mẫu roll-50x30-203 (1 tem một trang). Hãy chọn PDF "
            "để có 2 tem.",
            "A PNG file holds one page of roll-50x30-203 labels (1 to a page). Ask for a PDF to "
            "get 2.",
        ),
    ],
)
async def test_bad_requests_are_refused_in_both_languages(
    client: Any, cast: Cast, params: dict[str, Any], field: str, vi: str, en: str
) -> None:
    batch = await register(client, cast.producer)
    for lang, words in (("vi", vi), ("en", en)):
        response = await client.get(
            f"/api/v1/batches/{batch['id']}/labels",
            params=params,
            headers={**cast.producer.headers, "Accept-Language": lang},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "label_request_invalid" and problem["field"] == field
        assert problem["detail"].startswith(words)


async def test_only_the_producer_prints_and_strangers_need_a_token(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer)
    path = f"/api/v1/batches/{batch['id']}/labels"
    other = await client.get(path, headers=cast.other_producer.headers)
    assert other.status_code == 403 and other.json()["rule"] == "labels_not_producer"
    assert (await client.get(path)).status_code == 401
    missing = await client.get(
        "/api/v1/batches/ZZZZZZZZZZZZZZ/labels", headers=cast.producer.headers
    )
    assert missing.status_code == 404


async def test_text_too_long_for_the_stock_is_refused_before_any_byte(
    client: Any, cast: Cast
) -> None:
    batch = await register(client, cast.producer, product="Bưởi Diễn đặc biệt " * 20)
    response = await client.get(
        f"/api/v1/batches/{batch['id']}/labels",
        params={"template": "roll-40x25-203"},
        headers=cast.producer.headers,
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "label_does_not_fit" and problem["template"] == "roll-40x25-203"
    assert "cắt" in problem["detail"]  # nothing is cut off, it says


async def test_a_word_wider_than_a_line_is_refused_naming_it_in_both_languages(
    client: Any, cast: Cast
) -> None:
    word = "Diễn" * 12
    batch = await register(client, cast.producer, product=f"Bưởi {word}")
    path = f"/api/v1/batches/{batch['id']}/labels"
    details = {}
    for lang in ("vi", "en"):
        response = await client.get(
            path,
            params={"template": "roll-40x25-203"},
            headers={**cast.producer.headers, "Accept-Language": lang},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert (problem["code"], problem["reason"], problem["field"]) == (
            "label_does_not_fit",
            "word",
            "product",
        )
        assert (problem["value"], problem["template"], problem["minimum"]) == (
            word,
            "roll-40x25-203",
            "5",
        )
        assert word in problem["detail"] and "a4-3x8" in problem["detail"]
        details[lang] = problem["detail"]
    assert "không bao giờ ngắt giữa một từ" in details["vi"]
    assert "never breaks a word" in details["en"]
    # The larger template the answer names prints it.
    larger = await client.get(path, params={"template": "a4-3x8"}, headers=cast.producer.headers)
    assert larger.status_code == 200, larger.text


async def test_a_print_run_is_one_signed_record_committing_to_unique_serials(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HOP-QUA-01")
    before = await stored(ledger)
    response = await client.post(
        f"/api/v1/batches/{batch['id']}/label-runs",
        json={"count": 50},
        headers=cast.producer.headers,
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert await stored(ledger) == (before[0] + 1, before[1] + 1)
    async with read_transaction(ledger.engine) as conn:
        serials = (
            (
                await conn.execute(
                    select(label_serials.c.serial)
                    .where(label_serials.c.run_id == run["id"])
                    .order_by(label_serials.c.ordinal)
                )
            )
            .scalars()
            .all()
        )
    assert len(serials) == len(set(serials)) == 50
    assert (serials[0], serials[-1]) == (run["first_serial"], run["last_serial"])
    digest = hashlib.sha256("".join(f"{s}\n" for s in serials).encode()).hexdigest()
    assert run["serials_sha256"] == digest
    records = await client.get(f"/api/v1/batches/{batch['id']}/records")
    last = records.json()["records"][-1]
    assert last["kind"] == "serialised" and last["position"] == run["position"]
    statement = parse_statement(base64.b64decode(last["statement"]))
    assert statement.body == {
        "run": run["id"],
        "count": 50,
        "first": serials[0],
        "last": serials[-1],
        "serials_sha256": digest,
    }
    assert statement.agency == cast.producer.id
    # The run's labels: each decodes to its own serial, in print order.
    labels = await client.get(run["labels"] + "&template=a4-3x8", headers=cast.producer.headers)
    assert labels.status_code == 200, labels.text
    pages = pdf_pages(labels.content, 300)
    assert len(pages) == 3
    sheet = TEMPLATES["a4-3x8"]
    found = [u.rsplit("/21/", 1)[1] for page in pages for u in decode_labels(page, sheet, 300)]
    assert found == serials
    listed = await client.get(
        f"/api/v1/batches/{batch['id']}/label-runs", headers=cast.producer.headers
    )
    assert [r["id"] for r in listed.json()] == [run["id"]]


async def test_retrying_a_run_with_its_idempotency_key_registers_it_once(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN)
    headers = {**cast.producer.headers, "Idempotency-Key": "run-2026-11-22-a"}
    path = f"/api/v1/batches/{batch['id']}/label-runs"
    first = await client.post(path, json={"count": 5}, headers=headers)
    before = await stored(ledger)
    again = await client.post(path, json={"count": 5}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await stored(ledger) == before
    async with read_transaction(ledger.engine) as conn:
        runs = (await conn.execute(select(func.count()).select_from(label_runs))).scalar_one()
        rows = (await conn.execute(select(func.count()).select_from(label_serials))).scalar_one()
    assert (runs, rows) == (1, 5)
    other = await client.post(path, json={"count": 6}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_conflict"


async def test_refused_runs_leave_no_serials_behind(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    recalled = await register(client, cast.producer, gtin=GTIN, lot="R-1")
    await event(
        client,
        cast.authority,
        recalled["id"],
        "recalled",
        {"reason": "Dư lượng", "severity": "class_2"},
    )
    no_gtin = await register(client, cast.producer, lot="N-1")
    before = await stored(ledger)
    refused = await client.post(
        f"/api/v1/batches/{recalled['id']}/label-runs",
        json={"count": 3},
        headers=cast.producer.headers,
    )
    assert refused.status_code == 403 and refused.json()["rule"] == "batch_recalled"
    plain = await client.post(
        f"/api/v1/batches/{no_gtin['id']}/label-runs",
        json={"count": 3},
        headers=cast.producer.headers,
    )
    assert plain.status_code == 422 and plain.json()["field"] == "gtin"
    stranger = await client.post(
        f"/api/v1/batches/{no_gtin['id']}/label-runs",
        json={"count": 3},
        headers=cast.other_producer.headers,
    )
    assert stranger.status_code == 403
    too_many = await client.post(
        f"/api/v1/batches/{no_gtin['id']}/label-runs",
        json={"count": 100_001},
        headers=cast.producer.headers,
    )
    assert too_many.status_code == 400
    assert await stored(ledger) == before
    async with read_transaction(ledger.engine) as conn:
        rows = (await conn.execute(select(func.count()).select_from(label_serials))).scalar_one()
        runs = (await conn.execute(select(func.count()).select_from(label_runs))).scalar_one()
    assert (rows, runs) == (0, 0)


async def test_ocop_stars_only_while_the_certificate_is_valid_and_not_corrected(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(
        client, cast.producer, gtin=GTIN, quantity=kg("1200"), production_date="2026-09-01"
    )
    certificate = {
        "scheme": "ocop",
        "certificate_number": "OCOP-01-2026-15",
        "issuer": "UBND thành phố Hà Nội",
        "issuer_level": "province",
        "stars": 4,
        "decision_number": "1234/QĐ-UBND",
        "valid_from": "2026-01-15",
        "valid_until": "2029-01-14",
    }
    await event(client, cast.certifier, batch["id"], "certified", certificate)
    await event(
        client,
        cast.producer,
        batch["id"],
        "packed",
        {"package_type": "Hộp quà 2 quả", "count": 400, "quantity": kg("1200")},
    )
    async with read_transaction(ledger.engine) as conn:
        found = await find_batch(conn, batch["id"])
        valid = await batch_facts(conn, found, today=date(2026, 11, 22))
        expired = await batch_facts(conn, found, today=date(2029, 1, 15))
        early = await batch_facts(conn, found, today=date(2026, 1, 14))
    assert valid.ocop_stars == 4 and expired.ocop_stars is None and early.ocop_stars is None
    assert valid.net is not None and (valid.net.value, valid.net.unit) == ("3", "KGM")
    assert valid.lot_quantity is None
    records = (await client.get(f"/api/v1/batches/{batch['id']}/records")).json()["records"]
    await event(
        client,
        cast.certifier,
        batch["id"],
        "corrected",
        {"corrects": records[1]["record_hash"], "reason": "Nhầm số sao"},
    )
    async with read_transaction(ledger.engine) as conn:
        corrected = await batch_facts(conn, found, today=date(2026, 11, 22))
    assert corrected.ocop_stars is None


async def test_a_lot_label_of_a_registered_pack_gives_the_pack_size_not_the_whole_lot(
    client: Any, cast: Cast
) -> None:
    # 50 kg registered in 1.5 kg packs: a label on a pack saying "Cả lô: 50 kg" would tell a
    # shopper the pack holds 50 kg.
    batch = await register(client, cast.producer, quantity=kg("50"), pack_size=kg("1.5"))
    for lang, pack, lot in (("vi", "KL tịnh: 1,5 kg", "Cả lô"), ("en", "Net: 1.5 kg", "Whole lot")):
        response = await client.get(
            f"/api/v1/batches/{batch['id']}/labels",
            params={"format": "svg", "lang": lang},
            headers=cast.producer.headers,
        )
        assert response.status_code == 200, response.text
        svg = response.content.decode()
        words = svg[svg.index("<desc>") : svg.index("</desc>")].replace(" | ", " ")
        words = words.replace("\xa0", " ")
        # The link and the batch's code are random and may hold "50": read only the words.
        words = words.split(batch["code"])[-1]
        assert pack in words and lot not in words and "50" not in words


async def test_a_lot_label_without_a_pack_size_or_packing_gives_the_whole_lot(
    client: Any, cast: Cast
) -> None:
    batch = await register(client, cast.producer, quantity=kg("50"))
    response = await client.get(
        f"/api/v1/batches/{batch['id']}/labels",
        params={"format": "svg", "lang": "vi"},
        headers=cast.producer.headers,
    )
    svg = response.content.decode()
    words = svg[svg.index("<desc>") : svg.index("</desc>")].replace("\xa0", " ")
    assert "Cả lô: 50 kg" in words and "KL tịnh" not in words


async def test_household_labels_name_the_commune_and_province_not_the_person(
    client: Any, ledger: Ledger
) -> None:
    from tests.conftest import make_member
    from trace.domain.agency import AgencyKind

    farmer = await make_member(
        ledger,
        "Hộ ông Nguyễn Văn Thắng",
        AgencyKind.PRODUCER,
        household=True,
        province="33",
        commune="12364",
    )
    batch = await register(client, farmer, product="Thóc ST25", lot="THOC-1")
    response = await client.get(
        f"/api/v1/batches/{batch['id']}/labels", params={"format": "svg"}, headers=farmer.headers
    )
    svg = response.content.decode()
    words = svg[svg.index("<desc>") : svg.index("</desc>")].replace(" | ", " ").replace("\xa0", " ")
    assert "Hộ sản xuất: Xã Tiên Lữ, Hưng Yên" in words and "Nguyễn" not in svg


async def test_label_templates_are_listed_with_their_sizes(client: Any) -> None:
    response = await client.get("/api/v1/label-templates")
    templates = {t["name"]: t for t in response.json()}
    assert templates["a4-5x13"]["labels_per_page"] == 65
    assert templates["roll-40x25-203"]["module_mm"] == pytest.approx(0.5005, abs=1e-4)
    assert all(t["module_mm"] >= 0.396 for t in templates.values())


async def _runs_of(ledger: Ledger, batch_id: str) -> list[tuple[Any, list[str]]]:
    """The batch's runs as stored, each with its serials in print order."""
    async with read_transaction(ledger.engine) as conn:
        runs = (
            await conn.execute(select(label_runs).where(label_runs.c.batch_id == batch_id))
        ).all()
        found = []
        for run in runs:
            serials = await conn.execute(
                select(label_serials.c.serial)
                .where(label_serials.c.run_id == run.id)
                .order_by(label_serials.c.ordinal)
            )
            found.append((run, list(serials.scalars())))
    return found


async def test_twenty_concurrent_retries_of_a_run_all_get_the_one_run_that_stays(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HOP-20")
    headers = {**cast.producer.headers, "Idempotency-Key": "run-2026-11-22-b"}
    path = f"/api/v1/batches/{batch['id']}/label-runs"
    answers = await asyncio.gather(
        *(client.post(path, json={"count": 40}, headers=headers) for _ in range(20))
    )
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers]
    run = answers[0].json()
    assert all(answer.json() == run for answer in answers)
    # The ledger, the run's row and its serials agree.
    [(row, serials)] = await _runs_of(ledger, batch["id"])
    assert (row.id, row.position, row.count) == (run["id"], run["position"], 40)
    assert len(set(serials)) == 40 and (serials[0], serials[-1]) == (
        run["first_serial"],
        run["last_serial"],
    )
    assert (
        hashlib.sha256("".join(f"{s}\n" for s in serials).encode()).hexdigest()
        == (run["serials_sha256"])
    )
    history = await client.get(f"/api/v1/batches/{batch['id']}/records?proofs=false")
    recorded = [r for r in history.json()["records"] if r["kind"] == "serialised"]
    assert [r["position"] for r in recorded] == [run["position"]]
    body = parse_statement(base64.b64decode(recorded[0]["statement"])).body
    assert body["run"] == run["id"] and body["serials_sha256"] == run["serials_sha256"]
    page = await client.get(f"{batch['public_path']}/21/{serials[7]}")
    assert page.status_code == 200


async def test_concurrent_runs_without_a_key_are_each_recorded_with_their_serials(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HOP-5")
    path = f"/api/v1/batches/{batch['id']}/label-runs"
    answers = await asyncio.gather(
        *(client.post(path, json={"count": 30}, headers=cast.producer.headers) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    stored_runs = await _runs_of(ledger, batch["id"])
    assert sorted((row.id, row.position) for row, _ in stored_runs) == sorted(
        (a.json()["id"], a.json()["position"]) for a in answers
    )
    assert all(len(serials) == 30 for _, serials in stored_runs)


async def test_a_key_first_used_for_an_event_refuses_the_run_and_keeps_no_serials(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HOP-K")
    headers = {**cast.producer.headers, "Idempotency-Key": "used-for-a-harvest"}
    harvest = {"kind": "harvested", "occurred_at": "2026-09-01T07:00:00+07:00"}
    answer = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={**harvest, "body": {"quantity": kg("5")}},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    before = await stored(ledger)
    refused = await client.post(
        f"/api/v1/batches/{batch['id']}/label-runs", json={"count": 3}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_conflict"
    assert await stored(ledger) == before
    assert await _runs_of(ledger, batch["id"]) == []


async def test_a_run_left_without_its_record_is_recorded_when_retried(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HOP-L")
    # What earlier versions, which wrote a run in steps, left when stopped before its record.
    run_id = keyed_run_id(cast.producer.id, "run-left-behind")
    serials = [new_serial() for _ in range(3)]
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            insert(label_runs).values(
                id=run_id,
                batch_id=batch["id"],
                count=3,
                first_serial=serials[0],
                last_serial=serials[-1],
                serials_sha256=serials_digest(serials),
                position=None,
                created_at_us=0,
            )
        )
        await conn.execute(
            insert(label_serials),
            [{"serial": s, "run_id": run_id, "ordinal": i} for i, s in enumerate(serials)],
        )
    answer = await client.post(
        f"/api/v1/batches/{batch['id']}/label-runs",
        json={"count": 3},
        headers={**cast.producer.headers, "Idempotency-Key": "run-left-behind"},
    )
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["id"] == run_id and run["serials_sha256"] == serials_digest(serials).hex()
    [(row, stored_serials)] = await _runs_of(ledger, batch["id"])
    assert row.position == run["position"] and stored_serials == serials
    history = await client.get(f"/api/v1/batches/{batch['id']}/records?proofs=false")
    last = history.json()["records"][-1]
    assert last["position"] == run["position"] and last["kind"] == "serialised"
