"""The demo: a realistic Vietnamese example, appended through the one append operation.

An OCOP Diễn pomelo cooperative in Hà Nội, three household paddy batches in
Hưng Yên milled into one VietGAP rice batch, inspections, a shipment to a
retailer, and a recall of a vegetable batch that failed a residue test. All
names are invented; provinces follow the 34-province map in force since
1 July 2025 (Hà Nội 01, Hưng Yên 33).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select

from trace import demo_photos
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.contact import Contact
from trace.domain.identifiers import DigitalLink
from trace.domain.master_data import LocationIn, ProductIn
from trace.labels.make import batches_sheet
from trace.labels.pdf import write_pdf
from trace.labels.runs import create_run, list_runs
from trace.store.agencies import (
    Actor,
    create_agency,
    create_token,
    list_tokens,
    revoke_token,
)
from trace.store.append import Appended, append_unsigned, new_batch_id
from trace.store.batches import Batch, all_batches, find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger, open_ledger
from trace.store.master_data import register_location, register_product
from trace.store.photos import keep_photo
from trace.store.tables import agencies
from trace.translation import both

OPERATOR_NAME = "Ban vận hành trace (demo)"
POMELO_COOP = "Hợp tác xã Bưởi Diễn Phú Thượng"
# The paddy farmers: household businesses (hộ kinh doanh), each with a commune code.
HOUSEHOLDS = (
    ("Hộ ông Nguyễn Văn Thắng", "12364"),
    ("Hộ bà Trần Thị Huệ", "12361"),
    ("Hộ ông Phạm Đức Lộc", "12391"),
)
# Every demo lot carries a GTIN, so every label on the demo sheet is a GS1 Digital Link.
# A household business may register its own GS1 company prefix; these are invented (893 is
# GS1 Vietnam's prefix; the check digits are real).
# GLNs under the demo's GS1 company prefixes (893 is GS1 Vietnam's).
POMELO_GARDEN_GLN = "8936047000012"
MILL_GLN = "8935123000014"
PADDY_GTINS = ("8936123000011", "8936124000010", "8936125000019")
# The person of the pomelo cooperative who signs in to the console in the demo.
DEMO_PERSON = "Chị Lan (thử / demo)"


@dataclass
class _Cast:
    operator: Actor
    pomelo_coop: Actor
    vegetable_coop: Actor
    farmers: list[Actor]
    mill: Actor
    retailer: Actor
    authority: Actor
    ocop_council: Actor


async def _agency(ledger: Ledger, name: str, kind: AgencyKind, **extra: Any) -> Actor:
    agency, _key, _token = await create_agency(ledger, name=name, kind=kind, **extra)
    return Actor(agency.id, kind, None)


async def _cast(ledger: Ledger) -> _Cast:
    return _Cast(
        operator=await _agency(ledger, OPERATOR_NAME, AgencyKind.OPERATOR),
        pomelo_coop=await _agency(
            ledger,
            POMELO_COOP,
            AgencyKind.PRODUCER,
            province="01",
            # Websites under .example (RFC 2606): the demo's names are invented.
            contact=Contact(
                phone="024 3999 0412",
                address="Thôn Phú Thượng, phường Phú Thượng, Hà Nội",
                website="https://buoidienphuthuong.example",
            ),
        ),
        vegetable_coop=await _agency(
            ledger,
            "Hợp tác xã Rau an toàn Đông Anh",
            AgencyKind.PRODUCER,
            province="01",
            contact=Contact(phone="0912 000 102", address="Xã Đông Anh, Hà Nội"),
        ),
        farmers=[
            await _agency(
                ledger,
                name,
                AgencyKind.PRODUCER,
                household=True,
                province="33",
                commune=commune,
            )
            for name, commune in HOUSEHOLDS
        ],
        mill=await _agency(
            ledger,
            "Công ty Cổ phần Lương thực Hưng Yên",
            AgencyKind.PROCESSOR,
            province="33",
            contact=Contact(
                phone="+84 221 3999 025",
                address="Khu công nghiệp Phố Nối A, Hưng Yên",
                website="https://luongthuchungyen.example",
            ),
        ),
        retailer=await _agency(
            ledger,
            "Chuỗi cửa hàng Nông sản Sạch Hà Thành",
            AgencyKind.DISTRIBUTOR,
            province="01",
            contact=Contact(
                phone="1900 0000 15",
                address="Phường Cầu Giấy, Hà Nội",
                website="https://nongsansachhathanh.example",
            ),
        ),
        authority=await _agency(
            ledger,
            "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Hà Nội",
            AgencyKind.AUTHORITY,
            province="01",
        ),
        ocop_council=await _agency(
            ledger, "Hội đồng OCOP thành phố Hà Nội", AgencyKind.CERTIFIER, province="01"
        ),
    )


async def _master_data(ledger: Ledger, c: _Cast) -> None:
    """The cooperative's garden and the mill by GLN, and the demo's products by GTIN, named
    as their agencies register them (trace/domain/master_data.py): partners' EPCIS events
    name them by these codes, and the pages and EPCIS documents show the names."""
    await register_location(
        ledger,
        c.pomelo_coop.agency_id,
        POMELO_GARDEN_GLN,
        LocationIn(
            name_vi="Vườn bưởi Diễn Phú Thượng",
            name_en="Phu Thuong Dien pomelo garden",
            address="Thôn Phú Thượng, phường Phú Thượng",
            province="01",
            commune="00091",
            latitude=21.0875,
            longitude=105.8094,
        ),
    )
    await register_location(
        ledger,
        c.mill.agency_id,
        MILL_GLN,
        LocationIn(
            name_vi="Nhà máy xay xát Phố Nối",
            name_en="Pho Noi rice mill",
            address="Khu công nghiệp Phố Nối A",
            province="33",
        ),
    )
    products = (
        (c.pomelo_coop, "08936047000128", "Bưởi Diễn Phú Thượng", "Phu Thuong Dien pomelo"),
        (c.mill, "08935123000182", "Gạo ST25 Hưng Yên", "Hung Yen ST25 rice"),
    )
    for agency, gtin, name_vi, name_en in products:
        await register_product(
            ledger, agency.agency_id, gtin, ProductIn(name_vi=name_vi, name_en=name_en)
        )


def _kg(value: str) -> dict[str, str]:
    return {"value": value, "unit": "KGM"}


async def _event(
    ledger: Ledger, actor: Actor, batch: str, kind: str, when: str, body: dict[str, Any]
) -> Appended:
    return await append_unsigned(ledger, actor, batch=batch, kind=kind, occurred_at=when, body=body)


async def _photo(ledger: Ledger, actor: Actor, draw: Callable[[], Image.Image]) -> str:
    """Keep the picture ``draw`` makes as ``actor``'s photo, as the console sends one; its name."""
    kept = await keep_photo(ledger, actor, demo_photos.photo_bytes(draw), demo_photos.MEDIA_TYPE)
    return kept.sha256


