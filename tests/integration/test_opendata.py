"""Open-data exports on both databases: validity, no personal data, deltas, HTTP interface.

The seeded ledger has what a real one has and an export must not leak: household
producers (one of them consented to its name on the public page), tokens made for
named officials with their phone numbers, a phone number in a harvest note, an exact
address as a shipment's destination, a person named as a seed source and in a
correction's reason.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frictionless
import httpx
import jsonschema
import pytest
from sqlalchemy import select, update

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import stored
from tests.integration.test_public_page import FIXTURES
from trace.api.app import create_app
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.event_hash import event_hash_id
from trace.opendata.datasets import DATASETS
from trace.opendata.export import ExportRangeInvalid, ExportTargetNotEmpty, Site, cut_package
from trace.opendata.manifest import MANIFEST, decode_manifest
from trace.opendata.verify import verify_package
from trace.store.agencies import create_token
from trace.store.append import append_unsigned, new_batch_id
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import agencies, agency_keys, inspector_audit, log_keys, tokens

ORIGIN = "trace.example.vn/log"
WHEN = "2026-09-01T07:00:00+07:00"
GTIN = "8936047000128"
# What people typed that names or reaches a person: it must never leave the ledger.
PHONES = ["0912 345 678", "0912345678", "0987654321", "0903 111 222"]
ADDRESS = "Số 12 ngõ 34 phố Huế, Hai Bà Trưng"
SEED_SOURCE = "mua giống của ông Phạm Văn Ba"
CORRECTION = "Anh Tâm nhập nhầm số lượng"
HARVEST_NOTE = "Gọi anh Tâm 0912345678 khi cần"
OFFICIAL = "Trần Quốc Bảo, thanh tra viên, 0903 111 222"


@dataclass
class Seeded:
    """The seeded ledger: its households, the log's size, and checkpoints signed on the way."""

    tam: Member
    hoa: Member
    tokens: list[str] = field(default_factory=list)
    size: int = 0


async def _event(
    ledger: Ledger, member: Member, batch: str, kind: str, body: dict[str, Any]
) -> Any:
    return await append_unsigned(
        ledger, member.actor, batch=batch, kind=kind, occurred_at=WHEN, body=body
    )


def _kg(value: str) -> dict[str, str]:
    return {"value": value, "unit": "KGM"}


async def seed(ledger: Ledger, cast: Cast) -> Seeded:
    """A ledger with every kind of fact an export carries, and personal data it must not."""
    tam = await make_member(
        ledger,
        "Nguyễn Văn Tâm",
        AgencyKind.PRODUCER,
        household=True,
        province="01",
        commune="00091",
        person="Nguyễn Văn Tâm 0912 345 678",
    )
    hoa = await make_member(
        ledger,
        "Lê Thị Hoa",
        AgencyKind.DISTRIBUTOR,
        household=True,
        province="33",
        commune="11953",
        person="Lê Thị Hoa, 0987654321",
    )
    async with write_transaction(ledger.engine) as conn:
        # She agreed to her name on the public page; open data still leaves it out.
        await conn.execute(
            update(agencies).where(agencies.c.id == hoa.id).values(public_consent=True)
        )
    seeded = Seeded(tam, hoa)
    seeded.tokens.append(await create_token(ledger, cast.authority.id, OFFICIAL))
    greens = new_batch_id()
    await _event(
        ledger,
        tam,
        greens,
        "registered",
        {
            "product": "Rau muống",
            "lot": "RM-1",
            "origin": {"province": "01", "commune": "00091"},
            "quantity": _kg("50"),
        },
    )
    await _event(
        ledger,
        tam,
        greens,
        "planted",
        {"crop": "Rau muống", "area": "RUONG-1", "seed_source": SEED_SOURCE},
    )
    harvest = await _event(
        ledger, tam, greens, "harvested", {"quantity": _kg("50"), "note": HARVEST_NOTE}
    )
    await _event(
        ledger,
        tam,
        greens,
        "shipped",
        {"to": cast.distributor.id, "quantity": _kg("50"), "destination": ADDRESS},
    )
    await sign_checkpoint(ledger, ORIGIN)
    await _event(ledger, cast.distributor, greens, "received", {"from": tam.id})
    await _event(ledger, cast.distributor, greens, "shipped", {"to": hoa.id})
    await _event(ledger, hoa, greens, "received", {"from": cast.distributor.id})
    await _event(ledger, hoa, greens, "sold", {"quantity": _kg("50"), "last": True})
    pomelo = new_batch_id()
    await _event(
        ledger,
        cast.producer,
        pomelo,
        "registered",
        {"product": "Bưởi Diễn", "lot": "BD-1", "gtin": GTIN, "origin": {"province": "01"}},
    )
    await _event(
        ledger,
        cast.authority,
        pomelo,
        "inspected",
        {
            "laboratory": "Trung tâm Kiểm nghiệm Hà Nội",
            "samples": [{"code": "M-1"}, {"code": "M-2"}],
            "result": "conformant",
            "analytes": [
                {
                    "name": "Cadimi",
                    "value": "0.01",
                    "unit": "mg/kg",
                    "method": "ICP-MS",
                    "result": "conformant",
                    "limit": "0.05",
                },
                {
                    "name": "Chlorpyrifos",
                    "value": "<0.005",
                    "unit": "mg/kg",
                    "method": "GC-MS/MS",
                    "result": "conformant",
                },
            ],
        },
    )
    await _event(
        ledger,
        cast.certifier,
        pomelo,
        "certified",
        {
            "scheme": "ocop",
            "certificate_number": "OCOP-HN-2026-001",
            "issuer": "UBND Thành phố Hà Nội",
            "issuer_level": "province",
            "stars": 4,
            "decision_number": "123/QĐ-UBND",
            "valid_from": "2026-01-15",
            "valid_until": "2029-01-14",
        },
    )
    await sign_checkpoint(ledger, ORIGIN)
    paddy, other, rice = new_batch_id(), new_batch_id(), new_batch_id()
    for batch, lot in ((paddy, "THOC-1"), (other, "THOC-2"), (rice, "GAO-1")):
        await _event(
            ledger,
            cast.processor,
            batch,
            "registered",
            {
                "product": "Thóc ST25" if batch != rice else "Gạo ST25",
                "lot": lot,
                "origin": {"province": "96"},
            },
        )
    await _event(
        ledger,
        cast.processor,
        rice,
        "transformed",
        {
            "process": "blending",
            "inputs": [
                {"batch": paddy, "quantity": _kg("10")},
                {"batch": other, "quantity": _kg("5")},
            ],
            "description": "Trộn theo yêu cầu của chị Lê Thị Hoa",
        },
    )
    await _event(
        ledger,
        cast.authority,
        paddy,
        "recalled",
        {
            "reason": "Vượt giới hạn cadimi",
            "severity": "class_1",
            "decision_number": "45/QĐ-CCQLCL",
        },
    )
    await sign_checkpoint(ledger, ORIGIN)
    await _event(
        ledger,
        tam,
        greens,
        "corrected",
        {"corrects": harvest.record.record_hash.hex(), "reason": CORRECTION},
    )
    seeded.size = (await stored(ledger))[1]
    return seeded


