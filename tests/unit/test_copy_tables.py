"""`copy-to` decides for every table whether it is copied or rebuilt, as the docs say."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from trace.backup.copy import REBUILT
from trace.store.tables import metadata


def _documented() -> dict[str, str]:
    """Each table of docs/operations.md's table of the copy, with its "copied" or "rebuilt"."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## From SQLite to PostgreSQL", 1)[1]
    how: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 3 and cells[1] in ("copied", "rebuilt"):
            for name in re.findall(r"`([a-z_]+)`", cells[0]):
                how[name] = cells[1]
    return how


def test_every_table_is_documented_as_copied_or_rebuilt_as_the_copy_does() -> None:
    documented = _documented()
    assert set(metadata.tables) <= set(documented)
    for name, table in metadata.tables.items():
        assert documented[name] == ("rebuilt" if table in REBUILT else "copied"), name
