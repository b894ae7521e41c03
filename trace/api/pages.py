"""The public provenance pages: GS1 Digital Link and short-code routes, in four formats.

(The GS1 Digital Link route and the resolver description are in trace/api/resolver.py,
which serves its pages through this module.)

`/01/{gtin}/10/{lot}`, `/01/{gtin}/10/{lot}/21/{serial}` and `/b/{code}` answer with
the page (HTML, Vietnamese by default, English by `?lang=en` or Accept-Language),
or by content negotiation (or `?format=`) with JSON (the facts and the proofs the
page's script checks), EPCIS 2.0 JSON-LD, or an RFC 9264 linkset.

A page is validated by an ETag made of the log state (the log's size, the key
revocations, the newest checkpoint: trace/store/page_reads.py) and, for a
serialised label, its scan figures: any new record anywhere changes it, so a
recall shows at once on every page downstream. Each worker holds the log state,
the batches it looked up and the pages it rendered (plain and gzipped) for as
long as the state holds, so a repeated scan costs a 304 and a first scan by
another phone a copy, with no query. Every batch has one URL per route: other
spellings of its code (lower case, dashes, a 13-digit GTIN) are redirected there
with a 308, so they share its cache.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response, route
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.api.auth import LedgerDep
from trace.api.clients import client_address
from trace.api.head import GET_AND_HEAD
from trace.config import Settings
from trace.domain.errors import InvalidIdentifier
from trace.domain.identifiers import (
    DigitalLink,
    normalise_batch_code,
)
from trace.domain.places import vietnam_today
from trace.domain.record import from_us
from trace.epcis.index import EpcisIndex
from trace.epcis.master_data import vocabulary_of
from trace.epcis.query import batch_document, batch_events
from trace.observe.metrics import TALLY
from trace.public.limits import RateLimit
from trace.public.machine import linkset
from trace.public.proofs import page_proofs
from trace.public.render import (
    START_SCRIPT,
    CheckpointInfo,
    SerialInfo,
    page_json,
    render_busy,
    render_not_found,
    render_page,
    render_start,
    security_headers,
)
from trace.public.scans import record_scan
from trace.public.view import build_view
from trace.store.batches import Batch, to_batch
from trace.store.database import Reads, read_transaction
from trace.store.ledger import Ledger
from trace.store.page_reads import LogState, PageReads
from trace.store.projections import catch_up
from trace.store.replica_reads import request_page_reads
from trace.store.tables import batches, label_runs, label_serials
from trace.translation import DEFAULT_LANGUAGE, chosen, say

FORMATS = {
    "html": "text/html",  # Litestar adds "; charset=utf-8"
    "json": "application/json",
    "jsonld": "application/ld+json",
    "linkset": "application/linkset+json",
}
# ?linkType= values that ask for the whole linkset (GS1-Conformant resolver; "all" is the
# older name).
LINKSET_LINK_TYPES = ("linkset", "all")
_ACCEPTED = {
    "text/html": "html",
    "application/json": "json",
    "application/ld+json": "jsonld",
    "application/linkset+json": "linkset",
}
# Rendered pages kept per worker, and batch look-ups (valid until the log state moves).
_CACHE_SIZE = 512
_LOOKUPS_SIZE = 4096
# These routes gzip their own answers (a page is compressed once, when it is rendered).
OWN_COMPRESSION = "own_compression"
_GZIP_MIN = 500
# A page kept in the cache is compressed once and sent many times: as small as zlib can.
# One made for a single answer (a 404, or any page with the cache off) is compressed fast:
# level 1 takes a third of the time of level 6 for a page 9 % larger (7.4 kB, not 6.8).
_GZIP_KEPT, _GZIP_ONCE = 9, 1


def _format(request: Request[Any, Any, Any]) -> str:
    asked = str(request.query_params.get("format", ""))
    if asked in FORMATS:
        return asked
    if request.query_params.get("linkType") in LINKSET_LINK_TYPES:
        return "linkset"
    best = request.accept.best_match(list(_ACCEPTED), default="text/html")
    return _ACCEPTED.get(best or "text/html", "html")


def _lang(request: Request[Any, Any, Any]) -> str:
    return chosen(request.query_params.get("lang"), request.headers.get("accept-language"))


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value admits gzip (RFC 9110 §12.5.3)."""
    for item in header.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        weight = params.strip().lower()
        if weight.startswith("q="):
            try:
                return float(weight[2:]) > 0
            except ValueError:
                return False
        return True
    return False