async def _pomelo(ledger: Ledger, c: _Cast) -> str:
    batch = new_batch_id()
    coop = c.pomelo_coop
    await _event(
        ledger,
        coop,
        batch,
        "registered",
        "2026-09-01T07:00:00+07:00",
        {
            "product": "Bưởi Diễn Phú Thượng",
            "gtin": "8936047000128",
            "lot": "BD-2026-09",
            "origin": {"province": "01", "commune": "00091"},
            "quantity": _kg("1200"),
            "category": "Trái cây tươi",
            "area": "VUON-PT-03",
            "production_date": "2026-09-01",
            "expiry_date": "2026-10-15",
            "ocop_ref": "OCOP-HN-2025-0412",
            "photo": await _photo(ledger, coop, demo_photos.pomelo),
            "brand": "Bưởi Diễn Phú Thượng",
            # A gift box of two fruits: 400 boxes hold the 1,200 kg.
            "pack_size": _kg("3"),
            "standards": ["VietGAP (TCVN 11892-1:2017)"],
            "storage": "Nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp",
        },
    )
    await _event(
        ledger,
        coop,
        batch,
        "input_applied",
        "2026-07-20T06:30:00+07:00",
        {
            "input_kind": "fertiliser",
            "product": "Phân hữu cơ vi sinh Sông Gianh",
            "dose": {"value": "2", "unit": "TNE", "per": "HAR"},
            "applied_to": "VUON-PT-03",
        },
    )
    await _event(
        ledger,
        coop,
        batch,
        "harvested",
        "2026-09-01T06:00:00+07:00",
        {
            "quantity": _kg("1200"),
            "area": "VUON-PT-03",
        },
    )
    await _event(
        ledger,
        c.ocop_council,
        batch,
        "certified",
        "2026-09-02T09:00:00+07:00",
        {
            "scheme": "ocop",
            "certificate_number": "OCOP-HN-2025-0412",
            "decision_number": "1234/QĐ-UBND",
            "issuer": "Ủy ban nhân dân thành phố Hà Nội",
            "issuer_level": "province",
            "stars": 4,
            "valid_from": "2025-06-15",
            "valid_until": "2028-06-14",
        },
    )
    await _event(
        ledger,
        c.authority,
        batch,
        "inspected",
        "2026-09-03T10:00:00+07:00",
        {
            "laboratory": "Trung tâm Kiểm nghiệm Nông sản Hà Nội",
            "samples": [{"code": "MAU-0917", "matrix": "Bưởi quả"}],
            "analytes": [
                {
                    "name": "Carbendazim",
                    "value": "<0.01",
                    "limit": "0.1",
                    "unit": "mg/kg",
                    "method": "TCVN 12412:2018",
                    "result": "conformant",
                }
            ],
            "result": "conformant",
            "certificate_number": "KN-2026-0917",
        },
    )
    await _event(
        ledger,
        coop,
        batch,
        "packed",
        "2026-09-04T08:00:00+07:00",
        {
            "package_type": "Hộp quà 2 quả",
            "count": 400,
            "quantity": _kg("1200"),
        },
    )
    await _event(
        ledger,
        coop,
        batch,
        "shipped",
        "2026-09-05T05:30:00+07:00",
        {
            "to": c.retailer.agency_id,
            "quantity": _kg("1200"),
            "destination": "Kho Nông sản Sạch Hà Thành, Cầu Giấy, Hà Nội",
        },
    )
    await _event(
        ledger,
        c.retailer,
        batch,
        "received",
        "2026-09-05T09:15:00+07:00",
        {
            "from": coop.agency_id,
            "quantity": _kg("1200"),
        },
    )
    # The gift boxes carry serialised labels: one print run of 24, one A4 sheet.
    async with read_transaction(ledger.engine) as conn:
        registered = await find_batch(conn, batch)
    await create_run(ledger, coop, registered, 24)
    return batch