async def personal_values(ledger: Ledger, seeded: Seeded, cast: Cast) -> list[str]:
    """Every personal value the test database holds, in every spelling an export could use."""
    values = [*PHONES, ADDRESS, SEED_SOURCE, CORRECTION, HARVEST_NOTE, OFFICIAL, *seeded.tokens]
    values += [m.token for m in (*vars(cast).values(), seeded.tam, seeded.hoa)]
    async with read_transaction(ledger.engine) as conn:
        households = (
            await conn.execute(select(agencies).where(agencies.c.household.is_(True)))
        ).all()
        values += [row.name for row in households] + [row.id for row in households]
        for row in (await conn.execute(select(tokens.c.person, tokens.c.token_hash))).all():
            values += [row.person, row.token_hash]
        keys = (await conn.execute(select(agency_keys))).all()
        for key in keys:
            secrets = [bytes(key.sealed_private_key)] if key.sealed_private_key else []
            if key.agency_id in {row.id for row in households}:
                secrets.append(bytes(key.public_key))
                values.append(key.key_id)
            for secret in secrets:
                values += [secret.hex(), base64.b64encode(secret).decode()]
        for row in (await conn.execute(select(log_keys.c.sealed_private_key))).all():
            sealed = bytes(row.sealed_private_key)
            values += [sealed.hex(), base64.b64encode(sealed).decode()]
        values += list((await conn.execute(select(inspector_audit.c.person))).scalars())
    return sorted({v for v in values if v})


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def export(ledger: Ledger, out: Path, start: int = 0, end: int | None = None) -> Any:
    site = Site.of(ORIGIN, "https://trace.example.vn")
    return await cut_package(ledger, out, site, start=start, end=end)


