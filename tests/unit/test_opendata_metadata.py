"""Terms, Table Schemas and the DCAT catalogue, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from frictionless import Schema
from pyld import jsonld

from trace.opendata.datasets import DATASETS
from trace.opendata.manifest import FileEntry
from trace.opendata.metadata import Description, data_package, dcat_catalog, table_schema
from trace.opendata.terms import INSTRUMENTS, TERMS, Citation, terms_document

CITATION = Citation("Sở Nông nghiệp và Môi trường Hà Nội", 1234, "2026-09-02", "https://x.vn/od/")
ABOUT = Description(
    publisher=CITATION.publisher,
    public_url="https://x.vn",
    base_url="https://x.vn/od/",
    modified=datetime(2026, 9, 2, 1, 2, 3, tzinfo=UTC),
    first=datetime(2026, 6, 1, tzinfo=UTC),
    last=datetime(2026, 9, 1, tzinfo=UTC),
    provinces=frozenset({"01", "33"}),
    citation=CITATION,
)
FILES = [
    FileEntry("events.csv", 1000, "ab" * 32, "text/csv"),
    FileEntry("events.jsonl", 2000, "cd" * 32, "application/jsonl"),
    FileEntry("events.epcis.jsonld", 3000, "ef" * 32, "application/ld+json"),
    FileEntry("terms.md", 400, "01" * 32, "text/markdown"),
]


def test_the_citation_is_exact_text_in_both_languages() -> None:
    assert CITATION.text("vi") == (
        "Nguồn: Sở Nông nghiệp và Môi trường Hà Nội, Dữ liệu truy xuất nguồn gốc nông lâm thủy"
        " sản, thực phẩm và sản phẩm OCOP, điểm kiểm tra nhật ký 1234 ngày 2026-09-02,"
        " https://x.vn/od/"
    )
    assert CITATION.text("en").startswith("Source: Sở Nông nghiệp và Môi trường Hà Nội, ")
    assert "log checkpoint 1234 of 2026-09-02, https://x.vn/od/" in CITATION.text("en")


def test_the_terms_name_the_instruments_and_say_free_as_is_and_cite() -> None:
    document = terms_document(CITATION)
    assert document.index("# Điều khoản") < document.index("# Terms of use")
    for lang, words in (
        (
            "vi",
            ("tự do sử dụng, tái sử dụng và chia sẻ", "miễn phí", "theo hiện trạng", "trích dẫn"),
        ),
        ("en", ("use, reuse and share", "free of charge", "as it is", "cite")),
    ):
        text = " ".join(TERMS[lang])
        assert all(word in text for word in words), (lang, words)
        assert CITATION.text(lang) in document
    basis = " ".join(INSTRUMENTS["vi"] + INSTRUMENTS["en"])
    for number in ("60/2024/QH15", "194/2025/NĐ-CP", "194/2025/ND-CP", "47/2020/NĐ-CP", "19"):
        assert number in basis
    # Article numbers that could not be checked are not cited.
    assert "Điều " not in basis and "Article" not in basis


def test_every_table_schema_is_a_valid_frictionless_schema() -> None:
    for dataset in DATASETS.values():
        descriptor = table_schema(dataset)
        schema = Schema.from_descriptor(descriptor)
        assert [f.name for f in schema.fields] == list(dataset.field_names)
        for field in descriptor["fields"]:
            assert " / " in field["description"], field["name"]


def test_the_data_package_describes_every_file_with_size_and_hash() -> None:
    package = data_package(FILES, ABOUT)
    assert package["licenses"][0]["path"] == "https://x.vn/od/terms.md"
    assert package["terms"]["vi"]["citation"] == CITATION.text("vi")
    events = package["resources"][0]
    assert events["schema"]["primaryKey"] == ["position"] and events["dialect"]["header"]
    assert events["bytes"] == 1000 and events["hash"] == "sha256:" + "ab" * 32
    assert [r["name"] for r in package["resources"]] == [
        "events-csv",
        "events-jsonl",
        "events-epcis-jsonld",
        "terms-md",
    ]


def _offline(url: str, options: Any = None) -> Any:
    raise AssertionError(f"no document may be fetched, {url} was asked for")


def test_the_catalogue_expands_as_json_ld_without_fetching_anything() -> None:
    catalogue = json.loads(json.dumps(dcat_catalog(FILES, ABOUT)))
    (expanded,) = jsonld.expand(catalogue, {"documentLoader": _offline})
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    assert expanded["@type"] == [f"{dcat}Catalog"]
    (dataset,) = expanded[f"{dcat}dataset"]
    titles = {t["@language"]: t["@value"] for t in dataset[f"{dct}title"]}
    assert titles == {"vi": "Sự kiện truy xuất nguồn gốc", "en": "Traceability events"}
    distributions = dataset[f"{dcat}distribution"]
    assert [d["@id"] for d in distributions] == [
        "https://x.vn/od/events.csv",
        "https://x.vn/od/events.jsonl",
        "https://x.vn/od/events.epcis.jsonld",
    ]
    media = [d[f"{dcat}mediaType"][0]["@id"].rsplit("/", 2)[-2:] for d in distributions]
    assert media == [["text", "csv"], ["application", "jsonl"], ["application", "ld+json"]]
    assert [d[f"{dcat}byteSize"][0]["@value"] for d in distributions] == ["1000", "2000", "3000"]
    (period,) = dataset[f"{dct}temporal"]
    assert period[f"{dcat}startDate"][0]["@value"] == "2026-06-01T00:00:00Z"
    spatial = [
        place.get(f"{dct}identifier", [{}])[0].get("@value") for place in dataset[f"{dct}spatial"]
    ]
    assert spatial == [None, "01", "33"]
