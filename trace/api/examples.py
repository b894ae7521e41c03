"""One realistic example of each event kind, as a client sends it: the OpenAPI shows them.

The examples follow a Diễn pomelo cooperative in Hà Nội through one season, and a rice mill
in Hưng Yên milling two paddy batches. The identifiers they hold (agencies, input batches,
the corrected record, a print run) are the fixed placeholders of :data:`PLACEHOLDERS`:
in a real request they are the ids the service gave. ``tests/integration/test_openapi.py``
replaces them with real ones and posts every example, as served in the description, as the
agency that may record its kind: an example the service refuses fails the suite.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from trace.domain.event_hash import event_hash_id
from trace.domain.kinds import EventKind

# Placeholders for identifiers the service makes; the names say what each stands for.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "producer": "3728acfd-320a-495b-bb3e-c19db7eb7ef9",
        "distributor": "cd7007e6-7e71-43ea-810b-3c08a81b47a2",
        "input_batch_1": "fdc0c5f8-8207-4ef5-9833-3e544a99ba31",
        "input_batch_2": "f21be15d-8b21-4308-906b-ddea8aa9c32f",
        "label_run": "d83ddb39-23cc-4384-a042-152af79b7fab",
        "harvest_record": "19386f0bbb53827953b7562cbca015c8279e7f36ee6d2ba95a2ff5edc2fa4fd4",
        "recall_record": "7c2f0e4f4b1d8a9e6f3c2b1a0d9e8f7c6b5a4d3c2b1a0f9e8d7c6b5a4d3c2b1a",
    }
)


@dataclass(frozen=True)
class Example:
    """An event as ``POST /api/v1/batches/{ref}/events`` takes it, with a one-line summary."""

    summary: str
    occurred_at: str
    body: Mapping[str, Any]

    def event(self, kind: EventKind) -> dict[str, Any]:
        """The request body of the example: kind, time and body (a copy of its own)."""
        body = copy.deepcopy(dict(self.body))
        return {"kind": kind.value, "occurred_at": self.occurred_at, "body": body}


def _kg(value: str) -> dict[str, str]:
    return {"value": value, "unit": "KGM"}


# Kept in cold storage after packing: no ledger kind holds this, so it stays an EPCIS event.
# Written as capture keeps an event: JSON text with everything beyond ASCII escaped.
_STORED = {
    "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
    "type": "ObjectEvent",
    "eventTime": "2025-11-19T16:00:00.000+07:00",
    "eventTimeZoneOffset": "+07:00",
    "action": "OBSERVE",
    "bizStep": "storing",
    "disposition": "sellable_not_accessible",
    "quantityList": [
        {
            "epcClass": "https://id.gs1.org/01/08936047000128/10/BD-2025-11",
            "quantity": 1180,
            "uom": "KGM",
        }
    ],
}
_STORED_TEXT = json.dumps(_STORED, separators=(",", ":"))

EXAMPLES: Mapping[EventKind, Example] = MappingProxyType(
    {
        EventKind.REGISTERED: Example(
            "A batch of Diễn pomelos registered at harvest (POST /api/v1/batches takes this body)",
            "2025-11-18T06:00:00+07:00",
            {
                "product": "Bưởi Diễn",
                "lot": "BD-2025-11",
                "origin": {"province": "01", "commune": "00091"},
                "gtin": "8936047000128",
                "quantity": _kg("1200.5"),
                "category": "Trái cây tươi",
                "area": "VUON-PT-03",
                "production_date": "2025-11-18",
                "expiry_date": "2026-01-15",
                "ocop_ref": "OCOP-HN-2025-0412",
            },
        ),
        EventKind.PLANTED: Example(
            "Grafted pomelo trees planted on a 1.2 ha orchard",
            "2022-02-10T07:00:00+07:00",
            {
                "crop": "Bưởi",
                "variety": "Bưởi Diễn",
                "area": "VUON-PT-03",
                "area_size": {"value": "1.2", "unit": "HAR"},
                "seed_source": "Cành chiết từ vườn bưởi đầu dòng Phú Thượng",
            },
        ),
        EventKind.INPUT_APPLIED: Example(
            "A fungicide sprayed against anthracnose, with its pre-harvest interval",
            "2025-10-05T06:00:00+07:00",
            {
                "input_kind": "pesticide",
                "product": "Anvil 5SC",
                "active_ingredient": "Hexaconazole",
                "dose": {"value": "1.25", "unit": "MLT", "per": "LTR"},
                "applied_to": "VUON-PT-03",
                "pre_harvest_interval_days": 7,
                "note": "Phun phòng bệnh thán thư, 20 ml cho bình 16 lít",
            },
        ),
        EventKind.HARVESTED: Example(
            "A harvest of 1200.5 kg of Diễn pomelos",
            "2025-11-18T06:30:00+07:00",
            {
                "quantity": _kg("1200.5"),
                "area": "VUON-PT-03",
                "note": "Thu hái buổi sáng, quả 1,2–1,5 kg",
            },
        ),
        EventKind.PROCESSED: Example(
            "Washed, dried and stamped fruit by fruit",
            "2025-11-18T14:00:00+07:00",
            {
                "process": "Rửa, lau khô và dán tem từng quả",
                "output_quantity": _kg("1180"),
            },
        ),
        EventKind.PACKED: Example(
            "Packed into 400 gift boxes of two fruits",
            "2025-11-19T08:00:00+07:00",
            {"package_type": "Hộp quà 2 quả", "count": 400, "quantity": _kg("1180")},
        ),
        EventKind.INSPECTED: Example(
            "A residue test by the provincial laboratory, conformant (an authority's)",
            "2025-11-19T10:00:00+07:00",
            {
                "laboratory": "Trung tâm Kiểm nghiệm Nông sản Hà Nội",
                "samples": [
                    {
                        "code": "MAU-2025-1119",
                        "matrix": "Bưởi quả",
                        "taken_at": "2025-11-19T08:30:00+07:00",
                    }
                ],
                "analytes": [
                    {
                        "name": "Hexaconazole",
                        "value": "<0.01",
                        "limit": "0.1",
                        "unit": "mg/kg",
                        "method": "LC-MS/MS",
                        "result": "conformant",
                    }
                ],
                "result": "conformant",
                "certificate_number": "KN-2025-1119",
                "reference": "Thông tư 50/2016/TT-BYT",
            },
        ),
        EventKind.CERTIFIED: Example(
            "A four-star OCOP certificate of Hà Nội (a certifier's)",
            "2025-11-19T09:00:00+07:00",
            {
                "scheme": "ocop",
                "certificate_number": "OCOP-HN-2025-0412",
                "issuer": "Ủy ban nhân dân thành phố Hà Nội",
                "issuer_level": "province",
                "stars": 4,
                "decision_number": "1234/QĐ-UBND",
                "valid_from": "2025-06-15",
                "valid_until": "2028-06-14",
            },
        ),
        EventKind.SHIPPED: Example(
            "Shipped by the holder to a retailer's warehouse",
            "2025-11-20T05:30:00+07:00",
            {
                "to": PLACEHOLDERS["distributor"],
                "quantity": _kg("1180"),
                "destination": "Kho Nông sản Sạch Hà Thành, Cầu Giấy, Hà Nội",
            },
        ),
        EventKind.RECEIVED: Example(
            "Received by the retailer the shipment names",
            "2025-11-20T09:15:00+07:00",
            {"from": PLACEHOLDERS["producer"], "quantity": _kg("1180")},
        ),
        EventKind.SOLD: Example(
            "Fifty gift boxes sold in the retailer's shops",
            "2025-11-22T19:00:00+07:00",
            {"quantity": {"value": "50", "unit": "XBX"}},
        ),
        EventKind.TRANSFORMED: Example(
            "Two paddy batches the mill holds milled into this rice batch",
            "2025-11-25T08:00:00+07:00",
            {
                "process": "milling",
                "inputs": [
                    {"batch": PLACEHOLDERS["input_batch_1"], "quantity": _kg("3000")},
                    {"batch": PLACEHOLDERS["input_batch_2"], "quantity": _kg("3000")},
                ],
                "output_quantity": _kg("4200"),
                "description": "Xay xát, đánh bóng gạo ST25",
            },
        ),
        EventKind.RECALLED: Example(
            "A class 1 recall after a residue test failed (an authority's)",
            "2025-11-26T15:00:00+07:00",
            {
                "reason": "Dư lượng Chlorpyrifos 0,35 mg/kg vượt giới hạn 0,05 mg/kg",
                "severity": "class_1",
                "scope": "Toàn bộ lô BD-2025-11",
                "effective_at": "2025-11-26T17:00:00+07:00",
                "decision_number": "215/QĐ-CCQLCL",
            },
        ),
        EventKind.CORRECTED: Example(
            "The harvest record declared wrong by the agency that recorded it",
            "2025-11-21T08:00:00+07:00",
            {
                "corrects": PLACEHOLDERS["harvest_record"],
                "reason": "Nhập nhầm khối lượng: đúng là 1250,5 kg",
            },
        ),
        EventKind.SERIALISED: Example(
            "A print run of three serialised labels (POST .../label-runs records these)",
            "2025-11-19T11:00:00+07:00",
            {
                "run": PLACEHOLDERS["label_run"],
                "count": 3,
                "first": "5NMENNMMPN385M",
                "last": "X0BYVQ6G65DGGC",
                # SHA-256 of the three serials, each followed by a line feed.
                "serials_sha256": (
                    "25d2c51d682d9add9617e00160388a212607819f653baa8f26d06b49877799bf"
                ),
            },
        ),
        EventKind.RECALL_NOTIFIED: Example(
            "The recall's holders told (by its authority; POST /api/v1/recalls/{id}/notified)",
            "2025-11-26T18:00:00+07:00",
            {
                "recall": PLACEHOLDERS["recall_record"],
                "note": "Đã gửi thông báo qua webhook; gọi điện cho 2 đại lý chưa có webhook",
            },
        ),
        EventKind.WITHDRAWN: Example(
            "A holder takes recalled goods off sale (POST /api/v1/recalls/{id}/withdrawals)",
            "2025-11-27T09:30:00+07:00",
            {
                "recall": PLACEHOLDERS["recall_record"],
                "quantity": {"value": "50", "unit": "XBX"},
                "note": "Đã rút khỏi quầy, niêm phong tại kho chờ trả về",
            },
        ),
        EventKind.RECALL_CLOSED: Example(
            "The recall closed by its authority (POST /api/v1/recalls/{id}/close)",
            "2025-12-05T16:00:00+07:00",
            {
                "recall": PLACEHOLDERS["recall_record"],
                "note": "Toàn bộ hàng đã thu hồi và tiêu huỷ theo biên bản số 31/BB-CCQLCL",
            },
        ),
        EventKind.EPCIS_EVENT: Example(
            "An EPCIS 2.0 event no other kind holds: the fruit stored cold",
            "2025-11-19T16:00:00+07:00",
            {"event": _STORED_TEXT, "event_hash": event_hash_id(_STORED)},
        ),
    }
)