async def test_the_package_validates_with_frictionless_and_verifies(
    ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    seeded = await seed(ledger, cast)
    manifest = await export(ledger, tmp_path / "pkg")
    assert manifest.range.end == seeded.size
    report = frictionless.validate(tmp_path / "pkg" / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == 16  # 7 datasets x 2 formats, the EPCIS document, the terms
    checked = verify_package(tmp_path / "pkg", manifest.log_key)
    assert checked.intact, checked.problems
    assert checked.events == seeded.size and checked.files == len(manifest.files)


async def test_no_personal_value_appears_in_any_file(
    ledger: Ledger, cast: Cast, tmp_path: Path, settings: Settings
) -> None:
    seeded = await seed(ledger, cast)
    await export(ledger, tmp_path / "pkg")
    personal = await personal_values(ledger, seeded, cast)
    assert "Lê Thị Hoa" in personal and OFFICIAL in personal and seeded.tam.id in personal
    texts = {p.name: p.read_bytes().decode("utf-8") for p in (tmp_path / "pkg").iterdir()}
    app = create_app(settings, ledger=ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        for lang in ("vi", "en"):
            texts[f"/open-data/?lang={lang}"] = (await http.get(f"/open-data/?lang={lang}")).text
    hits = [(name, value) for name, text in texts.items() for value in personal if value in text]
    assert hits == []
    # The households are still there, by place: the batch, its origin and its holder's kind.
    batches = rows(tmp_path / "pkg" / "batches.csv")
    greens = next(b for b in batches if b["product"] == "Rau muống")
    assert greens["producer_household"] == "true" and greens["producer_id"] == ""
    assert greens["origin_commune"] == "Phường Phú Thượng" and greens["status"] == "sold_out"
    shipments = [e for e in rows(tmp_path / "pkg" / "events.csv") if e["kind"] == "shipped"]
    assert [s["counterparty_name"] for s in shipments] == ["Siêu thị", ""]
    assert all(
        a["name"] not in ("Nguyễn Văn Tâm", "Lê Thị Hoa")
        for a in rows(tmp_path / "pkg" / "agencies.csv")
    )


def _keyed(dataset: str, items: list[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    key = DATASETS[dataset].primary_key
    return {tuple(str(item[k]) for k in key): item for item in items}


async def test_the_full_export_equals_the_union_of_deltas(
    ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    seeded = await seed(ledger, cast)
    size = seeded.size
    cuts = [0, 3, 9, 14, size]  # none of 3, 9 and 14 is a checkpoint's size
    await export(ledger, tmp_path / "full")
    for start, end in itertools.pairwise(cuts):
        folder = tmp_path / f"delta-{start}"
        manifest = await export(ledger, folder, start, end)
        assert (manifest.range.start, manifest.range.end) == (start, end)
        checked = verify_package(folder, manifest.log_key)
        assert checked.intact, checked.problems
        assert checked.events == end - start
    for name in DATASETS:
        for reader, extension in ((rows, "csv"), (lines, "jsonl")):
            full = reader(tmp_path / "full" / f"{name}.{extension}")
            merged: dict[tuple[str, ...], dict[str, Any]] = {}
            for start in cuts[:-1]:
                for key, item in _keyed(
                    name, reader(tmp_path / f"delta-{start}" / f"{name}.{extension}")
                ).items():
                    # A later delta's row of a batch is its newer state.
                    if name != "batches":
                        assert key not in merged, (name, key)
                    if key not in merged or int(item["last_position"]) > int(
                        merged[key]["last_position"]
                    ):
                        merged[key] = item
            assert merged == _keyed(name, full), name
            assert full, name


async def test_a_range_beyond_the_log_or_a_used_folder_is_refused(
    ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    seeded = await seed(ledger, cast)
    with pytest.raises(ExportRangeInvalid):
        await export(ledger, tmp_path / "a", 0, seeded.size + 1)
    with pytest.raises(ExportRangeInvalid):
        await export(ledger, tmp_path / "b", 5, 4)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("x")
    with pytest.raises(ExportTargetNotEmpty):
        await export(ledger, used)
    assert not (tmp_path / "a").exists() and sorted(p.name for p in used.iterdir()) == ["notes.txt"]


def _triples(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    from pyld import jsonld

    def offline(url: str, options: Any = None) -> Any:
        raise AssertionError(f"the catalogue made the JSON-LD processor fetch {url}")

    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": offline})
    found = set()
    for line in nquads.splitlines():
        subject, predicate, rest = line.split(" ", 2)
        found.add((subject, predicate, rest.rsplit(" ", 1)[0]))
    return found


DCAT = "<http://www.w3.org/ns/dcat#"
DCT = "<http://purl.org/dc/terms/"


async def test_the_dcat_catalogue_is_json_ld_with_every_field_a_portal_harvests(
    ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    await seed(ledger, cast)
    manifest = await export(ledger, tmp_path / "pkg")
    triples = _triples(
        json.loads((tmp_path / "pkg" / "catalog.jsonld").read_text(encoding="utf-8"))
    )
    datasets = {s for s, p, o in triples if p.endswith("#type>") and o == f"{DCAT}Dataset>"}
    assert len(datasets) == len(DATASETS)

    def values(subject: str, predicate: str) -> set[str]:
        return {o for s, p, o in triples if s == subject and p == predicate}

    for dataset in datasets:
        for term in ("title", "description"):
            literals = values(dataset, f"{DCT}{term}>")
            assert {o.rsplit("@", 1)[1] for o in literals} == {"vi", "en"}, (dataset, term)
        for term in ("publisher", "license", "temporal", "spatial", "modified"):
            assert values(dataset, f"{DCT}{term}>"), (dataset, term)
        (publisher,) = values(dataset, f"{DCT}publisher>")
        assert values(publisher, "<http://xmlns.com/foaf/0.1/name>")
        (period,) = values(dataset, f"{DCT}temporal>")
        assert values(period, f"{DCAT}startDate>") and values(period, f"{DCAT}endDate>")
        assert "<https://sws.geonames.org/1562822/>" in values(dataset, f"{DCT}spatial>")
        for distribution in values(dataset, f"{DCAT}distribution>"):
            assert values(distribution, f"{DCAT}mediaType>"), distribution
            (size,) = values(distribution, f"{DCAT}byteSize>")
            name = distribution.strip("<>").rsplit("/", 1)[1]
            entry = next(e for e in manifest.files if e.name == name)
            assert size == f'"{entry.bytes}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>'
            assert values(distribution, f"{DCT}modified>")
    provinces = {o for s, p, o in triples if p == "<http://www.w3.org/2004/02/skos/core#prefLabel>"}
    assert '"Hà Nội"' in provinces and '"Cà Mau"' in provinces


async def test_the_epcis_document_validates_and_names_events_by_their_hash(
    ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    schema_path = FIXTURES / "epcis" / "schema" / "EPCIS-JSON-Schema.json"
    if not schema_path.exists():
        pytest.skip(f"the EPCIS 2.0 JSON Schema is not at {schema_path} (../shared is absent)")
    seeded = await seed(ledger, cast)
    await export(ledger, tmp_path / "pkg")
    document = json.loads((tmp_path / "pkg" / "events.epcis.jsonld").read_text(encoding="utf-8"))
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(document)] == []
    events = document["epcisBody"]["eventList"]
    assert len(events) == seeded.size  # every record, the correction as a declaration
    for event in events:
        assert event["eventID"] == event_hash_id(event, document["@context"])
    declared = [e for e in events if "errorDeclaration" in e]
    harvest = next(e for e in events if e["bizStep"].endswith("harvesting"))
    assert [d["eventID"] for d in declared] == [harvest["eventID"]]
    types = {e["type"] for e in events}
    assert types == {"ObjectEvent", "TransformationEvent"}
    assert all(
        seeded.tam.id not in json.dumps(e) and seeded.hoa.id not in json.dumps(e) for e in events
    )


async def test_the_catalogue_and_files_over_http_match_the_signed_manifest(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    await seed(ledger, cast)
    app = create_app(settings, ledger=ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        page = await http.get("/open-data/")
        assert page.status_code == 200 and page.headers["content-language"] == "vi"
        assert "Dữ liệu mở" in page.text and "Sự kiện truy xuất nguồn gốc" in page.text
        assert (
            "<script" not in page.text
            and "default-src 'none'" in page.headers["content-security-policy"]
        )
        english = await http.get("/open-data/", headers={"Accept-Language": "en"})
        assert "Traceability events" in english.text and "Required citation" in english.text
        catalogue = await http.get("/open-data/", headers={"Accept": "application/ld+json"})
        assert catalogue.headers["content-type"].startswith("application/ld+json")
        assert catalogue.json()["@type"] == "dcat:Catalog"
        manifest = decode_manifest((await http.get(f"/open-data/{MANIFEST}")).content)
        for entry in manifest.files:
            got = await http.get(
                f"/open-data/{entry.name}", headers={"Accept-Encoding": "identity"}
            )
            assert got.status_code == 200, entry.name
            assert hashlib.sha256(got.content).hexdigest() == entry.sha256, entry.name
        events = await http.get("/open-data/events.csv")
        assert events.headers["content-type"].startswith("text/csv; charset=utf-8")
        tag = events.headers["etag"]
        assert tag.startswith(f'"{manifest.range.end}-events.csv')
        again = await http.get("/open-data/events.csv", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        missing = await http.get("/open-data/secrets.csv")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        # A new record: the current cut is served at once, the next one cut meanwhile (here
        # without waiting the few minutes a deployment leaves between two cuts).
        app.state.open_data.interval = 0
        await _event(
            ledger,
            cast.producer,
            new_batch_id(),
            "registered",
            {"product": "Vải thiều", "lot": "VT-1", "origin": {"province": "24"}},
        )
        await sign_checkpoint(ledger, settings.log_origin)
        stale = await http.get("/open-data/events.csv", headers={"If-None-Match": tag})
        assert stale.status_code == 304
        await app.state.open_data.task
        fresh = await http.get("/open-data/events.csv", headers={"If-None-Match": tag})
        assert fresh.status_code == 200 and "Vải thiều" in fresh.text
