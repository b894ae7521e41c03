"""Extension values written so that every Event Hash ID implementation reads them one way.

The Event Hash ID (CBV 2.0 section 8.9) hashes an extension's value as text, but
implementations differ on two kinds of text (``docs/formats.md``, "One Event Hash ID"):

- text that reads as a number: GS1's reference tool hashes ``01`` as ``1`` and ``0.50``
  as ``0.5`` (XML cannot tell the string from the number), a tool that keeps strings
  does not. So a decimal field (``value``, ``limit``) is written in its canonical number
  form, and an administrative code (``province``, ``commune``), where the zeros are part
  of the code, is written as a URI of the ledger's vocabulary;
- a JSON boolean: the reference tool hashes Python's ``True``, others ``true``. So a
  boolean field is written as the text ``true`` or ``false``, which all hash alike;
- a bare word that is also a CBV term: the reference tool replaces ``conformant`` by the
  disposition's URI when the same document holds that disposition, a tool that reads
  only the event does not. So a result is written as the CBV disposition URI it means.

:func:`published` turns body values into extension values and :func:`read_back` undoes it,
so that capture reads an exported event back into the body it came from.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from trace.domain.epcis import CBV, TRACE_VOC

# Codes whose leading zeros are part of them: written as {TRACE_VOC}{field}-{code}.
CODE_FIELDS = frozenset({"province", "commune"})
# Decimal text (trace/domain/quantity.py): written without trailing zeros.
DECIMAL_FIELDS = frozenset({"value", "limit"})
# An inspection or analyte result: written as the CBV disposition of the same name.
RESULT_FIELDS = frozenset({"result"})
DISPOSITION = f"{CBV}Disp-"
# Boolean body fields, read back from their text.
BOOLEAN_FIELDS = frozenset({"last"})
_DECIMAL_TEXT = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def code_uri(field: str, code: str) -> str:
    """The URI an administrative code is published as: ``…/voc/province-01``."""
    return f"{TRACE_VOC}{field}-{code}"


def canonical_decimal(text: str) -> str:
    """``0.50`` as ``0.5``, ``3.0`` as ``3``: the text every implementation hashes alike."""
    number = Decimal(text).normalize()
    return format(number, "f") if number else "0"


def _publish_leaf(field: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return value
    if field in CODE_FIELDS:
        return code_uri(field, value)
    if field in DECIMAL_FIELDS and _DECIMAL_TEXT.fullmatch(value):
        return canonical_decimal(value)
    if field in RESULT_FIELDS:
        return DISPOSITION + value
    return value


def _read_leaf(field: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if field in BOOLEAN_FIELDS and value in ("true", "false"):
        return value == "true"
    if field in CODE_FIELDS and value.startswith(code_uri(field, "")):
        return value[len(code_uri(field, "")) :]
    if field in RESULT_FIELDS and value.startswith(DISPOSITION):
        return value[len(DISPOSITION) :]
    return value


def published(field: str, value: Any) -> Any:
    """The extension value of body field ``field`` (a leaf, a list or an object)."""
    if isinstance(value, dict):
        return {key: published(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [published(field, item) for item in value]
    return _publish_leaf(field, value)


def read_back(field: str, value: Any) -> Any:
    """The body value of an extension value :func:`published` wrote (other values unchanged)."""
    if isinstance(value, dict):
        return {key: read_back(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [read_back(field, item) for item in value]
    return _read_leaf(field, value)
