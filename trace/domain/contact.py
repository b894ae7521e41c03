"""How a shopper reaches an organisation: its phone, its address, its website.

Circular 02/2024/TT-BKHCN lists the producer's or trader's name and address among what a
consumer is shown. An organisation gives its contact; a household is a person, whose contact
the public page never shows (trace/public/view.py).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from trace.domain.errors import DomainError, FieldProblem
from trace.domain.kinds import Name
from trace.domain.texts import N_

# Digits and spaces as people write them ("+84 912 345 678", "0210 3855 123"), an optional
# leading plus; it starts and ends with a digit, so a stray space is not stored.
PHONE_PATTERN = r"^\+?[0-9][0-9 ]{4,22}[0-9]$"
# An http or https address of a host with at least one dot; no spaces or control characters
# (PostgreSQL's text holds no NUL, and a shopper's page shows the address as a link).
WEBSITE_PATTERN = (
    r"^https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][^\s\x00-\x1f\x7f]*)?$"
)

Phone = Annotated[
    str,
    msgspec.Meta(
        max_length=25,
        pattern=PHONE_PATTERN,
        description="Digits and spaces, an optional leading +: +84 912 345 678.",
    ),
]
Website = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        pattern=WEBSITE_PATTERN,
        description="An http:// or https:// address: https://htxbuoi.vn.",
    ),
]


class Contact(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, kw_only=True
):
    """An organisation's phone, address and website; each may be absent."""

    phone: Phone | None = None
    address: Name | None = None
    website: Website | None = None

    @property
    def empty(self) -> bool:
        """Nothing given."""
        return self.phone is None and self.address is None and self.website is None


class InvalidContact(DomainError):
    """A phone, address or website that cannot be stored as given."""

    code = "invalid_contact"
    words = N_("The contact details need correcting; each field is named below.")


def contact_of(
    phone: str | None = None, address: str | None = None, website: str | None = None
) -> Contact:
    """The contact given, each part checked; blank parts are absent.

    Raises :class:`InvalidContact` with every mistake as its ``problems``.
    """
    given = {
        name: value.strip()
        for name, value in (("phone", phone), ("address", address), ("website", website))
        if value is not None and value.strip()
    }
    try:
        return msgspec.convert(given, Contact, strict=True)
    except msgspec.ValidationError as exc:
        # The walk that words every mistake reads kinds.py, which this module reads too.
        from trace.domain.validation import value_problems

        problems = value_problems(Contact, given) or [FieldProblem("", N_("{field} is not valid."))]
        refused = InvalidContact(f"invalid contact: {exc}", count=len(problems))
        raise refused.having(problems) from exc
