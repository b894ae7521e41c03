"""A language is added by adding its catalogue: no change of code.

The test copies the project's catalogues, adds a small French one (a few texts
translated; the rest falls back to English, the source language), points the service at
the copy (``TRACE_LOCALE_DIR``), and asks for a page and a problem in French.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from tests.conftest import ROOT, Cast
from tests.integration.helpers import register
from trace.translation import catalogue, languages

FRENCH = {
    "The record is intact": "Le dossier est intact",
    "Batch registered": "Lot enregistré",
    "Producer": "Producteur",
    "A valid access token is needed: send 'Authorization: Bearer <token>'. Revoked or "
    "unknown tokens are refused.": "Un jeton d'accès valide est nécessaire.",
}


@pytest.fixture
def with_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", folder)
    french = Catalog(locale="fr", project="trace")
    for text, translated in FRENCH.items():
        french.add(text, translated)
    target = folder / "fr" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        write_po(out, french)
    with monkeypatch.context() as env:
        env.setenv("TRACE_LOCALE_DIR", str(folder))
        languages.cache_clear()
        catalogue.cache_clear()
        yield
    languages.cache_clear()
    catalogue.cache_clear()


async def test_a_third_language_is_served_from_its_catalogue_alone(
    with_french: None, client: httpx.AsyncClient, cast: Cast
) -> None:
    assert languages() == ("vi", "en", "fr")
    batch = (await register(client, cast.producer))["batch"]
    page = await client.get(batch["public_path"], headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 200
    assert page.headers["content-language"] == "fr"
    assert '<html lang="fr">' in page.text
    assert "Le dossier est intact" in page.text and "Lot enregistré" in page.text
    # What the French catalogue lacks is shown in the source language, English.
    assert "Lookup code" in page.text
    # The switch offers the other languages, each named in itself.
    assert 'hreflang="vi" lang="vi">Tiếng Việt</a>' in page.text
    assert 'hreflang="en" lang="en">English</a>' in page.text
    asked = await client.get(batch["public_path"] + "?lang=fr")
    assert asked.headers["content-language"] == "fr"
    refused = await client.post("/api/v1/batches", json={}, headers={"Accept-Language": "fr"})
    assert refused.status_code == 401
    assert refused.json()["lang"] == "fr"
    assert refused.json()["detail"] == "Un jeton d'accès valide est nécessaire."


async def test_a_language_without_a_catalogue_is_answered_in_vietnamese(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    page = await client.get(batch["public_path"], headers={"Accept-Language": "fr"})
    assert page.headers["content-language"] == "vi"
    assert "Hồ sơ toàn vẹn" in page.text
