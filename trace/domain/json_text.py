"""What JSON the ledger reads at all: how deeply it may nest and which characters text holds.

Both limits exist so that every reader agrees and none fails late:

- **Depth.** JSON nested more than :data:`MAX_DEPTH` levels (arrays and objects) is
  refused before it is decoded. Nothing this ledger reads needs more than about ten (a
  statement with an inspection's analytes is four, an EPCIS document with sensor reports
  nine), and 32 keeps every recursive reader, ours and the libraries', far below
  Python's recursion limit, which a few hundred levels already reach.
- **Characters.** Text holds no C0 control character (U+0000 to U+001F) but tab, line
  feed and carriage return, and no lone surrogate (U+D800 to U+DFFF). PostgreSQL cannot
  store U+0000 in text at all and SQLite can, so without this rule the two stores would
  disagree; the other controls have no place on a page or a label either; and a lone
  surrogate cannot be written as UTF-8.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32

# The characters text may not hold, as a regular expression class (also used in patterns).
FORBIDDEN_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_FORBIDDEN = re.compile(f"[{FORBIDDEN_CLASS}\ud800-\udfff]")

# A JSON string (quotes, escapes and all), and the brackets that remain once strings are gone.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deeply the arrays and objects of the JSON ``text`` nest, counted up to ``limit + 1``.

    The text is not decoded (that is what a reader would recurse on); malformed JSON gets
    some number and is refused by the decoder that follows.
    """
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` that text may not hold, or None."""
    found = _FORBIDDEN.search(text)
    return None if found is None else found.group()


def misplaced_character(value: Any, path: str = "") -> tuple[str, str] | None:
    """Where in decoded JSON ``value`` a string (key or value) holds a forbidden character.

    Returns the field's path (``body.analytes[0].name``; a key is named by its parent's
    path and itself) and the character, or None when every string is clean. Iterative, so
    any depth is safe.
    """
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            character = forbidden_character(item)
            if character is not None:
                return where or "$", character
        elif isinstance(item, dict):
            for key, inner in item.items():
                inside = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and forbidden_character(key) is not None:
                    return inside, str(forbidden_character(key))
                pending.append((inner, inside))
        elif isinstance(item, list | tuple):
            pending.extend((inner, f"{where}[{i}]") for i, inner in enumerate(item))
    return None


def describe_character(character: str) -> str:
    """A character as a person can read it in a message: ``U+0000``."""
    return f"U+{ord(character):04X}"
