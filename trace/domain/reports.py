"""A shopper's report of a problem with a product: what is wrong, in their words.

A person who scanned a label may tell the authority of the batch's province and the
batch's producer that something is wrong: the label looks fake, the product is spoiled,
the information is wrong, or something else. They may add a photo and a way to reach
them (a phone number or an e-mail address), both only if they choose to. What they give
is personal data: it is shown to those two readers and never published or exported.

This module checks what the form sends (:func:`check_report`) and says, field by field,
what to fix; the photo is cleaned in ``trace/domain/report_photo.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from trace.domain.errors import DomainError, FieldProblem
from trace.domain.texts import N_

# Bounds of what a shopper types: enough for a few sentences, a phone number or an address.
MAX_TEXT = 2000
MAX_CONTACT = 120


class ReportProblem(StrEnum):
    """What a shopper says is wrong."""

    FAKE_LABEL = "fake_label"
    SPOILED = "spoiled"
    WRONG_INFORMATION = "wrong_information"
    OTHER = "other"


PROBLEM_NAMES: Mapping[ReportProblem, str] = MappingProxyType(
    {
        ReportProblem.FAKE_LABEL: N_("I suspect the label is fake"),
        ReportProblem.SPOILED: N_("The product is spoiled or damaged"),
        ReportProblem.WRONG_INFORMATION: N_("The information on the page is wrong"),
        ReportProblem.OTHER: N_("Something else"),
    }
)

# A phone number as people write it in Vietnam (0912 345 678, +84 912-345-678, (024)
# 3826 4567): digits with spaces, dots, dashes or brackets, 8 to 15 digits in all
# (ITU-T E.164 numbers have at most 15).
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 .()\-]+$")
# An e-mail address as RFC 5322's addr-spec, loosely: one @, a dot in the domain, no space.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


class ReportInvalid(DomainError):
    """A report's form holds mistakes; ``problems`` names each field and what to fix."""

    code = "report_invalid"
    words = N_("The report was not sent: {detail}")


# What to fix, per field, in the words the form shows beside it.
CHOOSE_PROBLEM = N_("Choose what is wrong with the product.")
DESCRIBE = N_("Say in a few words what is wrong (at most {limit} characters).")
TEXT_TOO_LONG = N_("Shorten the description to at most {limit} characters; it has {count}.")
CONTACT_TOO_LONG = N_("A phone number or e-mail address has at most {limit} characters.")
CONTACT_UNREADABLE = N_(
    "Write a phone number (like 0912 345 678) or an e-mail address (like ten@example.vn), "
    "or leave this empty."
)


@dataclass(frozen=True, slots=True)
class ReportDraft:
    """What a shopper's form says, checked: the problem, their words, their contact if any."""

    problem: ReportProblem
    text: str
    contact: str | None


def check_report(problem: str, text: str, contact: str) -> ReportDraft:
    """The draft of a report whose form says ``problem``, ``text`` and ``contact``.

    Raises :class:`ReportInvalid` with one :class:`FieldProblem` per field to fix.
    """
    problems: list[FieldProblem] = []
    chosen = _problem(problem, problems)
    words = _text(text, problems)
    reach = _contact(contact, problems)
    if problems or chosen is None:
        fields = ", ".join(p.path for p in problems)
        raise ReportInvalid(f"fields to fix: {fields}").having(problems)
    return ReportDraft(chosen, words, reach)


def _problem(value: str, problems: list[FieldProblem]) -> ReportProblem | None:
    try:
        return ReportProblem(value)
    except ValueError:
        problems.append(FieldProblem("problem", CHOOSE_PROBLEM))
        return None


def _text(value: str, problems: list[FieldProblem]) -> str:
    words = _normalised(value)
    if not words:
        problems.append(FieldProblem("text", DESCRIBE, {"limit": MAX_TEXT}))
    elif len(words) > MAX_TEXT:
        problems.append(
            FieldProblem("text", TEXT_TOO_LONG, {"limit": MAX_TEXT, "count": len(words)})
        )
    return words


def _contact(value: str, problems: list[FieldProblem]) -> str | None:
    reach = " ".join(value.split())
    if not reach:
        return None
    if len(reach) > MAX_CONTACT:
        problems.append(FieldProblem("contact", CONTACT_TOO_LONG, {"limit": MAX_CONTACT}))
    elif not (is_phone_number(reach) or _EMAIL.match(reach)):
        problems.append(FieldProblem("contact", CONTACT_UNREADABLE))
    return reach


def is_phone_number(value: str) -> bool:
    """Whether ``value`` is written as a phone number: 8 to 15 digits with separators."""
    digits = sum(character.isdigit() for character in value)
    return bool(_PHONE_CHARACTERS.match(value)) and 8 <= digits <= 15


def _normalised(value: str) -> str:
    """``value`` with Windows line ends made plain, each line's end spaces dropped, and
    control characters (other than the line end and the tab) removed."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = "\n".join(line.rstrip() for line in lines).strip()
    return "".join(c for c in kept if c in "\n\t" or c.isprintable())
