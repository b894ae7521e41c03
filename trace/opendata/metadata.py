"""What describes a package: a Frictionless data package and a DCAT catalogue in JSON-LD.

``datapackage.json`` follows the Data Package and Table Schema specifications
(https://specs.frictionlessdata.io): one resource per file, the tabular ones with
their schema, CSV dialect, size and SHA-256. ``catalog.jsonld`` is a DCAT catalogue
(https://www.w3.org/TR/vocab-dcat-3/) shaped as CKAN's ckanext-dcat harvests it (the
DCAT-AP properties): each dataset with its titles, descriptions and keywords in
Vietnamese and English (``@language``), publisher (``foaf:Organization``), contact
point (``vcard``), licence, temporal (``dcat:``/``schema:startDate``…) and spatial
(``dct:Location``) coverage, modified date, and a distribution per file with its
media type, byte size and SHA-256 (``spdx:checksum``). Its ``@context`` is inline, so
reading it never fetches anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trace.domain.places import province_name
from trace.opendata.datasets import DATASETS, Dataset
from trace.opendata.manifest import FileEntry
from trace.opendata.terms import INSTRUMENTS, LICENSE_NAME, LICENSE_TITLE, TERMS, Citation

CONTEXT: Mapping[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "schema": "http://schema.org/",
    "spdx": "http://spdx.org/rdf/terms#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# GeoNames: Vietnam, the country every dataset covers.
VIETNAM = "https://sws.geonames.org/1562822/"
LANGUAGES = {
    "vi": "http://publications.europa.eu/resource/authority/language/VIE",
    "en": "http://publications.europa.eu/resource/authority/language/ENG",
}
FORMATS = {"csv": "CSV", "jsonl": "JSON Lines", "jsonld": "JSON-LD"}
KEYWORDS = {
    "vi": ("truy xuất nguồn gốc", "nông lâm thủy sản", "thực phẩm", "OCOP", "an toàn thực phẩm"),
    "en": ("traceability", "agri-food", "food safety", "OCOP", "supply chain"),
}
CATALOG_TITLE = {
    "vi": "Truy xuất nguồn gốc nông lâm thủy sản, thực phẩm và sản phẩm OCOP",
    "en": "Traceability of agricultural, forestry and fishery products, food and OCOP products",
}
CATALOG_DESCRIPTION = {
    "vi": "Dữ liệu mở từ sổ cái truy xuất nguồn gốc có chữ ký: lô hàng, sự kiện, kiểm nghiệm,"
    " chứng nhận, thu hồi, tổ chức và điểm kiểm tra của nhật ký. Mỗi gói có bản kê ký bằng"
    " khoá của nhật ký để kiểm tra ngoại tuyến.",
    "en": "Open data from a signed traceability ledger: batches, events, inspections,"
    " certifications, recalls, organisations and the log's checkpoints. Each package has a"
    " manifest signed with the log's key, checkable offline.",
}


@dataclass(frozen=True, slots=True)
class Description:
    """What the metadata says besides the files: who, where, when, and what it covers."""

    publisher: str
    public_url: str
    base_url: str  # where the package's files are published, ending in "/"
    modified: datetime
    first: datetime | None
    last: datetime | None
    provinces: frozenset[str]
    citation: Citation


def _both(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"@value": values[lang], "@language": lang} for lang in ("vi", "en")]


def _time(moment: datetime) -> dict[str, str]:
    return {"@value": moment.isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def table_schema(dataset: Dataset) -> dict[str, Any]:
    """The dataset's Table Schema: fields with types, descriptions (vi / en) and constraints."""
    fields = []
    for f in dataset.fields:
        item: dict[str, Any] = {"name": f.name, "type": f.type, "description": f"{f.vi} / {f.en}"}
        constraints: dict[str, Any] = {}
        if f.required:
            constraints["required"] = True
        if f.enum:
            constraints["enum"] = list(f.enum)
        if constraints:
            item["constraints"] = constraints
        fields.append(item)
    return {"fields": fields, "primaryKey": list(dataset.primary_key), "missingValues": [""]}


def _dataset_of(entry: FileEntry) -> tuple[Dataset | None, str]:
    stem, _, extension = entry.name.partition(".")
    return DATASETS.get(stem), extension


def _resource(entry: FileEntry) -> dict[str, Any]:
    dataset, extension = _dataset_of(entry)
    resource: dict[str, Any] = {
        "name": entry.name.replace(".", "-"),
        "path": entry.name,
        "mediatype": entry.media_type,
        "encoding": "utf-8",
        "bytes": entry.bytes,
        "hash": f"sha256:{entry.sha256}",
    }
    if dataset is None or extension not in ("csv", "jsonl"):
        resource["format"] = entry.name.rsplit(".", 1)[-1]
        return resource
    resource.update(
        {
            "profile": "tabular-data-resource",
            "format": extension,
            "title": f"{dataset.title_vi} / {dataset.title_en}",
            "description": f"{dataset.description_vi}\n\n{dataset.description_en}",
            "schema": table_schema(dataset),
        }
    )
    if extension == "csv":
        resource["dialect"] = {
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        }
    return resource


