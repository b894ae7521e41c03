"""The GS1-Conformant resolver of the ledger's Digital Links (GS1-Conformant resolver 1.2.0).

``/01/{gtin}/10/{lot}`` and ``/01/{gtin}/10/{lot}/21/{serial}`` name a batch (or one
serialised item of it). What the standard asks of a resolver, and where it is done:

- ``GET`` and ``HEAD`` answer with the batch's page, which is its default link, or by
  content negotiation with the other formats (trace/api/pages.py); ``OPTIONS`` is answered
  with ``Allow``, and a CORS preflight is answered on every path here (trace/api/cors.py).
- ``?linkType=linkset`` (and the older ``?linkType=all``) answers with the linkset
  (RFC 9264 JSON, ``application/linkset+json``), never a redirect.
- ``?linkType=gs1:pip`` (a CURIE, or the link type's full URI) redirects with a 307 to that
  link, passing the rest of the query string on. "If the requested type of link is not
  available, the resolver SHALL return a 404 Not Found message": a type the batch has no
  link of is a 404 that names the linkset.
- "SHALL extract and syntactically validate the URI and report errors with an HTTP
  response code of 400": a path that is not a Digital Link of this ledger is a 400; a GTIN
  whose check digit is wrong is told the digit it should end with. A trailing slash is
  tolerated (the one URL of each page is without it).
- ``/.well-known/gs1resolver`` is the resolver description file, valid against GS1's JSON
  schema for it (tests/integration/gs1/).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from litestar import Request, Response, route
from sqlalchemy import bindparam, select

from trace.api.auth import LedgerDep
from trace.api.head import GET_AND_HEAD
from trace.api.pages import (
    FORMATS,
    LINKSET_LINK_TYPES,
    OWN_COMPRESSION,
    _body,
    _format,
    _lang,
    _limited,
    _moved,
    _not_found,
    _send,
    _serve,
)
from trace.api.problems import problem
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError, InvalidIdentifier
from trace.domain.identifiers import DigitalLink, parse_digital_link_path
from trace.domain.places import vietnam_today
from trace.domain.texts import N_
from trace.public.machine import GS1_VOC, linkset
from trace.public.render import render_not_found, security_headers
from trace.public.view import build_view
from trace.store.batches import Batch, to_batch
from trace.store.database import Reads, read_transaction
from trace.store.errors import NotFound
from trace.store.tables import agencies, batches, label_runs, label_serials
from trace.translation import say

# The namespaces GS1 has published its link types under; a link type may be asked for by
# any of them, or by the CURIE prefix.
_GS1_NAMESPACES = (
    "https://gs1.org/voc/",
    "https://ref.gs1.org/voc/",
    "https://www.gs1.org/voc/",
    "http://gs1.org/voc/",
)
GS1_PREFIX = "gs1:"
_TITLE_INVALID = N_("This is not a valid product code")
_TITLE_NO_LINK = N_("This product has no link of that type")

_BY_LINK = select(batches).where(
    batches.c.gtin == bindparam("gtin"), batches.c.lot == bindparam("lot")
)
_SERIAL = (
    select(label_serials.c.serial)
    .join(label_runs, label_runs.c.id == label_serials.c.run_id)
    .where(
        label_serials.c.serial == bindparam("serial"),
        label_runs.c.batch_id == bindparam("batch"),
        label_runs.c.position.is_not(None),
    )
)
_OPERATOR = (
    select(agencies.c.name)
    .where(agencies.c.kind == AgencyKind.OPERATOR.value)
    .order_by(agencies.c.created_at_us)
    .limit(1)
)


async def _by_digital_link(conn: Reads, link: DigitalLink) -> tuple[Batch, str | None] | str:
    """The batch (and serial) ``link`` names, or the part of it that names nothing."""
    row = (await conn.execute(_BY_LINK, {"gtin": link.gtin, "lot": link.lot})).first()
    if row is None:
        return link.lot
    if link.serial is not None:
        known = await conn.execute(_SERIAL, {"serial": link.serial, "batch": row.id})
        if known.scalar() is None:
            return link.serial
    return to_batch(row), link.serial


def _raw_path(request: Request[Any, Any, Any]) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return bytes(raw).decode("latin-1")


def link_relation(link_type: str) -> str | None:
    """The full URI of a GS1 link type asked for as ``gs1:pip`` or by any of GS1's
    namespaces; None for a link type outside GS1's vocabulary."""
    if link_type.startswith(GS1_PREFIX):
        return GS1_VOC + link_type.removeprefix(GS1_PREFIX)
    for namespace in _GS1_NAMESPACES:
        if link_type.startswith(namespace):
            return GS1_VOC + link_type.removeprefix(namespace)
    return None


