"""Every way the ledger is read, for tests that store strange records and expect no failure.

A :class:`Reader` asks, for a batch, every answer that shows what its records hold: the
public page in each language and format, the API's batch, history with proofs and
verification, each record's proof bundle, search, genealogy both ways as JSON and SVG, and
labels; and, for the whole ledger, recalls and their reach, EPCIS events, the log's leaves,
the open-data package with every file, and the export and the audit run in process (as
`python -m trace export` and `python -m trace verify` run them). It keeps the answers that
failed: any 4xx or 5xx (everything asked for exists), or an exception.
:func:`read_everything` reads every batch search finds, and the whole ledger.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from trace.config import Settings
from trace.opendata.export import Site, cut_package
from trace.opendata.verify import verify_package
from trace.store.audit import audit
from trace.store.ledger import Ledger

Failure = tuple[str, str]
Headers = Mapping[str, str]

# Queries of /epcis/events that each select differently (times, steps, identifiers).
EPCIS_QUERIES = (
    "",
    "?GE_eventTime=1970-01-01T00:00:00Z",
    "?LT_eventTime=2199-01-01T00:00:00Z",
    "?GE_recordTime=2000-01-01T00:00:00Z",
    "?EQ_bizStep=commissioning",
    "?eventType=ObjectEvent&perPage=1",
    "?MATCH_anyEPCClass=https://id.gs1.org/01/08936047000128/*",
)
PAGE_FORMATS = ("", "?lang=en", "?format=json", "?format=jsonld", "?format=linkset")


class Reader:
    """Reads through ``client`` as ``inspector`` (and ``operator``), keeping what failed."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        ledger: Ledger,
        settings: Settings,
        *,
        inspector: Headers,
        operator: Headers,
    ) -> None:
        self.client, self.ledger, self.settings = client, ledger, settings
        self.inspector, self.operator = inspector, operator
        self.failures: list[Failure] = []

    async def get(
        self, path: str, headers: Headers | None = None, *, allowed: Collection[int] = ()
    ) -> httpx.Response | None:
        """``path``'s answer; a 4xx not ``allowed``, a 5xx or an exception is a failure."""
        try:
            response = await self.client.get(path, headers=headers)
        except Exception as exc:  # an exception the app let out is a failure too
            self.failures.append((path, f"{type(exc).__name__}: {exc}"))
            return None
        if response.status_code >= 400 and response.status_code not in allowed:
            self.failures.append((path, f"{response.status_code} {response.text[:300]}"))
        return response

    async def run(self, what: str, work: Callable[[], Awaitable[Any]]) -> None:
        """Run ``work``; an exception is a failure of ``what``."""
        try:
            await work()
        except Exception as exc:
            self.failures.append((what, f"{type(exc).__name__}: {exc}"))

    async def batch(self, batch_id: str, producer: Headers | None = None) -> None:
        """Every answer about one batch; its labels too with its ``producer``'s headers."""
        found = await self.get(f"/api/v1/batches/{batch_id}")
        if found is None or not found.is_success:
            return
        batch = found.json()
        page = batch["public_path"]
        for suffix in PAGE_FORMATS:
            await self.get(page + suffix)
        await self.get(f"/b/{batch['code']}")
        history = await self.get(f"/api/v1/batches/{batch_id}/records?limit=500", self.inspector)
        await self.get(f"/api/v1/batches/{batch_id}/records?proofs=false")
        await self.get(f"/api/v1/batches/{batch_id}/verify")
        if history is not None and history.is_success:
            for item in history.json()["records"]:
                await self.get(f"/api/v1/log/records/{item['position']}/bundle")
        for direction in ("upstream", "downstream"):
            trace = f"/api/v1/batches/{batch_id}/trace?direction={direction}"
            await self.get(trace, self.inspector)
            await self.get(trace + "&format=svg", self.inspector)
        if producer is not None:
            for fmt in ("png", "svg", "pdf"):
                # A product's words may not fit the stock: that is a 422 that says so.
                await self.get(
                    f"/api/v1/batches/{batch_id}/labels?template=roll-50x30-203&format={fmt}",
                    producer,
                    allowed={422},
                )
        words = httpx.QueryParams({"q": batch["product"][:40]})
        # A name of no letters is no search: a 400 that says so.
        await self.get(f"/api/v1/batches?{words}", self.inspector, allowed={400})

    async def ledger_wide(self, *, recalls: Sequence[int] = (), intact: bool = True) -> None:
        """Every answer about the whole ledger; with ``intact``, the export must verify."""
        for recall in recalls:
            await self.get(f"/api/v1/recalls/{recall}", self.inspector)
            await self.get(f"/api/v1/recalls/{recall}/reach", self.inspector)
        for query in EPCIS_QUERIES:
            await self.get(f"/epcis/events{query}", self.inspector)
        await self.get("/api/v1/log/records?start=0&end=1000")
        await self.get("/api/v1/audit/inspector-queries", self.operator)
        catalogue = await self.get("/open-data/")
        if catalogue is not None and catalogue.is_success:
            manifest = await self.get("/open-data/manifest.json")
            if manifest is not None and manifest.is_success:
                for entry in manifest.json()["files"]:
                    await self.get(f"/open-data/{entry['name']}")

        async def export_and_verify() -> None:
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "package"
                site = Site.of(self.settings.log_origin, self.settings.public_url)
                await cut_package(self.ledger, out, site)
                report = verify_package(out)
                if intact and not report.intact:
                    self.failures.append(("verify-export", "; ".join(map(str, report.problems))))

        await self.run("export", export_and_verify)
        await self.run("audit", lambda: audit(self.ledger))


async def read_everything(
    client: httpx.AsyncClient,
    ledger: Ledger,
    settings: Settings,
    *,
    inspector: Headers,
    operator: Headers,
    producers: Mapping[str, Headers],
    recalls: Sequence[int] = (),
    intact: bool = True,
) -> list[Failure]:
    """Read every batch of the ledger every way; the reads that failed, with what they gave.

    ``producers`` maps a batch id to the headers of its producer (labels are theirs);
    ``recalls`` are recall ids to read with their reach. With ``intact``, the exported
    package must also verify (a ledger changed behind its back exports a package that
    `verify-export` rightly refuses).
    """
    reader = Reader(client, ledger, settings, inspector=inspector, operator=operator)
    listing = await reader.get("/api/v1/batches?limit=200", inspector)
    found = listing.json()["batches"] if listing is not None and listing.is_success else []
    for batch_id in sorted({b["id"] for b in found} | set(producers)):
        await reader.batch(batch_id, producers.get(batch_id))
    await reader.ledger_wide(recalls=recalls, intact=intact)
    return reader.failures
