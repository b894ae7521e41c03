"""The public provenance pages: GS1 Digital Link and short-code routes, in four formats.

`/01/{gtin}/10/{lot}`, `/01/{gtin}/10/{lot}/21/{serial}` and `/b/{code}` answer with
the page (HTML, Vietnamese by default, English by `?lang=en` or Accept-Language),
or by content negotiation (or `?format=`) with JSON (the facts and the proofs the
page's script checks), EPCIS 2.0 JSON-LD, or an RFC 9264 linkset.

A page is validated by an ETag made of the log's size, the key revocations and the
newest checkpoint (and, for a serialised label, its scan figures): any new record
anywhere changes it, so a recall shows at once on every page downstream, and a repeated scan with
nothing new costs a 304 without rendering (two read transactions, five small
statements: bench/page.py measures what that costs and docs/benchmarks.md says
how to make it cheaper).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from sqlalchemy import func, select

from trace.api.auth import LedgerDep
from trace.catalogue import message, negotiate
from trace.config import Settings
from trace.domain.errors import InvalidIdentifier
from trace.domain.identifiers import (
    DigitalLink,
    normalise_batch_code,
    parse_digital_link_path,
)
from trace.domain.record import from_us
from trace.places import vietnam_today
from trace.public.limits import RateLimit
from trace.public.machine import epcis_document, linkset
from trace.public.proofs import page_proofs
from trace.public.render import (
    CheckpointInfo,
    SerialInfo,
    page_json,
    render_not_found,
    render_page,
    security_headers,
)
from trace.public.scans import record_scan
from trace.public.view import build_view
from trace.store.batches import Batch, to_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import (
    agency_keys,
    batches,
    checkpoints,
    cosignatures,
    label_runs,
    label_serials,
    log_head,
)

FORMATS = {
    "html": "text/html",  # Litestar adds "; charset=utf-8"
    "json": "application/json",
    "jsonld": "application/ld+json",
    "linkset": "application/linkset+json",
}
_ACCEPTED = {
    "text/html": "html",
    "application/json": "json",
    "application/ld+json": "jsonld",
    "application/linkset+json": "linkset",
}
_CACHE_SIZE = 512


class _NotFound(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


def _format(request: Request[Any, Any, Any]) -> str:
    asked = str(request.query_params.get("format", ""))
    if asked in FORMATS:
        return asked
    best = request.accept.best_match(list(_ACCEPTED), default="text/html")
    return _ACCEPTED.get(best or "text/html", "html")


def _lang(request: Request[Any, Any, Any]) -> str:
    asked = str(request.query_params.get("lang", ""))
    if asked in ("vi", "en"):
        return asked
    return negotiate(request.headers.get("accept-language"))


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _state(request: Request[Any, Any, Any]) -> Any:
    state = request.app.state
    if getattr(state, "pages", None) is None:
        settings: Settings = state.settings
        state.pages = _Pages(RateLimit(settings.page_rate_per_minute, settings.workers))
    return state.pages


class _Pages:
    """Per-worker state of the public pages: the rate limit and the rendered-page cache."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.cache: OrderedDict[str, bytes] = OrderedDict()

    def remember(self, etag: str, body: bytes) -> None:
        self.cache[etag] = body
        self.cache.move_to_end(etag)
        while len(self.cache) > _CACHE_SIZE:
            self.cache.popitem(last=False)


async def _by_digital_link(ledger: Ledger, link: DigitalLink) -> tuple[Batch, str | None]:
    async with read_transaction(ledger.engine) as conn:
        row = (
            await conn.execute(
                select(batches).where(batches.c.gtin == link.gtin, batches.c.lot == link.lot)
            )
        ).first()
        if row is None:
            raise _NotFound(link.lot)
        if link.serial is not None:
            known = (
                await conn.execute(
                    select(label_serials.c.serial)
                    .join(label_runs, label_runs.c.id == label_serials.c.run_id)
                    .where(
                        label_serials.c.serial == link.serial,
                        label_runs.c.batch_id == row.id,
                        label_runs.c.position.is_not(None),
                    )
                )
            ).scalar()
            if known is None:
                raise _NotFound(link.serial)
    return to_batch(row), link.serial