def data_package(files: Sequence[FileEntry], about: Description) -> dict[str, Any]:
    """The ``datapackage.json`` of a package's files."""
    return {
        "profile": "data-package",
        "name": "trace-open-data",
        "title": f"{CATALOG_TITLE['vi']} / {CATALOG_TITLE['en']}",
        "description": f"{CATALOG_DESCRIPTION['vi']}\n\n{CATALOG_DESCRIPTION['en']}",
        "homepage": about.base_url,
        "created": about.modified.isoformat().replace("+00:00", "Z"),
        "keywords": [*KEYWORDS["vi"], *KEYWORDS["en"]],
        "licenses": [
            {
                "name": LICENSE_NAME,
                "path": f"{about.base_url}terms.md",
                "title": f"{LICENSE_TITLE['vi']} / {LICENSE_TITLE['en']}",
            }
        ],
        "sources": [{"title": about.publisher, "path": about.public_url}],
        "terms": {
            lang: {
                "terms": list(TERMS[lang]),
                "legal_basis": list(INSTRUMENTS[lang]),
                "citation": about.citation.text(lang),
            }
            for lang in ("vi", "en")
        },
        "resources": [_resource(entry) for entry in files],
    }


def _distribution(entry: FileEntry, about: Description) -> dict[str, Any]:
    _, extension = _dataset_of(entry)
    url = f"{about.base_url}{entry.name}"
    return {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": entry.name,
        "dct:format": FORMATS.get(extension.rsplit(".", 1)[-1], extension),
        "dcat:accessURL": {"@id": about.base_url},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {
            "@id": f"https://www.iana.org/assignments/media-types/{entry.media_type}"
        },
        "dcat:byteSize": {"@value": str(entry.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": entry.sha256, "@type": "xsd:hexBinary"},
        },
        "dct:license": {"@id": f"{about.base_url}terms.md"},
        "dct:modified": _time(about.modified),
    }


def _coverage(about: Description) -> dict[str, Any]:
    covered: dict[str, Any] = {}
    if about.first is not None and about.last is not None:
        covered["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _time(about.first),
            "dcat:endDate": _time(about.last),
            "schema:startDate": _time(about.first),
            "schema:endDate": _time(about.last),
        }
    places: list[dict[str, Any]] = [
        {
            "@id": VIETNAM,
            "@type": "dct:Location",
            "skos:prefLabel": _both({"vi": "Việt Nam", "en": "Vietnam"}),
        }
    ]
    for code in sorted(about.provinces):
        places.append(
            {
                "@id": f"{about.public_url}/open-data/#province-{code}",
                "@type": "dct:Location",
                "dct:identifier": code,
                "skos:prefLabel": province_name(code),
                "dct:isPartOf": {"@id": VIETNAM},
            }
        )
    covered["dct:spatial"] = places
    return covered


def dcat_catalog(files: Sequence[FileEntry], about: Description) -> dict[str, Any]:
    """The DCAT catalogue: a ``dcat:Dataset`` per dataset, a ``dcat:Distribution`` per file."""
    landing = f"{about.public_url}/open-data/"
    publisher = {
        "@id": f"{landing}#publisher",
        "@type": "foaf:Organization",
        "foaf:name": about.publisher,
        "foaf:homepage": {"@id": about.public_url + "/"},
    }
    contact = {
        "@type": "vcard:Organization",
        "vcard:fn": about.publisher,
        "vcard:hasURL": {"@id": landing},
    }
    license_ = {
        "@id": f"{about.base_url}terms.md",
        "@type": "dct:LicenseDocument",
        "rdfs:label": _both(LICENSE_TITLE),
    }
    common = {
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:license": license_,
        "dct:language": [{"@id": uri} for uri in LANGUAGES.values()],
        "dct:modified": _time(about.modified),
        **_coverage(about),
    }
    datasets = []
    for name, group in _by_dataset(files).items():
        dataset = DATASETS.get(name)
        if dataset is None:
            continue
        datasets.append(
            {
                "@id": f"{landing}#{name}",
                "@type": "dcat:Dataset",
                "dct:identifier": name,
                "dct:title": _both({"vi": dataset.title_vi, "en": dataset.title_en}),
                "dct:description": _both(
                    {"vi": dataset.description_vi, "en": dataset.description_en}
                ),
                "dcat:keyword": [
                    {"@value": word, "@language": lang}
                    for lang in ("vi", "en")
                    for word in KEYWORDS[lang]
                ],
                "dcat:landingPage": {"@id": landing},
                "dct:rights": {
                    "@type": "dct:RightsStatement",
                    "rdfs:label": _both({lang: _rights(lang, about) for lang in ("vi", "en")}),
                },
                **common,
                "dcat:distribution": [_distribution(entry, about) for entry in group],
            }
        )
    return {
        "@context": dict(CONTEXT),
        "@id": f"{landing}#catalog",
        "@type": "dcat:Catalog",
        "dct:title": _both(CATALOG_TITLE),
        "dct:description": _both(CATALOG_DESCRIPTION),
        "foaf:homepage": {"@id": landing},
        **common,
        "dcat:dataset": datasets,
    }


def _rights(lang: str, about: Description) -> str:
    return " ".join((*TERMS[lang], about.citation.text(lang)))


def _by_dataset(files: Iterable[FileEntry]) -> dict[str, list[FileEntry]]:
    grouped: dict[str, list[FileEntry]] = {}
    for entry in files:
        grouped.setdefault(entry.name.partition(".")[0], []).append(entry)
    return grouped