@dataclass(frozen=True, slots=True)
class _Body:
    plain: bytes
    gzipped: bytes | None


def _body(plain: bytes, *, kept: bool = False) -> _Body:
    if len(plain) < _GZIP_MIN:
        return _Body(plain, None)
    level = _GZIP_KEPT if kept else _GZIP_ONCE
    return _Body(plain, gzip.compress(plain, compresslevel=level, mtime=0))


class _Pages:
    """Per-worker state of the public pages: the rate limit, look-ups and rendered pages.

    Both caches hold only what was read at one log state, and are emptied when it
    moves. ``caching`` off (``TRACE_PAGE_CACHE=0``) reads and renders every page.
    """

    def __init__(self, limit: RateLimit, caching: bool) -> None:
        self.limit = limit
        self.caching = caching
        self.version = ""
        self.found: dict[tuple[str, ...], tuple[Batch, str | None] | str] = {}
        self.bodies: OrderedDict[str, _Body] = OrderedDict()

    def at(self, state: LogState) -> None:
        if state.version != self.version:
            self.version = state.version
            self.found.clear()
            self.bodies.clear()

    def keep_found(self, key: tuple[str, ...], found: tuple[Batch, str | None] | str) -> None:
        if not self.caching:
            return
        if len(self.found) >= _LOOKUPS_SIZE:
            self.found.clear()
        self.found[key] = found

    def keep_body(self, tag: str, body: _Body) -> None:
        if not self.caching:
            return
        self.bodies[tag] = body
        self.bodies.move_to_end(tag)
        while len(self.bodies) > _CACHE_SIZE:
            self.bodies.popitem(last=False)


def _state(request: Request[Any, Any, Any]) -> _Pages:
    state = request.app.state
    if getattr(state, "pages", None) is None:
        settings: Settings = state.settings
        limit = RateLimit(settings.page_rate_per_minute, settings.workers)
        state.pages = _Pages(limit, settings.page_cache)
    pages: _Pages = state.pages
    return pages


_BY_CODE = select(batches).where(batches.c.code == bindparam("code"))


async def _by_code(conn: Reads, code: str) -> tuple[Batch, str | None] | str:
    row = (await conn.execute(_BY_CODE, {"code": code})).first()
    return code if row is None else (to_batch(row), None)


def _send(
    request: Request[Any, Any, Any],
    body: _Body,
    *,
    media_type: str,
    headers: dict[str, str],
    status: int = 200,
) -> Response[Any]:
    if body.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
        headers = {**headers, "Content-Encoding": "gzip"}
        return Response(body.gzipped, status_code=status, media_type=media_type, headers=headers)
    return Response(body.plain, status_code=status, media_type=media_type, headers=headers)


def _not_found(request: Request[Any, Any, Any], code: str, status: int = 404) -> Response[Any]:
    lang = _lang(request)
    if _format(request) != "html":
        problem = {
            "type": "urn:trace:problem:not_found",
            "title": "not found",
            "status": status,
            "detail": say(
                "No batch has the code {code}. Compare it with the 14-character code printed "
                "just under the QR code (O reads as 0, I and L as 1) and type it again below.",
                lang,
                code=code,
            ),
            "code": "not_found",
        }
        return Response(problem, status_code=status, media_type="application/problem+json")
    html = render_not_found(
        lang,
        path=request.url.path,
        code=code,
        title=say("This code was not found", lang),
        text=say(
            "No batch has the code {code}. Compare it with the 14-character code printed "
            "just under the QR code (O reads as 0, I and L as 1) and type it again below.",
            lang,
            code=code,
        ),
    )
    return _send(
        request,
        _body(html.encode()),
        media_type=FORMATS["html"],
        headers={**security_headers(), "Vary": "Accept, Accept-Language, Accept-Encoding"},
        status=status,
    )