async def _by_code(ledger: Ledger, code: str) -> Batch:
    try:
        canonical = normalise_batch_code(code)
    except InvalidIdentifier:
        raise _NotFound(code) from None
    async with read_transaction(ledger.engine) as conn:
        row = (await conn.execute(select(batches).where(batches.c.code == canonical))).first()
    if row is None:
        raise _NotFound(code)
    return to_batch(row)


async def _log_state(ledger: Ledger) -> tuple[str, CheckpointInfo | None]:
    """What a page's validator is made of: the log's size, key revocations, the checkpoint.

    A key revoked as compromised turns records already in the log invalid without a
    new record, so the revocations are part of the state as well.
    """
    async with read_transaction(ledger.engine) as conn:
        size = (await conn.execute(select(log_head.c.size))).scalar_one()
        revoked = (
            await conn.execute(
                select(func.count(), func.max(agency_keys.c.revoked_at_us)).where(
                    agency_keys.c.revoked_at_us.is_not(None)
                )
            )
        ).one()
        state = f"{size}/{revoked[0]}/{revoked[1]}"
        latest = (
            await conn.execute(
                select(checkpoints.c.size, checkpoints.c.signed_at_us)
                .order_by(checkpoints.c.size.desc())
                .limit(1)
            )
        ).first()
        if latest is None:
            return state, None
        witnesses = (
            await conn.execute(select(func.count()).where(cosignatures.c.size == latest.size))
        ).scalar_one()
    return state, CheckpointInfo(int(latest.size), from_us(latest.signed_at_us), int(witnesses))


def _not_found(request: Request[Any, Any, Any], code: str, status: int = 404) -> Response[Any]:
    lang = _lang(request)
    if _format(request) != "html":
        body = {
            "type": "urn:trace:problem:not_found",
            "title": "not found",
            "status": status,
            "detail": message("page.not_found", lang, code=code),
            "code": "not_found",
        }
        return Response(body, status_code=status, media_type="application/problem+json")
    html = render_not_found(
        lang,
        path=request.url.path,
        code=code,
        title=message("page.not_found_title", lang),
        text=message("page.not_found", lang, code=code),
    )
    return Response(
        html, status_code=status, media_type=FORMATS["html"], headers=security_headers()
    )


