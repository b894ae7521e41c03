"""A Python client generated from the service's own OpenAPI description works against it.

openapi-python-client (requirements-test.txt), a maintained generator, runs as a command
on ``/schema/openapi.json`` and writes a typed client into a temporary folder, failing on
any warning (a construct of the description it cannot read). The test imports that client
and, through typed calls only, records a batch, an event of every kind that
``POST /api/v1/batches/{ref}/events`` takes, each by the agency that may record it, and a
print run of labels; then it reads the history back. A call the service refuses, or an
answer that no longer parses into the generated models, fails the test: the description
has drifted from the service. The client talks to the application in process, through
httpx, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, Member
from trace.api.app import create_app
from trace.api.examples import EXAMPLES
from trace.config import Settings
from trace.domain.kinds import EventKind
from trace.store.ledger import Ledger

VIETNAM = timezone(timedelta(hours=7))
# The generator reads JSON, text and application/octet-stream answers; a label (PDF, PNG,
# SVG) is bytes to save, so it is told to treat those media types as octet streams.
GENERATOR_CONFIG = {
    "post_hooks": [],
    "content_type_overrides": {
        media_type: "application/octet-stream"
        for media_type in (
            "application/pdf",
            "image/jpeg",
            "image/png",
            "image/svg+xml",
            "image/webp",
        )
    },
}


class Generated:
    """The generated package: ``api(...)`` for an operation's module, ``models`` for types."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.models = importlib.import_module(f"{name}.models")
        self.client = importlib.import_module(f"{name}.client")

    def api(self, tag: str, operation: str) -> ModuleType:
        """The module of one operation, as the generator names it (tag, operation id)."""
        return importlib.import_module(f"{self.name}.api.{tag}.{operation}")


