"""Every way the ledger is read, for tests that store strange records and expect no failure.

:func:`read_everything` asks for each batch every answer that shows what its records
hold: the public page in each language and format, the API's batch, history with proofs
and verification, each record's proof bundle, the log's leaves, search, genealogy both
ways as JSON and SVG, recalls and their reach, labels, EPCIS events, the open-data
package with every file, and the audit and the export run in process (as `python -m
trace verify` and `python -m trace export` run them). It returns the answers that failed:
any 4xx or 5xx (everything asked for exists), or an exception.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from trace.config import Settings
from trace.opendata.export import Site, cut_package
from trace.opendata.verify import verify_package
from trace.store.audit import audit
from trace.store.ledger import Ledger

Failure = tuple[str, str]

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


async def read_everything(
    client: httpx.AsyncClient,
    ledger: Ledger,
    settings: Settings,
    *,
    inspector: Mapping[str, str],
    operator: Mapping[str, str],
    producers: Mapping[str, Mapping[str, str]],
    recalls: Sequence[int] = (),
    intact: bool = True,
) -> list[Failure]:
    """Read every batch of the ledger every way; the reads that failed, with what they gave.

    ``producers`` maps a batch id to the headers of its producer (labels are theirs);
    ``recalls`` are recall ids to read with their reach. With ``intact``, the exported
    package must also verify (a ledger changed behind its back exports a package that
    `verify-export` rightly refuses).
    """
    failures: list[Failure] = []

    async def get(path: str, headers: Mapping[str, str] | None = None) -> httpx.Response | None:
        try:
            response = await client.get(path, headers=headers)
        except Exception as exc:  # an exception the app let out is a failure too
            failures.append((path, f"{type(exc).__name__}: {exc}"))
            return None
        # Every read here is of something that exists: a 4xx is a failure too.
        if response.status_code >= 400:
            failures.append((path, f"{response.status_code} {response.text[:300]}"))
        return response

    async def run(what: str, work: Callable[[], Awaitable[Any]]) -> None:
        try:
            await work()
        except Exception as exc:
            failures.append((what, f"{type(exc).__name__}: {exc}"))

    listing = await get("/api/v1/batches?limit=200", inspector)
    batches = listing.json()["batches"] if listing is not None and listing.is_success else []
    ids = {b["id"] for b in batches} | set(producers)
    for batch_id in sorted(ids):
        found = await get(f"/api/v1/batches/{batch_id}")
        if found is None or not found.is_success:
            continue
        batch = found.json()
        page = batch["public_path"]
        for suffix in PAGE_FORMATS:
            await get(page + suffix)
        await get(f"/b/{batch['code']}")
        history = await get(f"/api/v1/batches/{batch_id}/records?limit=500", inspector)
        await get(f"/api/v1/batches/{batch_id}/records?proofs=false")
        await get(f"/api/v1/batches/{batch_id}/verify")
        if history is not None and history.is_success:
            for item in history.json()["records"]:
                await get(f"/api/v1/log/records/{item['position']}/bundle")
        for direction in ("upstream", "downstream"):
            trace = f"/api/v1/batches/{batch_id}/trace?direction={direction}"
            await get(trace, inspector)
            await get(trace + "&format=svg", inspector)
        if batch_id in producers:
            for fmt in ("png", "svg", "pdf"):
                await get(
                    f"/api/v1/batches/{batch_id}/labels?template=roll-50x30-203&format={fmt}",
                    producers[batch_id],
                )
        await get(f"/api/v1/batches?q={batch['product'][:20]}", inspector)
    for recall in recalls:
        await get(f"/api/v1/recalls/{recall}", inspector)
        await get(f"/api/v1/recalls/{recall}/reach", inspector)
    for query in EPCIS_QUERIES:
        await get(f"/epcis/events{query}", inspector)
    await get("/api/v1/log/records?start=0&end=1000")
    await get("/api/v1/audit/inspector-queries", operator)
    catalogue = await get("/open-data/")
    if catalogue is not None and catalogue.is_success:
        manifest = await get("/open-data/manifest.json")
        if manifest is not None and manifest.is_success:
            for entry in manifest.json()["files"]:
                await get(f"/open-data/{entry['name']}")

    async def export_and_verify() -> None:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "package"
            await cut_package(ledger, out, Site.of(settings.log_origin, settings.public_url))
            report = verify_package(out)
            if intact and not report.intact:
                failures.append(("verify-export", "; ".join(map(str, report.problems))))

    await run("export", export_and_verify)
    await run("audit", lambda: audit(ledger))
    return failures