async def _rice(ledger: Ledger, c: _Cast) -> str:
    paddies = []
    for number, (farmer, gtin) in enumerate(zip(c.farmers, PADDY_GTINS, strict=True), start=1):
        paddy = new_batch_id()
        paddies.append(paddy)
        await _event(
            ledger,
            farmer,
            paddy,
            "registered",
            "2026-06-10T06:00:00+07:00",
            {
                "product": "Thóc ST25",
                "gtin": gtin,
                "lot": f"THOC-2026-{number:02d}",
                "origin": {"province": "33"},
                "quantity": _kg("3000"),
                "photo": await _photo(ledger, farmer, demo_photos.paddy),
            },
        )
        await _event(
            ledger,
            farmer,
            paddy,
            "planted",
            "2026-02-05T07:00:00+07:00",
            {
                "crop": "Lúa",
                "variety": "ST25",
                "area": f"RUONG-{number:02d}",
                "area_size": {"value": "0.5", "unit": "HAR"},
            },
        )
        await _event(
            ledger,
            farmer,
            paddy,
            "harvested",
            "2026-06-10T06:00:00+07:00",
            {
                "quantity": _kg("3000"),
            },
        )
        await _event(
            ledger,
            farmer,
            paddy,
            "shipped",
            "2026-06-12T07:00:00+07:00",
            {
                "to": c.mill.agency_id,
                "quantity": _kg("3000"),
            },
        )
        await _event(
            ledger,
            c.mill,
            paddy,
            "received",
            "2026-06-12T14:00:00+07:00",
            {
                "from": farmer.agency_id,
                "quantity": _kg("3000"),
            },
        )
    rice = new_batch_id()
    await _event(
        ledger,
        c.mill,
        rice,
        "registered",
        "2026-06-15T08:00:00+07:00",
        {
            "product": "Gạo ST25 Hưng Yên",
            "gtin": "8935123000182",
            "lot": "GAO-2026-06",
            "origin": {"province": "33"},
            "quantity": _kg("6300"),
            "production_date": "2026-06-15",
            "expiry_date": "2027-06-15",
            "photo": await _photo(ledger, c.mill, demo_photos.rice),
            "brand": "Gạo Phố Hiến",
            "pack_size": _kg("5"),
            "standards": ["VietGAP", "TCVN 11888:2017 (gạo trắng)"],
            "storage": "Nơi khô ráo, thoáng mát; đóng kín miệng túi sau khi mở",
        },
    )
    await _event(
        ledger,
        c.mill,
        rice,
        "transformed",
        "2026-06-15T08:00:00+07:00",
        {
            "process": "milling",
            "inputs": [{"batch": paddy, "quantity": _kg("3000")} for paddy in paddies],
            "output_quantity": _kg("6300"),
        },
    )
    await _event(
        ledger,
        c.authority,
        rice,
        "certified",
        "2026-06-20T09:00:00+07:00",
        {
            "scheme": "vietgap",
            "certificate_number": "VG-33-2026-118",
            "issuer": "Trung tâm Chứng nhận VietGAP",
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
    )
    return rice


async def _recalled_vegetables(ledger: Ledger, c: _Cast) -> str:
    batch = new_batch_id()
    coop = c.vegetable_coop
    await _event(
        ledger,
        coop,
        batch,
        "registered",
        "2026-10-02T05:00:00+07:00",
        {
            "product": "Cải ngọt an toàn",
            "gtin": "8936049000027",
            "lot": "CN-2026-10-02",
            "origin": {"province": "01"},
            "quantity": _kg("450"),
            "photo": await _photo(ledger, coop, demo_photos.choy_sum),
            "pack_size": _kg("0.5"),
            "standards": ["VietGAP"],
            "storage": "Bảo quản lạnh từ 2 đến 6 °C, dùng trong 3 ngày",
        },
    )
    await _event(
        ledger,
        c.authority,
        batch,
        "inspected",
        "2026-10-03T10:00:00+07:00",
        {
            "laboratory": "Trung tâm Kiểm nghiệm Nông sản Hà Nội",
            "samples": [{"code": "MAU-1003"}],
            "analytes": [
                {
                    "name": "Chlorpyrifos",
                    "value": "0.35",
                    "limit": "0.05",
                    "unit": "mg/kg",
                    "method": "TCVN 12412:2018",
                    "result": "non_conformant",
                }
            ],
            "result": "non_conformant",
        },
    )
    await _event(
        ledger,
        c.authority,
        batch,
        "recalled",
        "2026-10-03T15:00:00+07:00",
        {
            "reason": "Dư lượng Chlorpyrifos 0,35 mg/kg vượt giới hạn 0,05 mg/kg",
            "severity": "class_1",
            "scope": "Toàn bộ lô CN-2026-10-02",
        },
    )
    return batch


async def write_demo_sheet(ledger: Ledger, settings: Settings, batches: list[Batch]) -> Path:
    """An A4 sheet (3 × 8 labels) with a row of lot labels for each demo batch."""
    pages = await batches_sheet(
        ledger, batches, template="a4-3x8", lang="vi", public_url=settings.public_url
    )
    path = (settings.data_dir / "demo-labels.pdf").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    with partial.open("wb") as sink:
        write_pdf(pages, sink, title="trace demo")
    os.replace(partial, path)
    return path


async def load_demo(settings: Settings) -> list[str]:
    """Fill an empty ledger with the demo; leave one that has it alone. Return lines to print."""
    ledger = open_ledger(settings)
    try:
        async with read_transaction(ledger.engine) as conn:
            present = (
                await conn.execute(select(agencies.c.id).where(agencies.c.name == OPERATOR_NAME))
            ).first()
        lines: list[str] = []
        if present is None:
            cast = await _cast(ledger)
            await _master_data(ledger, cast)
            await _pomelo(ledger, cast)
            await _rice(ledger, cast)
            await _recalled_vegetables(ledger, cast)
            lines.append(
                both(
                    "Demo data created. Batches (the address printed in the QR code, then the API):"
                )
            )
        else:
            lines.append(
                both(
                    "The demo data is already present; only a new sign-in token is made. "
                    "Batches (QR code, then API):"
                )
            )
        async with read_transaction(ledger.engine) as conn:
            batches = await all_batches(conn)
        for batch in batches:
            lines.append(f"  {batch.product}")
            lines.append(f"    {settings.public_url}{batch.public_path}")
            lines.append(f"    {settings.public_url}/api/v1/batches/{batch.code}")
            async with read_transaction(ledger.engine) as conn:
                runs = await list_runs(conn, batch.id)
            if runs and batch.gtin:
                lines.append(both("    A gift box with a serialised label:"))
                serial = DigitalLink(batch.gtin, batch.lot, runs[0].first_serial).path()
                lines.append(f"    {settings.public_url}{serial}")
        lines += await _console_sign_in(ledger, settings)
        sheet = await write_demo_sheet(ledger, settings, batches)
        lines.append(both("An A4 sheet of the demo batches' labels:"))
        # The path alone on its line, so it can be copied or opened from the terminal.
        lines.append(str(sheet))
        return lines
    finally:
        await ledger.close()


async def _console_sign_in(ledger: Ledger, settings: Settings) -> list[str]:
    """The producer console's address and a fresh sign-in token for the demo cooperative.

    A token is shown once, so each run makes a new one and revokes the demo person's older
    ones: the demo never leaves usable tokens behind that nobody can see.
    """
    async with read_transaction(ledger.engine) as conn:
        coop = (
            await conn.execute(select(agencies.c.id).where(agencies.c.name == POMELO_COOP))
        ).scalar_one()
    for held in await list_tokens(ledger, coop):
        if held.person == DEMO_PERSON and held.revoked_at_us is None:
            await revoke_token(ledger, held.id, coop)
    token = await create_token(ledger, coop, DEMO_PERSON)
    return [
        both("The producer console, for {coop}: sign in with the token below.", coop=POMELO_COOP),
        f"  {settings.public_url}/console/",
        f"  {token}",
    ]