@pytest.fixture(scope="session")
def generate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Generated]]:
    """Generates (once per description) and imports a client package from a description."""
    made: dict[str, Generated] = {}
    folders: list[str] = []

    def run(description: str) -> Generated:
        digest = hashlib.sha256(description.encode()).hexdigest()[:12]
        if digest not in made:
            folder = tmp_path_factory.mktemp("generated-client")
            name = f"trace_client_{digest}"
            (folder / "openapi.json").write_text(description, encoding="utf-8")
            (folder / "config.json").write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
            done = subprocess.run(
                [
                    *(sys.executable, "-m", "openapi_python_client", "generate"),
                    *("--path", str(folder / "openapi.json")),
                    *("--output-path", str(folder / name)),
                    *("--config", str(folder / "config.json")),
                    *("--meta", "none", "--fail-on-warning"),
                ],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            sys.path.insert(0, str(folder))
            folders.append(str(folder))
            made[digest] = Generated(name)
        return made[digest]

    yield run
    for folder in folders:
        sys.path.remove(folder)


@pytest.fixture
async def generated(client: httpx.AsyncClient, generate: Callable[[str], Generated]) -> Generated:
    description = await client.get("/schema/openapi.json")
    assert description.status_code == 200
    return generate(description.text)


@pytest.fixture
async def acting_as(
    settings: Settings, ledger: Ledger, generated: Generated
) -> AsyncIterator[Callable[[Member], Any]]:
    """The generated AuthenticatedClient of a member, talking to the app in process."""
    transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
    opened: list[Any] = []

    def client_of(member: Member) -> Any:
        made = generated.client.AuthenticatedClient(
            base_url="http://testserver", token=member.token, httpx_args={"transport": transport}
        )
        opened.append(made)
        return made

    yield client_of
    for made in opened:
        await made.get_async_httpx_client().aclose()


def _when(day: int, hour: int) -> datetime:
    return datetime(2025, 11, day, hour, 0, tzinfo=VIETNAM)


async def test_a_generated_client_records_every_kind_and_a_label_run_with_typed_calls(
    generated: Generated, acting_as: Callable[[Member], Any], cast: Cast
) -> None:
    m = generated.models
    producer, processor = acting_as(cast.producer), acting_as(cast.processor)
    distributor, authority = acting_as(cast.distributor), acting_as(cast.authority)
    certifier = acting_as(cast.certifier)
    register = generated.api("batches", "api_v1_batches_register")
    record_event = generated.api("batches", "api_v1_batches_ref_events_record_event")

    def kg(value: str) -> Any:
        return m.Quantity(value=value, unit=m.Unit.KGM)

    async def new_batch(who: Any, product: str, lot: str, quantity: str, **more: Any) -> Any:
        origin = m.Origin(province="01")
        body = m.Registered(product=product, lot=lot, origin=origin, quantity=kg(quantity), **more)
        answer = await register.asyncio_detailed(
            client=who, body=m.BatchIn(occurred_at=_when(18, 6), body=body)
        )
        assert answer.status_code == 201, answer.content
        assert isinstance(answer.parsed, m.AppendedOut), answer.content
        return answer.parsed.batch

    async def record(who: Any, batch: Any, event: Any) -> Any:
        answer = await record_event.asyncio_detailed(batch.id, client=who, body=event)
        assert answer.status_code == 201, (event.kind, answer.content)
        assert isinstance(answer.parsed, m.AppendedOut), answer.content
        assert answer.parsed.record.kind == event.kind
        return answer.parsed.record

    pomelo = await new_batch(producer, "Bưởi Diễn", "BD-2025-11", "1200.5", gtin="8936047000128")
    await record(
        producer,
        pomelo,
        m.EventInPlanted(
            kind="planted",
            occurred_at=datetime(2022, 2, 10, 7, tzinfo=VIETNAM),
            body=m.Planted(
                crop="Bưởi",
                area="VUON-PT-03",
                variety="Bưởi Diễn",
                area_size=m.AreaSize(value="1.2", unit=m.AreaUnit.HAR),
            ),
        ),
    )
    await record(
        producer,
        pomelo,
        m.EventInInputApplied(
            kind="input_applied",
            occurred_at=datetime(2025, 10, 5, 6, tzinfo=VIETNAM),
            body=m.InputApplied(
                input_kind=m.InputKind.PESTICIDE,
                product="Anvil 5SC",
                dose=m.Dose(value="1.25", unit=m.Unit.MLT, per=m.DoseBasis.LTR),
                applied_to="VUON-PT-03",
                active_ingredient="Hexaconazole",
                pre_harvest_interval_days=7,
            ),
        ),
    )
    harvest = await record(
        producer,
        pomelo,
        m.EventInHarvested(
            kind="harvested", occurred_at=_when(18, 7), body=m.Harvested(quantity=kg("1200.5"))
        ),
    )
    await record(
        producer,
        pomelo,
        m.EventInProcessed(
            kind="processed",
            occurred_at=_when(18, 14),
            body=m.Processed(process="Rửa, lau khô và dán tem", output_quantity=kg("1180")),
        ),
    )
    await record(
        producer,
        pomelo,
        m.EventInPacked(
            kind="packed",
            occurred_at=_when(19, 8),
            body=m.Packed(package_type="Hộp quà 2 quả", count=400, quantity=kg("1180")),
        ),
    )
    await record(
        authority,
        pomelo,
        m.EventInInspected(
            kind="inspected",
            occurred_at=_when(19, 10),
            body=m.Inspected(
                laboratory="Trung tâm Kiểm nghiệm Nông sản Hà Nội",
                samples=[m.Sample(code="MAU-2025-1119", taken_at=_when(19, 8))],
                analytes=[
                    m.Analyte(
                        name="Hexaconazole",
                        value="<0.01",
                        unit="mg/kg",
                        method="LC-MS/MS",
                        result=m.InspectionResult.CONFORMANT,
                        limit="0.1",
                    )
                ],
                result=m.InspectionResult.CONFORMANT,
            ),
        ),
    )
    await record(
        certifier,
        pomelo,
        m.EventInCertified(
            kind="certified",
            occurred_at=_when(19, 9),
            body=m.Certified(
                scheme=m.Scheme.OCOP,
                certificate_number="OCOP-HN-2025-0412",
                issuer="Ủy ban nhân dân thành phố Hà Nội",
                valid_from=date(2025, 6, 15),
                valid_until=date(2028, 6, 14),
                issuer_level=m.IssuerLevel.PROVINCE,
                stars=4,
            ),
        ),
    )
    await record(
        producer,
        pomelo,
        m.EventInCorrected(
            kind="corrected",
            occurred_at=_when(21, 8),
            body=m.Corrected(corrects=harvest.record_hash, reason="Nhập nhầm khối lượng"),
        ),
    )
    printed = EXAMPLES[EventKind.SERIALISED].body
    await record(
        producer,
        pomelo,
        m.EventInSerialised(
            kind="serialised",
            occurred_at=_when(19, 11),
            body=m.Serialised(
                run=printed["run"],
                count=printed["count"],
                first=printed["first"],
                last=printed["last"],
                serials_sha256=printed["serials_sha256"],
            ),
        ),
    )
    stored = EXAMPLES[EventKind.EPCIS_EVENT].body
    await record(
        producer,
        pomelo,
        m.EventInEpcisEvent(
            kind="epcis_event",
            occurred_at=_when(19, 16),
            body=m.EpcisEvent(event=stored["event"], event_hash=stored["event_hash"]),
        ),
    )
    runs = generated.api("labels", "api_v1_batches_ref_label_runs_create")
    run = await runs.asyncio_detailed(
        pomelo.id, client=producer, body=m.RunIn(count=24), idempotency_key="print-run-2025-11-19"
    )
    assert run.status_code == 201, run.content
    assert isinstance(run.parsed, m.RunOut) and run.parsed.count == 24
    await record(
        producer,
        pomelo,
        m.EventInShipped(
            kind="shipped",
            occurred_at=_when(20, 5),
            body=m.Shipped(to=cast.distributor.id, quantity=kg("1180")),
        ),
    )
    await record(
        distributor,
        pomelo,
        m.EventInReceived(
            kind="received",
            occurred_at=_when(20, 9),
            body=m.Received(from_=cast.producer.id, quantity=kg("1180")),
        ),
    )
    await record(
        distributor,
        pomelo,
        m.EventInSold(
            kind="sold",
            occurred_at=_when(22, 19),
            body=m.Sold(quantity=m.Quantity(value="50", unit=m.Unit.XBX)),
        ),
    )
    recall = await record(
        authority,
        pomelo,
        m.EventInRecalled(
            kind="recalled",
            occurred_at=_when(26, 15),
            body=m.Recalled(
                reason="Dư lượng Chlorpyrifos vượt giới hạn",
                severity=m.Severity.CLASS_1,
                effective_at=_when(26, 17),
            ),
        ),
    )
    # The recall's steps name it by its record's hash.
    await record(
        authority,
        pomelo,
        m.EventInRecallNotified(
            kind="recall_notified",
            occurred_at=_when(26, 18),
            body=m.RecallNotified(recall=recall.record_hash, note="Đã báo cho siêu thị"),
        ),
    )
    await record(
        distributor,
        pomelo,
        m.EventInWithdrawn(
            kind="withdrawn",
            occurred_at=_when(27, 9),
            body=m.Withdrawn(
                recall=recall.record_hash, quantity=m.Quantity(value="50", unit=m.Unit.XBX)
            ),
        ),
    )
    await record(
        authority,
        pomelo,
        m.EventInRecallClosed(
            kind="recall_closed",
            occurred_at=_when(28, 16),
            body=m.RecallClosed(recall=recall.record_hash, note="Đã tiêu huỷ toàn bộ"),
        ),
    )
    paddies = [await new_batch(processor, "Thóc ST25", f"THOC-{n}", "3000") for n in (1, 2)]
    rice = await new_batch(processor, "Gạo ST25", "GAO-2025-11", "4200")
    await record(
        processor,
        rice,
        m.EventInTransformed(
            kind="transformed",
            occurred_at=_when(25, 8),
            body=m.Transformed(
                process=m.TransformProcess.MILLING,
                inputs=[m.TransformInput(batch=p.id, quantity=kg("3000")) for p in paddies],
                output_quantity=kg("4200"),
            ),
        ),
    )

    history = generated.api("batches", "api_v1_batches_ref_records_records")
    page = await history.asyncio_detailed(pomelo.id, client=producer, limit=500)
    assert page.status_code == 200
    assert isinstance(page.parsed, m.RecordPage), page.content
    kinds = {record.kind for record in page.parsed.records}
    assert kinds | {"transformed"} == {kind.value for kind in EventKind}
    assert all(isinstance(record.bundle, m.ProofBundle) for record in page.parsed.records)
    read = generated.api("batches", "api_v1_batches_ref_read")
    now = await read.asyncio_detailed(pomelo.code, client=producer)
    assert isinstance(now.parsed, m.BatchOut) and now.parsed.recalled
    assert now.parsed.holder_id == cast.distributor.id


async def test_a_generated_client_reads_a_refusal_as_the_documented_problem(
    generated: Generated, acting_as: Callable[[Member], Any], cast: Cast
) -> None:
    m = generated.models
    register = generated.api("batches", "api_v1_batches_register")
    body = m.BatchIn(
        occurred_at=datetime(2300, 1, 1, tzinfo=VIETNAM),
        body=m.Registered(product="Bưởi Diễn", lot="BD-1", origin=m.Origin(province="01")),
    )
    refused = await register.asyncio_detailed(client=acting_as(cast.producer), body=body)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, m.Problem), refused.content
    assert (refused.parsed.code, refused.parsed.field) == ("time_out_of_range", "occurred_at")
    body.occurred_at = datetime(2025, 11, 18, 6, tzinfo=VIETNAM)
    forbidden = await register.asyncio_detailed(client=acting_as(cast.distributor), body=body)
    assert forbidden.status_code == 403 and isinstance(forbidden.parsed, m.Problem)
    assert forbidden.parsed.rule == "kind_not_allowed_for_agency"
