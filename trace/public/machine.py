"""The same batch for machines: a GS1 linkset (RFC 9264) and an EPCIS 2.0 document.

Link types are GS1's web vocabulary (https://gs1.org/voc/): ``pip`` (product
information page), ``traceability``, ``certificationInfo``, ``recallStatus``
and ``defaultLink``. The EPCIS document maps each record to its event type and
CBV business step (``trace/domain/epcis.py``) and names it by its Event Hash ID; the
full EPCIS interface, with every field of each kind and capture, is the inspectors' API.
"""

from __future__ import annotations

from typing import Any

from trace.public.view import PageView

GS1_VOC = "https://gs1.org/voc/"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def linkset(view: PageView, url: str) -> dict[str, Any]:
    """RFC 9264 linkset of the batch's page, with GS1 link types."""
    html = {"href": url, "type": "text/html", "hreflang": ["vi", "en"], "title": view.product}
    links: dict[str, Any] = {
        "anchor": url,
        # One default link, with a title and no other attribute (GS1-Conformant resolver).
        f"{GS1_VOC}defaultLink": [{"href": url, "title": view.product}],
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
