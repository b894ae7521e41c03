"""Recalls over HTTP: who may recall, what a recall reaches, and which pages show it."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pypdfium2 as pdfium
import pytest

from tests.conftest import Cast
from tests.integration.graph import HOUSEHOLD_COMMUNE, Graph, build_graph
from tests.integration.helpers import record, register, stored
from trace.config import Settings
from trace.store.ledger import Ledger

BANNER = re.compile(r'<section class="alert" id="recall-banner"[^>]*data-kind="recalled"')
# What a recall on R reaches, and how many transformations away.
REACH_OF_R = {
    "R": 0,
    "S1": 1,
    "S2": 1,
    "S3": 1,
    "M": 2,
    "K": 2,
    "T": 2,
    "F": 3,
    "F1": 4,
    "F2": 4,
}


@pytest.fixture
async def graph(client: Any, cast: Cast, ledger: Ledger) -> Graph:
    return await build_graph(client, cast, ledger)


async def recall(client: Any, cast: Cast, batch: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/recalls",
        json={"batch": batch, "reason": "Vượt giới hạn cadimi", "severity": "class_1", **extra},
        headers=cast.authority.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/recalls/{response.json()['id']}"
    return dict(response.json())


async def banners(client: Any, graph: Graph) -> set[str]:
    """The batches whose public page shows a recall banner."""
    shown = set()
    for name, code in graph.codes.items():
        page = await client.get(f"/b/{code}")
        assert page.status_code == 200
        if BANNER.search(page.text):
            shown.add(name)
    return shown


async def test_a_recall_on_a_root_batch_shows_its_banner_downstream_and_nowhere_else(
    client: Any, cast: Cast, graph: Graph, settings: Settings
) -> None:
    assert await banners(client, graph) == set()
    answer = await recall(client, cast, graph.ids["A"], scope="Toàn bộ lô thóc")
    assert answer["batch"]["id"] == graph.ids["A"] and answer["batch"]["recalled"] is True
    assert answer["scope"] == "Toàn bộ lô thóc" and answer["corrected"] is False
    downstream = {"A", "AB", "R", "S1", "S2", "S3", "M", "K", "T", "F", "F1", "F2"}
    # The sibling B, the mill's own paddy C merged in downstream, and U keep a clean page.
    assert await banners(client, graph) == downstream
    reach = (
        await client.get(f"/api/v1/recalls/{answer['id']}/reach", headers=cast.authority.headers)
    ).json()
    expected = {f"{settings.public_url}/b/{graph.codes[name]}" for name in downstream}
    assert set(reach["pages"]) == expected and len(reach["pages"]) == len(expected)
    assert reach["counts"]["pages"] == 12 and reach["counts"]["downstream"] == 11


async def test_the_reach_lists_exactly_the_downstream_batches_with_their_holders(
    client: Any, cast: Cast, graph: Graph, settings: Settings
) -> None:
    answer = await recall(client, cast, graph.codes["R"])
    reach = await client.get(answer["reach"], headers=cast.authority.headers)
    assert reach.status_code == 200
    found = reach.json()
    assert found["recall"] == answer and found["truncated"] is False
    by_name = {graph.name(b["id"]): b for b in found["batches"]}
    assert {name: b["depth"] for name, b in by_name.items()} == REACH_OF_R
    assert len(found["batches"]) == len(REACH_OF_R)
    assert found["batches"][0]["id"] == graph.ids["R"]
    for name in ("R", "S1", "S2", "M", "K", "F"):
        holder = by_name[name]["holder"]
        assert holder["id"] == cast.processor.id and holder["name"] == "Nhà máy xay", name
    on_road = by_name["T"]
    assert on_road["in_transit"] is True and on_road["holder"]["id"] == cast.processor.id
    assert on_road["in_transit_to"]["id"] == cast.distributor.id
    assert on_road["in_transit_to"]["name"] == "Siêu thị"
    assert by_name["F1"]["holder"]["name"] == "Siêu thị" and by_name["F1"]["in_transit"] is False
    household = by_name["F2"]["holder"]
    assert graph.household is not None and household["id"] == graph.household.id
    assert household["name"] is None and household["household"] is True
    assert household["commune"] == HOUSEHOLD_COMMUNE and household["province"] == "01"
    assert household["province_name"] == "Hà Nội" and household["commune_name"]
    assert household["shown"] == f"{household['commune_name']}, Hà Nội"
    assert "Nguyễn Văn Hộ" not in reach.text
    for name, batch in by_name.items():
        assert batch["page_url"] == f"{settings.public_url}/b/{graph.codes[name]}"
        assert batch["recalled"] is True, name
    assert found["pages"] == [b["page_url"] for b in found["batches"]]
    assert found["counts"] == {
        "batches": 10,
        "downstream": 9,
        "pages": 10,
        "holders": 3,
        "in_transit": 1,
        "provinces": 1,
        "withdrawn": 0,
    }
    # Upstream of R (AB, A, B), the merged-in C and the unrelated U show no banner.
    assert await banners(client, graph) == set(REACH_OF_R)


async def test_only_an_authority_may_recall(client: Any, cast: Cast, ledger: Ledger) -> None:
    batch = (await register(client, cast.producer, lot="R-1"))["batch"]
    body = {"batch": batch["id"], "reason": "Nhiễm khuẩn", "severity": "class_2"}
    before = await stored(ledger)
    assert (await client.post("/api/v1/recalls", json=body)).status_code == 401
    for member in (cast.producer, cast.processor, cast.certifier, cast.operator):
        refused = await client.post("/api/v1/recalls", json=body, headers=member.headers)
        assert refused.status_code == 403, member
        assert refused.json()["code"] == "forbidden"
    assert await stored(ledger) == before
    page = await client.get(f"/b/{batch['code']}")
    assert "recall-banner" not in page.text


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"batch": "00000000-0000-4000-8000-000000000000"}, 404),
        ({"batch": "ZZZZZZZZZZZZZZ"}, 404),
        ({"reason": None}, 400),
        ({"reason": "   "}, 422),
        ({"severity": "class_9"}, 400),
        ({"colour": "red"}, 400),
        ({"occurred_at": "yesterday"}, 422),
        ({"effective_at": "2026-09-01T07:00:00"}, 422),
    ],
)
async def test_a_bad_recall_is_refused_and_writes_nothing(
    client: Any, cast: Cast, ledger: Ledger, change: dict[str, Any], status: int
) -> None:
    batch = (await register(client, cast.producer, lot="R-2"))["batch"]
    body = {"batch": batch["id"], "reason": "Nhiễm khuẩn", "severity": "class_2", **change}
    body = {k: v for k, v in body.items() if v is not None}
    before = await stored(ledger)
    refused = await client.post("/api/v1/recalls", json=body, headers=cast.authority.headers)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert await stored(ledger) == before
    assert (await client.get(f"/api/v1/batches/{batch['id']}")).json()["recalled"] is False


async def test_a_retried_recall_returns_the_first_answer_and_writes_once(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer, lot="R-3"))["batch"]
    body = {"batch": batch["code"], "reason": "Nhãn sai hạn dùng", "severity": "class_3"}
    headers = {**cast.authority.headers, "Idempotency-Key": "recall-r3"}
    before = await stored(ledger)
    first = await client.post("/api/v1/recalls", json=body, headers=headers)
    again = await client.post("/api/v1/recalls", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    assert await stored(ledger) == (before[0] + 1, before[1] + 1)
    other = await client.post(
        "/api/v1/recalls", json={**body, "severity": "class_1"}, headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_conflict"
    assert await stored(ledger) == (before[0] + 1, before[1] + 1)


async def test_a_recall_is_read_by_id_or_record_hash_by_inspectors_only(
    client: Any, cast: Cast
) -> None:
    registered = await register(client, cast.producer, lot="R-4")
    batch = registered["batch"]
    answer = await recall(
        client,
        cast,
        batch["id"],
        occurred_at="2026-09-02T08:00:00+07:00",
        decision_number="15/QĐ-QLCL",
        effective_at="2026-09-02T12:00:00+07:00",
    )
    assert answer["occurred_at"] == "2026-09-02T08:00:00+07:00"
    assert answer["decision_number"] == "15/QĐ-QLCL" and answer["severity"] == "class_1"
    assert answer["authority"]["name"] == "Chi cục QLCL"
    assert answer["page_url"] == f"https://trace.example.vn/b/{batch['code']}"
    for ref in (str(answer["id"]), answer["record_hash"]):
        found = await client.get(f"/api/v1/recalls/{ref}", headers=cast.certifier.headers)
        assert found.status_code == 200 and found.json() == answer
    records = await client.get(f"/api/v1/batches/{batch['id']}/records")
    recalled = records.json()["records"][-1]
    assert recalled["kind"] == "recalled" and recalled["position"] == answer["id"]
    assert recalled["agency"] == cast.authority.id
    assert recalled["record_hash"] == answer["record_hash"]
    registration = registered["record"]["position"]
    for ref in (str(registration), "x" * 64, "nope", "99999999"):
        missing = await client.get(f"/api/v1/recalls/{ref}", headers=cast.authority.headers)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", ref
    assert (await client.get(f"/api/v1/recalls/{answer['id']}")).status_code == 401
    for path in (f"/api/v1/recalls/{answer['id']}", answer["reach"]):
        refused = await client.get(path, headers=cast.producer.headers)
        assert refused.status_code == 403


async def test_a_corrected_recall_no_longer_shows_and_reaches_no_page(
    client: Any, cast: Cast
) -> None:
    paddy = (await register(client, cast.processor, lot="THOC-9", product="Thóc"))["batch"]
    rice = (await register(client, cast.processor, lot="GAO-9", product="Gạo"))["batch"]
    body = {
        "process": "milling",
        "inputs": [{"batch": paddy["id"], "quantity": {"value": "9", "unit": "KGM"}}],
    }
    await record(client, cast.processor, rice["id"], "transformed", body)
    answer = await recall(client, cast, paddy["id"])
    assert BANNER.search((await client.get(f"/b/{rice['code']}")).text)
    await record(
        client,
        cast.authority,
        paddy["id"],
        "corrected",
        {"corrects": answer["record_hash"], "reason": "Nhầm lô mẫu"},
    )
    reach = (await client.get(answer["reach"], headers=cast.authority.headers)).json()
    assert reach["recall"]["corrected"] is True and reach["pages"] == []
    assert [b["id"] for b in reach["batches"]] == [paddy["id"], rice["id"]]
    assert [b["recalled"] for b in reach["batches"]] == [False, False]
    for batch in (paddy, rice):
        assert not BANNER.search((await client.get(f"/b/{batch['code']}")).text)


async def test_the_reach_as_csv_opens_in_a_spreadsheet_headed_in_the_readers_language(
    client: Any, cast: Cast, graph: Graph
) -> None:
    answer = await recall(client, cast, graph.codes["R"])
    for lang, header, yes in (("vi", "Bậc", "có"), ("en", "Depth", "yes")):
        got = await client.get(
            answer["reach"],
            headers={**cast.authority.headers, "Accept": "text/csv", "Accept-Language": lang},
        )
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        assert got.headers["content-language"] == lang
        assert got.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert rows[0][0] == header and len(rows) == 1 + len(REACH_OF_R)
        by_code = {row[1]: row for row in rows[1:]}
        assert set(by_code) == {graph.codes[name] for name in REACH_OF_R}
        assert all(row[9] == yes for row in rows[1:])
        on_road = by_code[graph.codes["T"]]
        assert on_road[5] == "Nhà máy xay" and on_road[7] == "Siêu thị"
        assert "Nguyễn Văn Hộ" not in got.content.decode()
    json_answer = await client.get(
        answer["reach"], headers={**cast.authority.headers, "Accept": "application/json"}
    )
    assert json_answer.headers["content-type"].startswith("application/json")


async def test_recalls_are_listed_newest_first_filtered_and_paged(
    client: Any, cast: Cast, graph: Graph
) -> None:
    first = await recall(client, cast, graph.codes["R"], decision_number="12/QĐ-CCATTP")
    second = await recall(client, cast, graph.codes["U"], severity="class_3")

    async def listed(**params: Any) -> dict[str, Any]:
        got = await client.get("/api/v1/recalls", params=params, headers=cast.authority.headers)
        assert got.status_code == 200, got.text
        return dict(got.json())

    every = await listed()
    assert [r["id"] for r in every["recalls"]] == [second["id"], first["id"]]
    assert every["recalls"][1] == first and every["next_cursor"] is None
    assert [r["id"] for r in (await listed(severity="class_1"))["recalls"]] == [first["id"]]
    assert [r["id"] for r in (await listed(batch=graph.codes["U"]))["recalls"]] == [second["id"]]
    by_authority = await listed(authority=cast.authority.id)
    assert len(by_authority["recalls"]) == 2
    assert (await listed(authority=cast.processor.id))["recalls"] == []
    day = first["occurred_at"][:10]
    assert len((await listed(**{"from": day, "to": day}))["recalls"]) == 2
    assert (await listed(**{"to": "2020-01-01"}))["recalls"] == []
    assert (await listed(province="96"))["recalls"] == []
    assert len((await listed(province="01"))["recalls"]) == 2
    page = await listed(limit=1)
    assert [r["id"] for r in page["recalls"]] == [second["id"]] and page["next_cursor"]
    rest = await listed(limit=1, cursor=page["next_cursor"])
    assert [r["id"] for r in rest["recalls"]] == [first["id"]] and rest["next_cursor"] is None
    refused = await client.get("/api/v1/recalls", headers=cast.processor.headers)
    assert refused.status_code == 403


def pdf_text(data: bytes) -> str:
    """Every page's text, as a reader's PDF viewer extracts it."""
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def test_the_reach_as_pdf_is_the_document_an_officer_files(
    client: Any, cast: Cast, graph: Graph
) -> None:
    answer = await recall(client, cast, graph.codes["R"], decision_number="125/QĐ-CCQLCL")
    for lang, words in (
        ("vi", ("Cơ quan ban hành: Chi cục QLCL", "Cấp 1: có thể gây hại nghiêm trọng")),
        ("en", ("Issuing authority: Chi cục QLCL", "Class 1: may cause serious harm")),
    ):
        got = await client.get(
            answer["reach"],
            headers={
                **cast.authority.headers,
                "Accept": "application/pdf",
                "Accept-Language": lang,
            },
        )
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        text = pdf_text(got.content)
        assert "125/QĐ-CCQLCL" in text and "Vượt giới hạn cadimi" in text
        assert all(word in text for word in words), text
        for name in REACH_OF_R:
            assert graph.codes[name] in text, name
        assert "Nhà máy xay" in text and "Siêu thị" in text
        assert "Nguyễn Văn Hộ" not in text