def _moved(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """A batch asked for by another spelling of its code: to the one URL each page has."""
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    location = f"{path}?{query}" if query else path
    return Response(b"", status_code=308, headers={"Location": location})


class _Reading:
    """A read transaction for a request, begun only if the request needs a row.

    On SQLite it is a plain ``sqlite3`` connection used in the event loop's thread: it must
    be closed before the request awaits anything else (a scan's write, the proofs, the
    EPCIS index), or requests waiting meanwhile could take every pooled connection and
    block the loop.
    """

    def __init__(self, reads: PageReads) -> None:
        self._reads = reads
        self._stack: AsyncExitStack | None = None
        self._conn: Reads | None = None

    @property
    def source(self) -> AsyncEngine:
        """The database the page reads from: its state, rows and proofs all come from it."""
        return self._reads.source

    async def conn(self) -> Reads:
        if self._conn is None:
            self._stack = AsyncExitStack()
            self._conn = await self._stack.enter_async_context(self._reads.transaction())
        return self._conn

    async def close(self) -> None:
        stack, self._stack, self._conn = self._stack, None, None
        if stack is not None:
            await stack.aclose()


async def _serve(
    request: Request[Any, Any, Any],
    ledger: Ledger,
    key: tuple[str, ...],
    lookup: Callable[[Reads], Awaitable[tuple[Batch, str | None] | str]],
) -> Response[Any]:
    """The page of what ``lookup`` finds, from memory while the log state holds."""
    pages = _state(request)
    # One database for the whole page (a replica when there are some), so that its rows are
    # never older than the log state and checkpoint it cites (trace/store/replica_reads.py).
    reads = request_page_reads(ledger)
    state = await reads.state()
    pages.at(state)
    reading = _Reading(reads)
    try:
        found = pages.found.get(key)
        if found is None:
            found = await lookup(await reading.conn())
            pages.keep_found(key, found)
        if isinstance(found, str):
            return _not_found(request, found)
        batch, serial = found
        return await _page(request, ledger, pages, state, reading, batch, serial)
    finally:
        await reading.close()


async def _page(
    request: Request[Any, Any, Any],
    ledger: Ledger,
    pages: _Pages,
    state: LogState,
    reading: _Reading,
    batch: Batch,
    serial: str | None,
) -> Response[Any]:
    lang, fmt = _lang(request), _format(request)
    path = request.url.path
    checkpoint = None
    if state.checkpoint_size is not None and state.checkpoint_signed_us is not None:
        signed_at = from_us(state.checkpoint_signed_us)
        checkpoint = CheckpointInfo(state.checkpoint_size, signed_at, state.witnesses)
    scans: SerialInfo | None = None
    if serial is not None:
        await reading.close()
        scans = await record_scan(
            ledger, serial, client_address(request), request.headers.get("user-agent", "")
        )
    today = vietnam_today()
    parts: tuple[object, ...] = (path, lang, fmt, state.version, today)
    if scans is not None:
        parts += (scans.count, scans.places)
    tag = hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:32]
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        **security_headers(),
        # The same page compressed is another representation: another strong validator.
        "ETag": f'"{tag}-gzip"' if gzipped else f'"{tag}"',
        "Cache-Control": "private, no-cache" if serial else "public, no-cache",
        "Vary": "Accept, Accept-Language, Accept-Encoding",
        "Content-Language": lang,
        "Link": f'<{path}?format=linkset>; rel="linkset"; type="application/linkset+json"',
    }
    if f'"{tag}' in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    body = pages.bodies.get(tag)
    if body is None:
        TALLY.cache_misses += 1
        plain = await _render(request, ledger, reading, batch, lang, fmt, checkpoint, scans, today)
        body = _body(plain, kept=pages.caching)
        pages.keep_body(tag, body)
    else:
        TALLY.cache_hits += 1
    return _send(request, body, media_type=FORMATS[fmt], headers=headers)


async def _render(
    request: Request[Any, Any, Any],
    ledger: Ledger,
    reading: _Reading,
    batch: Batch,
    lang: str,
    fmt: str,
    checkpoint: CheckpointInfo | None,
    scans: SerialInfo | None,
    today: date,
) -> bytes:
    """The page of ``batch`` in ``fmt``; ``reading`` is closed before anything else is awaited."""
    settings: Settings = request.app.state.settings
    path = request.url.path
    if fmt == "jsonld":
        # The same events, with the same Event Hash IDs, as /epcis/events answers.
        await reading.close()
        # Kept on the primary; a replica serves the events it has replayed.
        await catch_up(ledger, EpcisIndex(settings.public_url))
        async with read_transaction(reading.source) as conn:
            events = await batch_events(conn, batch.id)
            vocabulary = await vocabulary_of(conn, events, settings.public_url)
        created = from_us(batch.updated_at_us).isoformat().replace("+00:00", "Z")
        return batch_document(events, created, vocabulary)
    view = await build_view(await reading.conn(), batch, today=today)
    await reading.close()
    if fmt == "html":
        return render_page(view, lang, path=path, checkpoint=checkpoint, serial=scans).encode()
    if fmt == "json":
        content = page_json(view)
        content["proofs"] = await page_proofs(
            ledger, batch, origin=settings.log_origin, reads_from=reading.source
        )
        return msgspec.json.encode(content)
    return msgspec.json.encode(linkset(view, f"{settings.public_url}{path}"))


