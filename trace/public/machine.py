"""The same batch for machines: a GS1 linkset (RFC 9264) and an EPCIS 2.0 document.

Link types are GS1's web vocabulary (https://gs1.org/voc/): ``pip`` (product
information page), ``traceability``, ``certificationInfo``, ``recallStatus``
and ``defaultLink``. The EPCIS document maps each record to its event type and
CBV business step (``trace/domain/epcis.py``); the full EPCIS interface, with
capture and Event Hash IDs, is the inspectors' API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trace.domain.epcis import EPCIS_MAPPINGS, epcis_disposition
from trace.domain.kinds import EventKind, Transformed
from trace.public.view import PageView

GS1_VOC = "https://gs1.org/voc/"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def linkset(view: PageView, url: str) -> dict[str, Any]:
    """RFC 9264 linkset of the batch's page, with GS1 link types."""
    html = {"href": url, "type": "text/html", "hreflang": ["vi", "en"], "title": view.product}
    links: dict[str, Any] = {
        "anchor": url,
        f"{GS1_VOC}defaultLink": [html],
        f"{GS1_VOC}pip": [html],
        f"{GS1_VOC}traceability": [
            {"href": f"{url}?format=jsonld", "type": "application/ld+json", "title": "EPCIS 2.0"},
            {"href": f"{url}?format=json", "type": "application/json", "title": "trace"},
        ],
        f"{GS1_VOC}recallStatus": [
            {
                "href": f"{url}#recall-banner" if view.alerts else f"{url}#verdict",
                "type": "text/html",
                "title": "recalled" if any(a.kind == "recalled" for a in view.alerts) else "none",
            }
        ],
    }
    if view.certificates:
        links[f"{GS1_VOC}certificationInfo"] = [
            {"href": f"{url}#certificates", "type": "text/html", "title": c.scheme}
            for c in view.certificates
        ]
    return {"linkset": [links]}


def _offset(moment: datetime) -> str:
    """``+07:00`` for a time in Vietnam: EPCIS wants the offset the event happened at."""
    text = moment.strftime("%z") or "+0000"
    return f"{text[:3]}:{text[3:]}"


def _epc_class(view: PageView, url: str) -> str:
    if view.batch.gtin:
        return f"https://id.gs1.org/01/{view.batch.gtin}/10/{view.batch.lot}"
    return url


def epcis_document(view: PageView, url: str) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document of the batch's events, in record order."""
    events = []
    epc_class = _epc_class(view, url)
    for event in view.events:
        try:
            kind = EventKind(event.kind)
        except ValueError:
            continue
        mapping = EPCIS_MAPPINGS[kind]
        if mapping.event_type is None or event.body is None:
            continue
        item: dict[str, Any] = {
            "type": mapping.event_type,
            "eventTime": event.occurred_at.isoformat(),
            "eventTimeZoneOffset": _offset(event.occurred_at),
            "recordTime": event.recorded_at.isoformat(),
        }
        if mapping.action:
            item["action"] = mapping.action
        if mapping.event_type == "TransformationEvent" and isinstance(event.body, Transformed):
            item["inputQuantityList"] = [
                {
                    "epcClass": f"{url.split('/01/')[0]}/api/v1/batches/{i.batch}",
                    "quantity": float(i.quantity.value),
                    "uom": i.quantity.unit,
                }
                for i in event.body.inputs
            ]
            item["outputQuantityList"] = [{"epcClass": epc_class}]
        else:
            item["quantityList"] = [{"epcClass": epc_class}]
        if mapping.biz_step:
            item["bizStep"] = mapping.biz_step
        disposition = epcis_disposition(kind, event.body)
        if disposition:
            item["disposition"] = disposition
        events.append(item)
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": view.events[-1].recorded_at.isoformat() if view.events else None,
        "epcisBody": {"eventList": events},
    }
