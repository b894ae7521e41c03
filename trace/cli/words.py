"""What the command line says instead of codes: the record's words (trace/record_words.py),
with agencies named by asking the service.
"""

from __future__ import annotations

from trace.cli.remote import Service, ServiceRefused
from trace.domain.places import commune_name, province_name
from trace.record_words import (
    AgencyName,
    day_words,
    disposition_words,
    fields_in_words,
    kind_words,
    time_words,
)

__all__ = [
    "AgencyName",
    "AgencyNames",
    "day_words",
    "disposition_words",
    "fields_in_words",
    "kind_words",
    "time_words",
]


class AgencyNames:
    """Agencies' names, asked of the service once each (``GET /api/v1/agencies/{id}``).

    A household is named by its commune and province; an agency the service does not
    know keeps its id.
    """

    def __init__(self, service: Service) -> None:
        self.service = service
        self.known: dict[str, str] = {}

    def __call__(self, agency_id: str) -> str:
        """The name of ``agency_id``."""
        if agency_id not in self.known:
            self.known[agency_id] = self._ask(agency_id)
        return self.known[agency_id]

    def _ask(self, agency_id: str) -> str:
        try:
            agency = self.service.get(f"/api/v1/agencies/{agency_id}")["agency"]
        except ServiceRefused as refused:
            if refused.status == 404:
                return agency_id
            raise
        if not agency.get("household"):
            return str(agency["name"])
        places = (
            commune_name(agency["commune"]) if agency.get("commune") else None,
            province_name(agency["province"]) if agency.get("province") else None,
        )
        return ", ".join(p for p in places if p) or agency_id