async def _page(
    request: Request[Any, Any, Any], ledger: Ledger, batch: Batch, serial: str | None
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    pages: _Pages = _state(request)
    lang, fmt = _lang(request), _format(request)
    size, checkpoint = await _log_state(ledger)
    scans: SerialInfo | None = None
    if serial is not None:
        scans = await record_scan(
            ledger, serial, _client(request), request.headers.get("user-agent", "")
        )
    today = vietnam_today()
    tag = hashlib.sha256(
        "\n".join(
            map(
                str,
                (
                    request.url.path,
                    lang,
                    fmt,
                    size,
                    checkpoint.size if checkpoint else 0,
                    checkpoint.witnesses if checkpoint else 0,
                    today,
                    scans.count if scans else "",
                    scans.places if scans else "",
                ),
            )
        ).encode()
    ).hexdigest()[:32]
    etag = f'"{tag}"'
    headers = {
        **security_headers(),
        "ETag": etag,
        "Cache-Control": "private, no-cache" if serial else "public, no-cache",
        "Vary": "Accept, Accept-Language",
        "Content-Language": lang,
        "Link": f'<{request.url.path}?format=linkset>; rel="linkset"; '
        'type="application/linkset+json"',
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    body = pages.cache.get(tag)
    if body is None:
        async with read_transaction(ledger.engine) as conn:
            view = await build_view(conn, batch, today=today)
        url = f"{settings.public_url}{request.url.path}"
        if fmt == "html":
            body = render_page(
                view, lang, path=request.url.path, checkpoint=checkpoint, serial=scans
            ).encode()
        elif fmt == "json":
            content = page_json(view)
            content["proofs"] = await page_proofs(ledger, batch, origin=settings.log_origin)
            body = msgspec.json.encode(content)
        elif fmt == "jsonld":
            body = msgspec.json.encode(epcis_document(view, url))
        else:
            body = msgspec.json.encode(linkset(view, url))
        pages.remember(tag, body)
    return Response(body, media_type=FORMATS[fmt], headers=headers)


def _limited(request: Request[Any, Any, Any]) -> Response[Any] | None:
    wait = _state(request).limit.allow(_client(request))
    if not wait:
        return None
    lang = _lang(request)
    seconds = max(1, round(wait))
    html = render_not_found(
        lang,
        path=request.url.path,
        code="",
        title=message("page.too_many", lang, seconds=seconds),
        text=message("page.too_many", lang, seconds=seconds),
    )
    return Response(
        html,
        status_code=429,
        media_type=FORMATS["html"],
        headers={**security_headers(), "Retry-After": str(seconds)},
    )


def _raw_path(request: Request[Any, Any, Any]) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return bytes(raw).decode("latin-1")


# One route for every path under /01/: the router sees the decoded path, in which a lot's
# "%2F" is already a "/", so the Digital Link is parsed from the raw path instead.
@get("/01/{rest:path}", include_in_schema=False)
async def digital_link_page(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[Any]:
    """The page of a batch (or one serialised item) by its GS1 Digital Link."""
    limited = _limited(request)
    if limited is not None:
        return limited
    path = _raw_path(request)
    try:
        link = parse_digital_link_path(path)
        batch, serial = await _by_digital_link(ledger, link)
    except InvalidIdentifier:
        return _not_found(request, path)
    except _NotFound as missing:
        return _not_found(request, missing.code)
    return await _page(request, ledger, batch, serial)


@get("/b/{code:str}", include_in_schema=False)
async def code_page(request: Request[Any, Any, Any], ledger: LedgerDep, code: str) -> Response[Any]:
    """The page of a batch by its short public code."""
    limited = _limited(request)
    if limited is not None:
        return limited
    try:
        batch = await _by_code(ledger, code)
    except _NotFound as missing:
        return _not_found(request, missing.code)
    return await _page(request, ledger, batch, None)


@get("/check", include_in_schema=False)
async def check_code(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[Any]:
    """A code a person typed (a batch code or a label's serial): to its page, or a 404 page."""
    limited = _limited(request)
    if limited is not None:
        return limited
    typed = request.query_params.get("code", "")
    lang = _lang(request)
    suffix = "" if lang == "vi" else "?lang=en"
    try:
        canonical = normalise_batch_code(typed)
    except InvalidIdentifier:
        return _not_found(request, typed)
    async with read_transaction(ledger.engine) as conn:
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


@get("/.well-known/gs1resolver", include_in_schema=False)
async def resolver_description(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What this GS1 Digital Link resolver serves (GS1-Conformant Resolver description)."""
    settings: Settings = request.app.state.settings
    return {
        "name": "trace",
        "resolverRoot": settings.public_url,
        "supportedPrimaryKeys": ["01"],
        "supportedQualifiers": {"01": ["10", "21"]},
        "linkTypes": [
            "gs1:defaultLink",
            "gs1:pip",
            "gs1:traceability",
            "gs1:certificationInfo",
            "gs1:recallStatus",
        ],
        "supportedLinkType": "all",
        "linksetMediaType": "application/linkset+json",
        "languages": ["vi", "en"],
        "contact": f"{settings.public_url}/schema",
    }


ROBOTS = "User-agent: *\nAllow: /\n"


@get("/robots.txt", include_in_schema=False, media_type="text/plain")
async def robots() -> str:
    """Crawlers may read every page; also the static reference of bench/page.py."""
    return ROBOTS


ROUTES = [digital_link_page, code_page, check_code, resolver_description, robots]
