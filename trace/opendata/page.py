"""The open-data catalogue as a page for people: each dataset, its files, fields and terms.

Plain HTML in the reader's language, with the public pages' style sheet inline (their
Content-Security-Policy allows it by hash), no script and no request elsewhere: it
reads on a phone on a slow network as the provenance pages do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from trace.local_formats import moment, number
from trace.opendata.cells import EPOCH, utc_micros
from trace.opendata.datasets import DATASETS
from trace.opendata.manifest import FileEntry, Manifest
from trace.opendata.metadata import FORMATS
from trace.opendata.terms import INSTRUMENTS, TERMS
from trace.public.render import HERE as PUBLIC_ASSETS
from trace.public.render import other_languages, template_words
from trace.translation import say


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("trace.opendata", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )


@cache
def _css() -> str:
    return (PUBLIC_ASSETS / "page.css").read_text(encoding="utf-8")


def _size(count: int, lang: str) -> str:
    for unit, scale in (("MB", 1 << 20), ("kB", 1 << 10)):
        if count >= scale:
            return f"{number(f'{count / scale:.1f}', lang)} {unit}"
    return say("{count} bytes", lang, count=count)


def _files(entries: Sequence[FileEntry], name: str, lang: str) -> list[dict[str, str]]:
    return [
        {
            "name": e.name,
            "format": FORMATS.get(e.name.rsplit(".", 1)[-1], e.name),
            "size": _size(e.bytes, lang),
            "sha256": e.sha256,
        }
        for e in entries
        if e.name.partition(".")[0] == name
    ]


def render_catalogue(manifest: Manifest, citation: str, lang: str, base: str) -> str:
    """The catalogue page of the package ``manifest`` describes, in ``lang``, with its citation."""
    signed = EPOCH + timedelta(microseconds=utc_micros(manifest.checkpoint.signed_at))
    when = moment(signed, lang)
    datasets: list[dict[str, Any]] = []
    for dataset in DATASETS.values():
        datasets.append(
            {
                "name": dataset.name,
                "title": dataset.title_vi if lang == "vi" else dataset.title_en,
                "description": dataset.description_vi if lang == "vi" else dataset.description_en,
                "files": _files(manifest.files, dataset.name, lang),
                "fields": [
                    {"name": f.name, "type": f.type, "meaning": f.vi if lang == "vi" else f.en}
                    for f in dataset.fields
                ],
            }
        )
    return (
        _environment()
        .get_template("catalogue.html")
        .render(
            **template_words(lang),
            other_languages=other_languages(lang, ""),
            css=_css(),
            base=base,
            manifest=manifest,
            signed_at=when,
            datasets=datasets,
            terms=TERMS[lang],
            instruments=INSTRUMENTS[lang],
            citation=citation,
        )
    )