def _limited(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """A 429 page when this client looked up too much: wait a minute, with Retry-After."""
    wait = _state(request).limit.allow(client_address(request))
    if not wait:
        return None
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    path = request.url.path
    html = render_busy(_lang(request), path=path, again=f"{path}?{query}" if query else path)
    return _send(
        request,
        _body(html.encode()),
        media_type=FORMATS["html"],
        headers={**security_headers(), "Retry-After": str(max(1, round(wait)))},
        status=429,
    )


@route(
    "/b/{code:str}", http_method=GET_AND_HEAD, include_in_schema=False, opt={OWN_COMPRESSION: True}
)
async def code_page(request: Request[Any, Any, Any], ledger: LedgerDep, code: str) -> Response[Any]:
    """The page of a batch by its short public code."""
    limited = _limited(request)
    if limited is not None:
        return limited
    try:
        canonical = normalise_batch_code(code)
    except InvalidIdentifier:
        return _not_found(request, code)
    if code != canonical:
        return _moved(request, f"/b/{canonical}")
    return await _serve(request, ledger, ("b", code), lambda conn: _by_code(conn, code))


@route("/check", http_method=GET_AND_HEAD, include_in_schema=False, opt={OWN_COMPRESSION: True})
async def check_code(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[Any]:
    """A code a person typed (a batch code or a label's serial): to its page, or a 404 page."""
    limited = _limited(request)
    if limited is not None:
        return limited
    typed = request.query_params.get("code", "")
    lang = _lang(request)
    suffix = "" if lang == DEFAULT_LANGUAGE else f"?lang={lang}"
    gtin = request.query_params.get("gtin")
    if gtin is not None:
        return _to_gtin_and_lot(request, gtin, request.query_params.get("lot", ""), suffix)
    try:
        canonical = normalise_batch_code(typed)
    except InvalidIdentifier:
        return _not_found(request, typed)
    async with read_transaction(ledger.reader()) as conn:
        row = (await conn.execute(select(batches).where(batches.c.code == canonical))).first()
        if row is not None:
            return Response(b"", status_code=303, headers={"Location": f"/b/{canonical}{suffix}"})
        item = (
            await conn.execute(
                select(batches)
                .join(label_runs, label_runs.c.batch_id == batches.c.id)
                .join(label_serials, label_serials.c.run_id == label_runs.c.id)
                .where(label_serials.c.serial == canonical, label_runs.c.position.is_not(None))
            )
        ).first()
    if item is None or not item.gtin:
        return _not_found(request, typed)
    path = DigitalLink(item.gtin, item.lot, canonical).path()
    return Response(b"", status_code=303, headers={"Location": f"{path}{suffix}"})


def _to_gtin_and_lot(
    request: Request[Any, Any, Any], gtin: str, lot: str, suffix: str
) -> Response[Any]:
    """A GTIN and lot a person typed: to their Digital Link page (which says if it is unknown)."""
    typed_gtin, typed_lot = gtin.replace(" ", ""), lot.strip().upper()
    try:
        link = DigitalLink(typed_gtin, typed_lot)
    except InvalidIdentifier:
        return _not_found(request, f"{typed_gtin} {typed_lot}".strip())
    return Response(b"", status_code=303, headers={"Location": f"{link.path()}{suffix}"})


@route("/", http_method=GET_AND_HEAD, include_in_schema=False, opt={OWN_COMPRESSION: True})
async def start_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """The start page: what the service is; type a code, or scan it where the browser can."""
    lang = _lang(request)
    html = render_start(lang, path=request.url.path)
    return _send(
        request,
        _body(html.encode(), kept=True),
        media_type=FORMATS["html"],
        headers={
            **security_headers(START_SCRIPT),
            "Cache-Control": "public, max-age=300",
            "Vary": "Accept-Language, Accept-Encoding",
            "Content-Language": lang,
        },
    )


ROBOTS = "User-agent: *\nAllow: /\n"


@route("/robots.txt", http_method=GET_AND_HEAD, include_in_schema=False, media_type="text/plain")
async def robots() -> str:
    """Crawlers may read every page; also the static reference of bench/page.py."""
    return ROBOTS


ROUTES = [start_page, code_page, check_code, robots]
