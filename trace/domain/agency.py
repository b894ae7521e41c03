"""Agency kinds: who an organisation is in the supply chain."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    """The kinds of agency DESIGN.md names. Households are producers."""

    PRODUCER = "producer"
    PROCESSOR = "processor"
    DISTRIBUTOR = "distributor"
    AUTHORITY = "authority"
    CERTIFIER = "certifier"
    OPERATOR = "operator"
