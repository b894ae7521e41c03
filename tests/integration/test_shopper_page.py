"""The provenance page as a shopper reads it, over HTTP (issue 15): what comes first, the
timeline in the order things happened, the signer of a household's records, an expired
product, OCOP in words, the producer's contact, the start page and the 429 page.

The same pages in Chromium at phone size are in tests/browser/test_pages.py.
"""

from __future__ import annotations

import gzip
import re
from datetime import timedelta
from typing import Any

from tests.conftest import Cast, make_member
from tests.integration.helpers import kg, registration
from trace.domain.agency import AgencyKind
from trace.domain.contact import Contact
from trace.domain.places import vietnam_today
from trace.local_formats import day
from trace.store.ledger import Ledger

GTIN = "8936047000128"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def post_event(
    client: Any, member: Any, batch: str | None, kind: str, when: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A record appended as ``member`` that happened ``when``; a registration if no batch."""
    path = "/api/v1/batches" if batch is None else f"/api/v1/batches/{batch}/events"
    sent = {"occurred_at": when, "body": body}
    if batch is not None:
        sent["kind"] = kind
    answer = await client.post(path, json=sent, headers=member.headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def order_of(html: str, *ids: str) -> list[int]:
    """Where each element id first appears in ``html``."""
    return [html.index(f'id="{name}"') for name in ids]


async def test_timeline_is_in_the_order_things_happened_with_a_calm_delay(
    client: Any, cast: Cast
) -> None:
    # Registered when harvested; the fertiliser of two months before recorded afterwards.
    batch = (
        await post_event(
            client,
            cast.producer,
            None,
            "registered",
            "2026-09-01T07:00:00+07:00",
            registration(lot="T-1"),
        )
    )["batch"]
    await post_event(
        client,
        cast.producer,
        batch["id"],
        "input_applied",
        "2026-07-20T06:30:00+07:00",
        {
            "input_kind": "fertiliser",
            "product": "Phân hữu cơ",
            "dose": {"value": "2", "unit": "TNE", "per": "HAR"},
            "applied_to": "VUON-03",
        },
    )
    now = "2026-09-01T09:00:00+07:00"
    await post_event(client, cast.producer, batch["id"], "harvested", now, {"quantity": kg("5")})
    html = (await client.get(f"/b/{batch['code']}?lang=en")).text
    kinds = re.findall(r'<li class="event" data-kind="(\w+)" data-seq="(\d+)"', html)
    assert kinds == [("input_applied", "2"), ("registered", "1"), ("harvested", "3")]
    times = re.findall(r'data-occurred="([^"]+)"', html)
    assert times == sorted(times)
    # The delay is said once per late record, in muted words, never in bold.
    late = re.findall(r'<span class="late">· recorded (\d+) days later</span>', html)
    assert late and all(int(days) > 3 for days in late)
    assert "<b>" not in html.split('id="timeline"')[1].split("</section>")[0]
    assert "growing area VUON-03" in text_of(html)


async def test_the_first_screen_order_and_the_verdict_line(client: Any, cast: Cast) -> None:
    batch = (
        await post_event(
            client,
            cast.producer,
            None,
            "registered",
            "2026-09-01T07:00:00+07:00",
            registration(
                lot="F-1",
                gtin=GTIN,
                pack_size={"value": "2", "unit": "KGM"},
                brand="Bưởi Diễn Phú Thượng",
                standards=["VietGAP", "TCVN 9302:2013"],
                storage="Nơi khô ráo, thoáng mát",
            ),
        )
    )["batch"]
    html = (await client.get(f"/b/{batch['code']}")).text
    name, essentials, verdict, details, proof = order_of(
        html, "product-name", "essentials", "verdict", "details", "proof"
    )
    assert name < essentials < verdict < details < proof
    line = re.search(r'<p id="verdict"[^>]*>(.*?)</p>', html, re.S)
    assert line is not None and 'href="#proof"' in line.group(1)
    assert 'class="verdict-line"' in html  # intact and nothing to warn of: the success mark
    words = text_of(html)
    assert "Quy cách đóng gói 2 kg" in words and "Nhãn hiệu Bưởi Diễn Phú Thượng" in words
    assert "Tiêu chuẩn áp dụng VietGAP, TCVN 9302:2013" in words
    assert "Bảo quản Nơi khô ráo, thoáng mát" in words
    # Nothing of the proof before the verdict line.
    assert "checkpoint" not in html[: html.index('id="verdict"')]


async def test_an_expired_product_is_warned_of_first_and_gets_no_success_mark(
    client: Any, cast: Cast
) -> None:
    today = vietnam_today()
    made, ended = today - timedelta(days=60), today - timedelta(days=1)
    body = registration(lot="E-1", production_date=made.isoformat(), expiry_date=ended.isoformat())
    batch = (
        await post_event(client, cast.producer, None, "registered", f"{made}T07:00:00+07:00", body)
    )["batch"]
    html = (await client.get(f"/b/{batch['code']}?lang=en")).text
    warning, name = order_of(html, "expiry-warning", "product-name")
    assert warning < name
    assert f"expiry date was {day(ended, 'en')}. Do not eat or use it now." in html
    assert 'class="verdict-line quiet"' in html and 'class="verdict quiet"' in html
    # One that expires today is not expired yet.
    fresh = registration(lot="E-2", expiry_date=today.isoformat(), production_date=made.isoformat())
    batch = (
        await post_event(client, cast.producer, None, "registered", f"{made}T07:00:00+07:00", fresh)
    )["batch"]
    assert 'id="expiry-warning"' not in (await client.get(f"/b/{batch['code']}")).text


async def test_an_ingredients_recall_tells_the_shopper_not_to_use_the_product(
    client: Any, cast: Cast
) -> None:
    when = "2026-09-01T07:00:00+07:00"
    paddy = (
        await post_event(
            client,
            cast.processor,
            None,
            "registered",
            when,
            registration(product="Thóc", lot="P-1"),
        )
    )["batch"]
    rice = (
        await post_event(
            client, cast.processor, None, "registered", when, registration(product="Gạo", lot="R-1")
        )
    )["batch"]
    await post_event(
        client,
        cast.processor,
        rice["id"],
        "transformed",
        when,
        {"process": "milling", "inputs": [{"batch": paddy["id"], "quantity": kg("10")}]},
    )
    recall = {"reason": "Nấm mốc", "severity": "class_2", "scope": "Cả lô"}
    await post_event(client, cast.authority, paddy["id"], "recalled", when, recall)
    html = (await client.get(f"/b/{rice['code']}")).text
    banner, name = order_of(html, "recall-banner", "product-name")
    assert banner < name
    words = text_of(html)
    assert f"Lô nguyên liệu {paddy['code']} (Thóc) dùng làm ra sản phẩm này đã bị thu hồi." in words
    assert "Đừng sử dụng sản phẩm; hãy mang trả nơi bán." in words
    assert 'class="verdict-line quiet"' in html


async def test_ocop_in_one_line_and_an_organisations_contact(
    client: Any, ledger: Ledger, cast: Cast
) -> None:
    coop = await make_member(
        ledger,
        "HTX Chè Tân Cương",
        AgencyKind.PRODUCER,
        province="08",
        contact=Contact(
            phone="0208 3855 123", address="Xóm 5, Tân Cương", website="https://chetancuong.vn"
        ),
    )
    when = "2026-09-01T07:00:00+07:00"
    batch = (
        await post_event(
            client, coop, None, "registered", when, registration(product="Chè", lot="C-1")
        )
    )["batch"]
    await post_event(
        client,
        cast.certifier,
        batch["id"],
        "certified",
        when,
        {
            "scheme": "ocop",
            "certificate_number": "OCOP-TN-1",
            "issuer": "UBND tỉnh Thái Nguyên",
            "issuer_level": "province",
            "stars": 4,
            "valid_from": "2025-06-15",
            "valid_until": "2028-06-14",
        },
    )
    html = (await client.get(f"/b/{batch['code']}?lang=en")).text
    words = text_of(html)
    assert (
        "OCOP (One Commune One Product) is Vietnam's programme that rates local products from 3"
        " to 5 stars. 4 stars: a good product that can reach national level. Recognised by UBND"
        " tỉnh Thái Nguyên after the provincial OCOP council's assessment; valid until 14 Jun 2028."
    ) in words.replace("&#39;", "'")
    assert '<a id="producer-phone" href="tel:02083855123">0208 3855 123</a>' in html
    assert "Xóm 5, Tân Cương" in words and 'href="https://chetancuong.vn"' in html
    assert "OCOP" in re.search(r'<dd id="standards">([^<]*)</dd>', html).group(1)  # type: ignore[union-attr]


async def test_the_start_page_in_both_languages(client: Any) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-language"] == "vi"
    assert "Thực phẩm này đến từ đâu?" in page.text
    assert '<form method="get" action="/check" id="by-code">' in page.text
    # The camera button is hidden until the script finds BarcodeDetector in the browser.
    assert re.search(r'<button type="button" id="scan" hidden', page.text)
    assert "'BarcodeDetector' in window" in page.text.replace('"', "'")
    about = re.search(r'<ul id="about" class="about">(.*?)</ul>', page.text, re.S)
    assert about is not None and about.group(1).count("<li>") == 3
    policy = page.headers["content-security-policy"]
    assert "script-src 'sha256-" in policy and "default-src 'none'" in policy
    # No other origin asked for anything, and small.
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    assert len(gzip.compress(page.content)) < 4096
    english = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.headers["content-language"] == "en"
    assert "Where does this food come from?" in english.text
    assert "Where does this food come from?" in (await client.get("/?lang=en")).text


async def test_a_typed_gtin_and_lot_lead_to_the_page(client: Any, cast: Cast) -> None:
    when = "2026-09-01T07:00:00+07:00"
    await post_event(
        client, cast.producer, None, "registered", when, registration(lot="BD-2026-09", gtin=GTIN)
    )
    moved = await client.get(
        "/check", params={"gtin": " 893 6047 000128", "lot": "bd-2026-09", "lang": "en"}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == "/01/08936047000128/10/BD-2026-09?lang=en"
    assert (await client.get(moved.headers["location"])).status_code == 200
    wrong = await client.get("/check", params={"gtin": "8936047000129", "lot": "BD-2026-09"})
    assert wrong.status_code == 404 and "Không tìm thấy mã này" in wrong.text


async def test_an_ocop_reference_without_its_certificate_is_said_plainly(
    client: Any, cast: Cast
) -> None:
    when = "2026-09-01T07:00:00+07:00"
    body = registration(lot="O-1", ocop_ref="OCOP-HN-2025-0412")
    batch = (await post_event(client, cast.producer, None, "registered", when, body))["batch"]
    words = text_of((await client.get(f"/b/{batch['code']}?lang=en")).text).replace("&#39;", "'")
    assert (
        "OCOP Certificate OCOP-HN-2025-0412, not recorded in this ledger. OCOP (One Commune One"
        " Product) is Vietnam's programme that rates local products from 3 to 5 stars."
    ) in words
