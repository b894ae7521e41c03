"""The gettext catalogues: every text of the code, in every language, whole and unambiguous.

The texts are extracted from the code and templates (babel.cfg) into locale/messages.pot
and translated in locale/<lang>/LC_MESSAGES/messages.po (scripts/update-catalogues). A
text added to the code and not to the catalogues, or one left untranslated, fuzzy, or
translated with other placeholders than its own, fails here, naming it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from tests.conftest import ROOT
from trace.translation import languages

LOCALE = ROOT / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=lang)


def _ids(catalogue: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}


def test_the_template_holds_exactly_the_texts_the_code_marks(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"),
            *("-k", "N_", "-k", "say", "-k", "say_n:1,2", "-k", "both", "-o", str(fresh), "."),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    in_code, in_template = _ids(_read(fresh)), _ids(_read(LOCALE / "messages.pot"))
    assert sorted(map(str, in_code - in_template)) == [], "run scripts/update-catalogues"
    assert sorted(map(str, in_template - in_code)) == [], "run scripts/update-catalogues"


@pytest.mark.parametrize("lang", languages())
def test_every_text_is_translated_in_every_language_and_none_is_fuzzy(lang: str) -> None:
    template = _ids(_read(LOCALE / "messages.pot"))
    catalogue = _read(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    assert _ids(catalogue) == template
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("lang", languages())
def test_a_translation_fills_the_same_placeholders_as_its_text(lang: str) -> None:
    catalogue = _read(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            # Vietnamese has one form for every number: it may say the count or not.
            if not wanted - {"count"} <= found <= wanted | {"count"}:
                wrong.append((ids[0], text))
    assert wrong == []