def passing_query_on(href: str, request: Request[Any, Any, Any]) -> str:
    """``href`` with the request's query parameters other than ``linkType`` added: a
    resolver passes the query string on when it redirects."""
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    passed = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "linkType"]
    if not passed:
        return href
    parts = urlsplit(href)
    merged = parse_qsl(parts.query, keep_blank_values=True) + passed
    return urlunsplit(parts._replace(query=urlencode(merged)))


def _refused(
    request: Request[Any, Any, Any],
    status: int,
    error: type[DomainError],
    title: str,
    **params: object,
) -> Response[Any]:
    """A refusal in the format asked for: a page for a person, a problem for a program."""
    if _format(request) != "html":
        return problem(request, status, error.code, problems=(), **params)
    lang = _lang(request)
    html = render_not_found(
        lang,
        path=request.url.path,
        code="",
        title=say(title, lang),
        text=say(error.words_for(params), lang, **params),
    )
    return _send(
        request,
        _body(html.encode()),
        media_type=FORMATS["html"],
        headers={**security_headers(), "Vary": "Accept, Accept-Language, Accept-Encoding"},
        status=status,
    )


def _not_a_digital_link(request: Request[Any, Any, Any], exc: InvalidIdentifier) -> Response[Any]:
    """A 400 naming what is wrong with the path; for a wrong GTIN check digit, the digit it
    should be."""
    params = dict(exc.params)
    if exc.params.get("reason") == "check_digit":
        gtin = str(exc.params["value"])
        params = {
            "value": gtin,
            "reason": "gtin_check_digit",
            "expected": exc.params["expected"],
            "found": gtin[-1],
        }
    return _refused(request, 400, InvalidIdentifier, _TITLE_INVALID, detail=exc.detail, **params)


async def _to_link(
    request: Request[Any, Any, Any], ledger: LedgerDep, link: DigitalLink, link_type: str
) -> Response[Any]:
    """A 307 to the batch's link of ``link_type``, or a 404 when it has none."""
    settings: Settings = request.app.state.settings
    relation = link_relation(link_type)
    async with read_transaction(ledger.reader()) as conn:
        found = await _by_digital_link(conn, link)
        if isinstance(found, str):
            return _not_found(request, found)
        view = await build_view(conn, found[0], today=vietnam_today())
    links = linkset(view, f"{settings.public_url}{link.path()}")["linkset"][0]
    targets = links.get(relation) if relation else None
    if not targets:
        return _refused(request, 404, NotFound, _TITLE_NO_LINK, what="link_type", id=link_type)
    return Response(
        b"",
        status_code=307,
        headers={
            "Location": passing_query_on(targets[0]["href"], request),
            "Link": f'<{link.path()}?linkType=linkset>; rel="linkset"; '
            'type="application/linkset+json"',
        },
    )


# One route for every path under /01/: the router sees the decoded path, in which a lot's
# "%2F" is already a "/", so the Digital Link is parsed from the raw path instead.
@route(
    "/01/{rest:path}",
    http_method=GET_AND_HEAD,
    include_in_schema=False,
    opt={OWN_COMPRESSION: True},
)
async def digital_link_page(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[Any]:
    """The page of a batch (or one serialised item) by its GS1 Digital Link, or its link of
    the type ``?linkType=`` names."""
    limited = _limited(request)
    if limited is not None:
        return limited
    path = _raw_path(request)
    try:
        link = parse_digital_link_path(path.rstrip("/") or path)
    except InvalidIdentifier as exc:
        return _not_a_digital_link(request, exc)
    canonical = link.path()
    if path != canonical:
        return _moved(request, canonical)
    link_type = request.query_params.get("linkType")
    if link_type and link_type not in LINKSET_LINK_TYPES:
        return await _to_link(request, ledger, link, link_type)
    key = ("01", link.gtin, link.lot, link.serial or "")
    return await _serve(request, ledger, key, lambda conn: _by_digital_link(conn, link))


@route("/.well-known/gs1resolver", http_method=GET_AND_HEAD, include_in_schema=False)
async def resolver_description(
    request: Request[Any, Any, Any], ledger: LedgerDep
) -> dict[str, Any]:
    """The resolver description file (GS1-Conformant resolver 1.2.0 and its JSON schema):
    the keys resolved, the link types' namespace, and who runs the resolver."""
    settings: Settings = request.app.state.settings
    async with read_transaction(ledger.engine) as conn:
        operator = (await conn.execute(_OPERATOR)).scalar()
    return {
        "name": "trace",
        "resolverRoot": settings.public_url,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": GS1_PREFIX}],
        "linkTypeDefaultCanBeLinkset": False,
        "contact": {"fn": operator or urlsplit(settings.public_url).hostname or "trace"},
    }


ROUTES = [digital_link_page, resolver_description]
