"""The public provenance page over HTTP: routes, verdicts, recalls, formats, caching, safety."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import ROOT, Cast, make_member
from tests.integration.helpers import kg
from tests.integration.helpers import record as event
from tests.integration.helpers import register as register_batch
from tests.integration.test_tamper import rewrite_statement
from trace.api.app import create_app
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.store.ledger import Ledger

GTIN = "8936047000128"
XSS = ["<script>alert(1)</script>", '"onerror=alert(1) x="', "javascript:alert(1)"]


async def register(client: Any, member: Any, **body: Any) -> dict[str, Any]:
    return dict((await register_batch(client, member, **body))["batch"])


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_page_by_digital_link_and_by_code_in_both_languages(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="BD-2026-09", product="Bưởi Diễn")
    page = await client.get("/01/08936047000128/10/BD-2026-09")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "vi"
    words = text_of(page.text)
    assert "Bưởi Diễn" in words and "Hồ sơ toàn vẹn" in words and "HTX Bưởi Diễn" in words
    assert 'id="lang-switch"' in page.text and "English" in words
    by_code = await client.get(f"/b/{batch['code']}")
    assert by_code.status_code == 200 and "Bưởi Diễn" in by_code.text
    english = await client.get(f"/b/{batch['code']}", headers={"Accept-Language": "en-US,en"})
    assert english.headers["content-language"] == "en" and "The record is intact" in english.text
    asked = await client.get(f"/b/{batch['code']}?lang=en")
    assert "The record is intact" in asked.text


async def test_other_spellings_of_a_code_are_redirected_to_the_one_url(
    client: Any, cast: Cast
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="BD/2026-09", product="Bưởi")
    code = batch["code"]
    typed = f"{code[:4].lower()}-{code[4:]}"
    moved = await client.get(f"/b/{typed}?lang=en")
    assert moved.status_code == 308 and moved.headers["location"] == f"/b/{code}?lang=en"
    # A 13-digit GTIN, and a lot encoded with lower-case hex, name the same page.
    moved = await client.get("/01/8936047000128/10/BD%2f2026-09")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/01/08936047000128/10/BD%2F2026-09"
    page = await client.get(moved.headers["location"])
    assert page.status_code == 200 and "Bưởi" in page.text
    # The redirect needs no look-up: a code that names nothing is moved too, then not found.
    assert (await client.get(moved.headers["location"].replace("BD", "XX"))).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/b/ZZZZZZZZZZZZZZ",
        "/b/short",
        "/01/08936047000128/10/NOPE",
    ],
)
async def test_unknown_or_malformed_codes_get_a_helpful_404_page(client: Any, path: str) -> None:
    for lang, title, hint in (
        ("vi", "Không tìm thấy mã này", "mã 14 ký tự in ngay dưới mã QR"),
        ("en", "This code was not found", "14-character code printed just under the QR"),
    ):
        response = await client.get(path, headers={"Accept-Language": lang})
        assert response.status_code == 404
        assert title in response.text and hint in response.text
        assert "Traceback" not in response.text and 'action="/check"' in response.text


async def test_a_typed_code_or_serial_leads_to_its_page(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="L-1")
    typed = batch["code"].lower().replace("0", "o")
    found = await client.get("/check", params={"code": typed})
    assert found.status_code == 303 and found.headers["location"] == f"/b/{batch['code']}"
    run = await client.post(
        f"/api/v1/batches/{batch['id']}/label-runs",
        json={"count": 2},
        headers=cast.producer.headers,
    )
    serial = run.json()["first_serial"]
    item = await client.get("/check", params={"code": serial, "lang": "en"})
    assert item.headers["location"] == f"/01/08936047000128/10/L-1/21/{serial}?lang=en"
    wrong = await client.get("/check", params={"code": "ABCDEFGHJKMNPQ"})
    assert wrong.status_code == 404


async def test_recall_banner_comes_first_on_the_batch_and_downstream_at_once(
    client: Any, cast: Cast
) -> None:
    paddy = await register(client, cast.processor, lot="THOC-1", product="Thóc")
    rice = await register(client, cast.processor, lot="GAO-1", product="Gạo")
    await event(
        client,
        cast.processor,
        rice["id"],
        "transformed",
        {"process": "milling", "inputs": [{"batch": paddy["id"], "quantity": kg("10")}]},
    )
    before = await client.get(f"/b/{rice['code']}")
    assert "recall-banner" not in before.text
    await event(
        client,
        cast.authority,
        paddy["id"],
        "recalled",
        {"reason": "Vượt giới hạn cadimi", "severity": "class_1"},
    )
    own = await client.get(f"/b/{paddy['code']}")
    downstream = await client.get(
        f"/b/{rice['code']}", headers={"If-None-Match": before.headers["etag"]}
    )
    assert downstream.status_code == 200  # the recall changed every page's validator
    for page in (own, downstream):
        body = re.split(r"<main[^>]*>", page.text, maxsplit=1)[1]
        assert body.lstrip().startswith('<section class="alert" id="recall-banner"')
        assert "Vượt giới hạn cadimi" in page.text and "Chi cục QLCL" in page.text
    assert "THOC-1" not in text_of(own.text).split("THU HỒI")[0]
    assert paddy["code"] in text_of(downstream.text)
    assert f'href="/b/{paddy["code"]}"' in downstream.text


async def test_a_changed_record_turns_the_verdict_and_names_it(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = await register(client, cast.producer, lot="T-1")
    await event(client, cast.producer, batch["id"], "harvested", {"quantity": kg("101")})
    await event(
        client, cast.producer, batch["id"], "packed", {"package_type": "Thùng", "count": 10}
    )
    await rewrite_statement(ledger, batch["id"], 2, b'"101"', b'"901"')
    page = await client.get(f"/b/{batch['code']}")
    assert 'data-verdict="broken"' in page.text
    assert "bản ghi 2 đã bị sửa sau khi được ký" in page.text
    english = await client.get(f"/b/{batch['code']}?lang=en")
    assert "record 2 was changed after it was signed" in english.text


async def test_machines_get_json_with_proofs_epcis_and_a_linkset(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="M-1")
    path = "/01/08936047000128/10/M-1"
    data = (await client.get(path, headers={"Accept": "application/json"})).json()
    assert data["batch"]["code"] == batch["code"] and data["intact"] is True
    assert (
        data["proofs"]["format"] == "trace.page-proofs/v1" and len(data["proofs"]["records"]) == 1
    )
    epcis = await client.get(path, headers={"Accept": "application/ld+json"})
    assert epcis.headers["content-type"].startswith("application/ld+json")
    document = epcis.json()
    assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
    assert document["epcisBody"]["eventList"][0]["bizStep"].endswith("commissioning")
    links = await client.get(path, headers={"Accept": "application/linkset+json"})
    assert links.headers["content-type"].startswith("application/linkset+json")
    anchor = links.json()["linkset"][0]
    for link_type in ("pip", "traceability", "recallStatus", "defaultLink"):
        assert f"https://gs1.org/voc/{link_type}" in anchor
    resolver = (await client.get("/.well-known/gs1resolver")).json()
    assert resolver["supportedPrimaryKeys"] == ["01"]


async def test_a_repeated_scan_costs_a_304_until_a_new_record(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer, lot="E-1")
    first = await client.get(f"/b/{batch['code']}")
    etag = first.headers["etag"]
    assert "no-cache" in first.headers["cache-control"]
    again = await client.get(f"/b/{batch['code']}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await event(client, cast.producer, batch["id"], "harvested", {"quantity": kg("5")})
    changed = await client.get(f"/b/{batch['code']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Thu hoạch" in changed.text


async def test_strict_security_headers_and_escaped_producer_text(
    client: Any, ledger: Ledger
) -> None:
    evil = await make_member(ledger, XSS[0] + XSS[1], AgencyKind.PRODUCER)
    batch = await register(client, evil, product=" ".join(XSS), lot="X-1", gtin=GTIN)
    page = await client.get(f"/b/{batch['code']}")
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'sha256-" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'onerror=alert(1) x="' not in page.text
    assert re.search(r"<[^>]+\sonerror=", page.text) is None
    assert 'href="javascript:' not in page.text
    assert page.text.count("<script>") <= 1


async def test_pages_are_rate_limited_per_client(
    settings: Settings, ledger: Ledger, cast: Cast
) -> None:
    limited = Settings(**{**settings.__dict__, "page_rate_per_minute": 8, "workers": 2})
    app = create_app(limited, ledger=ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)),
        base_url="http://testserver",
    ) as one:
        codes = [(await one.get("/b/ZZZZZZZZZZZZZZ")).status_code for _ in range(4)]
        assert codes[0] == 404 and 429 in codes  # 8 a minute over 2 workers: 4 here, burst 1
        refused = await one.get("/b/ZZZZZZZZZZZZZZ", headers={"Accept-Language": "en"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "Too many requests" in refused.text and "Try again in a minute" in refused.text
        # Nothing about fakes or a code not found: the code may well be right.
        assert "fake" not in refused.text and "not found" not in refused.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 5000)),
        base_url="http://testserver",
    ) as other:
        assert (await other.get("/b/ZZZZZZZZZZZZZZ")).status_code == 404


async def test_serial_scans_count_devices_per_day_and_warn_of_copies(
    settings: Settings, ledger: Ledger, client: Any, cast: Cast
) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="S-1")
    run = (
        await client.post(
            f"/api/v1/batches/{batch['id']}/label-runs",
            json={"count": 3},
            headers=cast.producer.headers,
        )
    ).json()
    path = f"/01/08936047000128/10/S-1/21/{run['first_serial']}"
    app = create_app(settings, ledger=ledger)

    async def scan(address: str, agent: str = "phone") -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 4000)),
            base_url="http://testserver",
            headers={"User-Agent": agent},
        ) as phone:
            return await phone.get(path)

    first = await scan("192.0.2.10")
    assert "Đây là lần quét đầu tiên" in first.text and "copy-warning" not in first.text
    same = await scan("192.0.2.10")
    assert 'data-count="1"' in same.text
    await scan("192.0.2.11", "another phone")
    for n in range(4):
        last = await scan(f"10.{n}.0.1")
    assert 'data-count="6"' in last.text and 'id="copy-warning"' in last.text
    # No address is stored: only keyed hashes.
    async with ledger.engine.connect() as conn:
        stored = [
            bytes(v)
            for row in (await conn.exec_driver_sql("SELECT client, network FROM label_scans")).all()
            for v in row
        ]
    assert stored and all(b"192.0.2" not in value and b"10.0" not in value for value in stored)
    unknown = await scan("192.0.2.10")
    assert unknown.status_code == 200
    fake = await client.get("/01/08936047000128/10/S-1/21/ABCDEFGHJKMNPQ")
    assert fake.status_code == 404


async def test_a_household_is_named_by_commune_and_province(client: Any, ledger: Ledger) -> None:
    farmer = await make_member(
        ledger,
        "Hộ ông Nguyễn Văn Thắng",
        AgencyKind.PRODUCER,
        household=True,
        province="33",
        commune="12364",
    )
    batch = await register(client, farmer, product="Thóc ST25", lot="H-1")
    await event(client, farmer, batch["id"], "harvested", {"quantity": kg("10")})
    page = await client.get(f"/b/{batch['code']}")
    words = text_of(page.text)
    # The household signed its records, not the commune.
    assert "Ký bởi: Hộ sản xuất tại xã Tiên Lữ, tỉnh Hưng Yên" in words
    assert "Ký bởi: Xã Tiên Lữ" not in words and "Nguyễn" not in page.text
    english = text_of((await client.get(f"/b/{batch['code']}?lang=en")).text)
    assert "Signed by: Household producer in Tien Lu Commune, Hung Yen Province" in english


async def test_the_pomelo_page_is_small(client: Any, cast: Cast) -> None:
    batch = await register(
        client,
        cast.producer,
        gtin=GTIN,
        lot="P-1",
        product="Bưởi Diễn Phú Thượng",
        quantity=kg("1200"),
        production_date="2026-09-01",
        expiry_date="2026-10-15",
    )
    for kind in ("harvested",):
        await event(client, cast.producer, batch["id"], kind, {"quantity": kg("1200")})
    page = await client.get("/01/08936047000128/10/P-1", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    assert len(gzip.compress(page.content)) < 30 * 1024


async def test_expired_certificates_and_revoked_keys_are_shown_as_such(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    from trace.domain.record import now_us
    from trace.store.agencies import revoke_key

    batch = await register(client, cast.producer, lot="C-1")
    await event(
        client,
        cast.certifier,
        batch["id"],
        "certified",
        {
            "scheme": "ocop",
            "certificate_number": "OCOP-01-2022-7",
            "issuer": "UBND thành phố Hà Nội",
            "issuer_level": "province",
            "stars": 3,
            "decision_number": "77/QĐ-UBND",
            "valid_from": "2022-01-01",
            "valid_until": "2024-12-31",
        },
    )
    await event(
        client,
        cast.certifier,
        batch["id"],
        "certified",
        {
            "scheme": "vietgap",
            "certificate_number": "VG-01-2026-3",
            "issuer": "Trung tâm Chứng nhận VietGAP",
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
    )
    page = text_of((await client.get(f"/b/{batch['code']}")).text)
    assert "OCOP 3 sao" in page and "ĐÃ HẾT HẠN" in page and "77/QĐ-UBND" in page
    assert "VietGAP" in page and "VG-01-2026-3" in page
    # The producer's key turns out to have leaked before its registration was recorded.
    await revoke_key(ledger, cast.producer.key_id, from_us=now_us() - 3_600_000_000, reason="lộ")
    revoked = await client.get(f"/b/{batch['code']}")
    assert 'data-verdict="broken"' in revoked.text
    assert "bản ghi 1 được ký bằng khoá đã bị thu hồi vì lộ" in revoked.text


FIXTURES = Path(os.environ.get("TRACE_FIXTURES", ROOT.parent / "shared" / "fixtures"))


async def test_the_epcis_document_validates_against_the_official_schema(
    client: Any, cast: Cast
) -> None:
    schema_path = FIXTURES / "epcis" / "schema" / "EPCIS-JSON-Schema.json"
    if not schema_path.exists():
        pytest.skip(f"the EPCIS 2.0 JSON Schema is not at {schema_path} (../shared is absent)")
    paddy = await register(client, cast.processor, lot="THOC-9", product="Thóc")
    rice = await register(client, cast.processor, lot="GAO-9", product="Gạo", gtin=GTIN)
    await event(
        client,
        cast.processor,
        rice["id"],
        "transformed",
        {"process": "milling", "inputs": [{"batch": paddy["id"], "quantity": kg("10")}]},
    )
    await event(client, cast.processor, rice["id"], "packed", {"package_type": "Bao", "count": 2})
    await event(
        client,
        cast.authority,
        rice["id"],
        "inspected",
        {
            "laboratory": "Phòng thí nghiệm",
            "samples": [{"code": "M-1"}],
            "result": "conformant",
            "analytes": [
                {
                    "name": "Cadimi",
                    "value": "0.01",
                    "unit": "mg/kg",
                    "method": "ICP-MS",
                    "result": "conformant",
                    "limit": "0.4",
                }
            ],
        },
    )
    document = (
        await client.get("/01/08936047000128/10/GAO-9", headers={"Accept": "application/ld+json"})
    ).json()
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(document)]
    assert errors == []
    types = [e["type"] for e in document["epcisBody"]["eventList"]]
    assert types == ["ObjectEvent", "TransformationEvent", "ObjectEvent", "ObjectEvent"]


async def test_a_lot_with_a_slash_has_its_page(client: Any, cast: Cast) -> None:
    batch = await register(client, cast.producer, gtin=GTIN, lot="HN/2026/09")
    assert batch["public_path"] == "/01/08936047000128/10/HN%2F2026%2F09"
    page = await client.get(batch["public_path"])
    assert page.status_code == 200 and batch["code"] in page.text
    # Unencoded, the slashes make a path that is not a Digital Link (trace/api/resolver.py).
    malformed = await client.get("/01/08936047000128/10/HN/2026/09")
    assert malformed.status_code == 400 and "Đây không phải mã sản phẩm hợp lệ" in malformed.text
