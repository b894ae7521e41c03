"""`/open-data/`: the catalogue (HTML for people, DCAT JSON-LD for machines) and its files.

The site publishes one package at a time: the full export cut at the log's newest
checkpoint (trace/opendata/export.py), written once under ``TRACE_DATA_DIR/open-data/``
and served from there, so every file, the data package, the catalogue and the signed
manifest describe the same cut and a downloaded file checks against the manifest.
When the log has moved on, the next request still gets the current package at once
while the next one is cut in the background, at most once every ``REFRESH_SECONDS`` (a
cut reads the whole log); only the very first request waits.

Each answer carries an ETag made of the cut's size and the file's name (and ``-gzip``
for the compressed representation): unchanged, a client's ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, route
from litestar.datastructures import ETag
from litestar.openapi import ResponseSpec
from litestar.response import File
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from trace.api.auth import LedgerDep
from trace.api.head import GET_AND_HEAD
from trace.api.pages import accepts_gzip
from trace.api.problems import ANY, problem_answers
from trace.config import Settings
from trace.opendata.export import CATALOG_FILE, PACKAGE_FILE, Site, cut_package
from trace.opendata.manifest import MANIFEST, SIGNATURE, Manifest, decode_manifest
from trace.opendata.page import render_catalogue
from trace.opendata.writers import MEDIA_TYPES
from trace.public.render import security_headers
from trace.store.checkpoints import latest_checkpoint
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.translation import chosen

BASE = "/open-data/"
# The least time between two cuts: a package is at most this far behind the log.
REFRESH_SECONDS = 300.0
_TEXT = ("text/", "application/json", "application/jsonl", "application/ld+json")
_log = logging.getLogger("trace.opendata")


@dataclass(frozen=True, slots=True)
class Published:
    """The package on disk the site serves: its folder and manifest."""

    folder: Path
    manifest: Manifest

    @property
    def size(self) -> int:
        return self.manifest.range.end

    def citation(self, lang: str) -> str:
        package = msgspec.json.decode((self.folder / PACKAGE_FILE).read_bytes())
        return str(package["terms"][lang]["citation"])


class Publisher:
    """Keeps the newest package cut and cuts the next one when the log moves on."""

    def __init__(self, root: Path, site: Site, interval: float = REFRESH_SECONDS) -> None:
        self.root = root
        self.site = site
        self.interval = interval
        self.current: Published | None = None
        self.cut_at = 0.0  # monotonic time of the last cut
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None

    async def package(self, ledger: Ledger) -> Published:
        """The package to serve now: current if the log has not moved, else the new one."""
        latest = await latest_checkpoint(ledger)
        size = latest.checkpoint.size if latest is not None else 0
        current = self.current
        if current is not None and current.size >= size:
            return current
        if current is not None:
            idle = self.task is None or self.task.done()
            if idle and time.monotonic() - self.cut_at >= self.interval:
                self.task = asyncio.create_task(self._refresh_logged(ledger))
            return current
        async with self.lock:
            if self.current is None and latest is not None:
                self.current = self._kept(latest.checkpoint.size, latest.checkpoint.root_hash)
            if self.current is None:
                await self._refresh(ledger)
        assert self.current is not None
        return self.current

    def _kept(self, size: int, root: bytes) -> Published | None:
        """The cut of this checkpoint another worker (or an earlier run) left, if any."""
        folder = self.root / f"cut-{size}"
        if not (folder / SIGNATURE).is_file():
            return None
        manifest = decode_manifest((folder / MANIFEST).read_bytes())
        same = manifest.checkpoint.root_hash == base64.b64encode(root).decode("ascii")
        return Published(folder, manifest) if same else None

    async def _refresh_logged(self, ledger: Ledger) -> None:
        try:
            async with self.lock:
                await self._refresh(ledger)
        except Exception:
            _log.exception("the open-data package was not cut")

    async def _refresh(self, ledger: Ledger) -> None:
        """Cut the whole log at a checkpoint signed now and serve it from then on."""
        self.cut_at = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        # Cut beside the final folder and renamed into place: another worker cutting the
        # same size writes the same bytes, and the first rename wins.
        partial = Path(tempfile.mkdtemp(prefix=".cut-", dir=self.root))
        try:
            manifest = await cut_package(ledger, partial, self.site)
            final = self.root / f"cut-{manifest.range.end}"
            try:
                os.rename(partial, final)
            except OSError:
                if not (final / SIGNATURE).is_file():
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        self.current = Published(final, decode_manifest((final / MANIFEST).read_bytes()))
        self._prune(manifest.range.end)

    def _prune(self, size: int) -> None:
        """Remove older cuts but the previous one, which a download may still be reading."""
        sizes = sorted(int(p.name[4:]) for p in self.root.glob("cut-*") if p.name[4:].isdigit())
        for old in sizes[:-2]:
            if old < size:
                shutil.rmtree(self.root / f"cut-{old}", ignore_errors=True)


def _publisher(request: Request[Any, Any, Any]) -> Publisher:
    state = request.app.state
    publisher = state.get("open_data")
    if publisher is None:
        settings: Settings = state.settings
        site = Site.of(settings.log_origin, settings.public_url)
        publisher = Publisher(settings.data_dir / "open-data", site)
        state.open_data = publisher
    assert isinstance(publisher, Publisher)
    return publisher


def _lang(request: Request[Any, Any, Any]) -> str:
    return chosen(request.query_params.get("lang"), request.headers.get("accept-language"))


def _validators(request: Request[Any, Any, Any], tag: str) -> tuple[dict[str, str], bool]:
    """The ETag and cache headers of an answer, and whether the client already has it."""
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'"{tag}-gzip"' if gzipped else f'"{tag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, no-cache",
        "Vary": "Accept, Accept-Language, Accept-Encoding",
        "Link": f'<{BASE}{CATALOG_FILE}>; rel="alternate"; type="application/ld+json",'
        f' <{BASE}{PACKAGE_FILE}>; rel="describedby"; type="application/json"',
    }
    fresh = etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}
    return headers, fresh


def _media_type(name: str) -> str:
    media = MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    if name.endswith(".csv"):
        return f"{media}; charset=utf-8; header=present"
    return f"{media}; charset=utf-8" if media.startswith(_TEXT) else media


def _wants_jsonld(request: Request[Any, Any, Any]) -> bool:
    if request.query_params.get("format") == "jsonld":
        return True
    best = request.accept.best_match(["text/html", "application/ld+json"], default="text/html")
    return best == "application/ld+json"


@route(
    ["/open-data", BASE],
    http_method=GET_AND_HEAD,
    tags=["open data"],
    responses={304: ResponseSpec(None, description="Not modified."), **problem_answers(*ANY)},
)
async def catalogue(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[Any]:
    """Read the open-data catalogue.

    Public. HTML for people, DCAT JSON-LD for ``Accept: application/ld+json``; an ETag of
    the package cut, and 304 when it has not changed.
    """
    published = await _publisher(request).package(ledger)
    if _wants_jsonld(request):
        return _file(request, published, CATALOG_FILE)
    lang = _lang(request)
    headers, fresh = _validators(request, f"{published.size}-catalogue-{lang}")
    headers = {**headers, **security_headers(), "Content-Language": lang}
    if fresh:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    html = render_catalogue(published.manifest, published.citation(lang), lang, BASE)
    return Response(html, media_type="text/html", headers=headers)


def _file(request: Request[Any, Any, Any], published: Published, name: str) -> Response[Any]:
    listed = {entry.name for entry in published.manifest.files} | {MANIFEST, SIGNATURE}
    if name not in listed:
        raise NotFound(f"no open-data file {name}", what="file", id=name)
    headers, fresh = _validators(request, f"{published.size}-{name}")
    if fresh:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    tag = headers.pop("ETag").strip('"')
    return File(
        published.folder / name,
        filename=name,
        media_type=_media_type(name),
        content_disposition_type="inline",
        headers=headers,
        etag=ETag(value=tag),
    )


@route(
    f"{BASE}{{name:str}}",
    http_method=GET_AND_HEAD,
    tags=["open data"],
    responses={
        304: ResponseSpec(None, description="Not modified."),
        **problem_answers(*ANY, 404),
    },
)
async def open_data_file(
    request: Request[Any, Any, Any], ledger: LedgerDep, name: str
) -> Response[Any]:
    """Download a file of the open-data package.

    Public. A dataset (``events.csv``, ``batches.jsonl``…), the metadata
    (``datapackage.json``, ``catalog.jsonld``) or the signed manifest (``manifest.json``,
    ``manifest.sig``), with an ETag, and 304 when it has not changed.
    """
    return _file(request, await _publisher(request).package(ledger), name)


ROUTES = [catalogue, open_data_file]
