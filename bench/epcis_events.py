"""The events bench/epcis.py sends and loads: a cooperative's field work as the ledger's kinds.

Each observation is one ledger statement (kind, time, body) on one batch: a harvest, an
input applied, a packing, in turn. A partner with EPCIS capture sends it as the EPCIS 2.0
event the ledger itself exports for that statement (``trace.epcis.export.ledger_event``),
so capture reads it back into the same kind and body (trace/epcis/mapping.py); a partner
without capture sends the same kind, time and body to ``POST /api/v1/batches/{id}/events``.
Both paths end in the same signed record. Times are distinct, so every event has its own
Event Hash ID and capture, which is idempotent by that ID, records each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from trace.domain.kinds import EventKind, decode_body
from trace.epcis.export import CONTEXT, Setting, ledger_event
from trace.epcis.index import ENCODE
from trace.epcis.subjects import BatchRef

GTIN_PREFIX = "893604700"  # a Vietnamese company prefix (893), then the product's number
VIETNAM = timezone(timedelta(hours=7))
FIRST_DAY = datetime(2026, 3, 1, 6, 0, tzinfo=VIETNAM)


@dataclass(frozen=True, slots=True)
class Observation:
    """One statement of field work on a batch."""

    batch: BatchRef
    kind: EventKind
    occurred_at: str
    body: dict[str, Any]


def gtin(product: int) -> str:
    """A 13-digit GTIN with its check digit, for the ``product``-th product."""
    digits = f"{GTIN_PREFIX}{product:03d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def registration(product: int, lot: str) -> dict[str, Any]:
    """The ``registered`` body of a lot of rice with a GTIN."""
    return {
        "product": f"Gạo ST25 loại {product}",
        "lot": lot,
        "gtin": gtin(product),
        "origin": {"province": "92"},
    }


def work_body(kind: EventKind, n: int) -> dict[str, Any]:
    """The body of the ``n``-th observation, realistic and about 400 bytes signed."""
    if kind is EventKind.HARVESTED:
        return {
            "quantity": {"value": f"{1000 + n % 900}.5", "unit": "KGM"},
            "area": f"RUONG-{n % 40:02d}",
            "note": f"Thu hoạch lúa ST25 vụ Đông Xuân, ruộng số {n % 40}, độ ẩm hạt 24%.",
        }
    if kind is EventKind.INPUT_APPLIED:
        return {
            "input_kind": "fertiliser",
            "product": "Phân hữu cơ vi sinh Sông Gianh",
            "dose": {"value": f"{20 + n % 30}", "unit": "KGM"},
            "applied_to": f"RUONG-{n % 40:02d}",
        }
    return {
        "package_type": "Túi 5 kg",
        "count": 100 + n % 400,
        "quantity": {"value": f"{(100 + n % 400) * 5}", "unit": "KGM"},
    }


KINDS = (EventKind.HARVESTED, EventKind.INPUT_APPLIED, EventKind.PACKED)


def observations(batches: list[BatchRef], count: int, first: int) -> list[Observation]:
    """``count`` observations over ``batches`` in turn, numbered from ``first`` (distinct times)."""
    out = []
    for n in range(first, first + count):
        kind = KINDS[n % len(KINDS)]
        moment = FIRST_DAY + timedelta(seconds=n)
        out.append(
            Observation(batches[n % len(batches)], kind, moment.isoformat(), work_body(kind, n))
        )
    return out


def epcis_event(item: Observation, agency: str, base_url: str) -> dict[str, Any]:
    """The EPCIS 2.0 event of ``item`` as the ledger exports it, without a record time."""
    body = decode_body(item.kind.value, item.body)
    event = ledger_event(
        item.kind,
        body,
        occurred_at=item.occurred_at,
        agency=agency,
        recorded_at_us=0,
        setting=Setting(base_url=base_url, batch_class=item.batch.epc_class(base_url)),
    )
    del event["recordTime"]  # the repository's, set when it records the event
    return event


def epcis_document(items: list[Observation], agency: str, base_url: str) -> bytes:
    """An ``EPCISDocument`` of the events of ``items``, as JSON bytes."""
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-01T08:00:00+07:00",
        "epcisBody": {"eventList": [epcis_event(item, agency, base_url) for item in items]},
    }
    return ENCODE.encode(document)


def one_by_one_request(item: Observation) -> tuple[str, bytes]:
    """The path and JSON body of ``item`` sent to the private API's append."""
    body = {"kind": item.kind.value, "occurred_at": item.occurred_at, "body": item.body}
    return f"/api/v1/batches/{item.batch.id}/events", ENCODE.encode(body)
