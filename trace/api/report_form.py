"""`/b/{code}/report`: a shopper tells the authority and the producer what is wrong.

Every provenance page links here (the Digital Link pages too, by the batch's code). GET
answers the form; POST checks it, cleans the photo (trace/domain/report_photo.py), keeps
the report (trace/store/reports.py) and sends the browser to the thank-you page (303, so
a reload does not send it twice). A form with mistakes comes back filled in, each mistake
named beside its field and in a summary at the top (422). No address or browser is kept:
the report carries only the keyed, daily-rotating hash the scan counter makes of them
(trace/public/scans.py), by which a client's reports are limited (429 with the words).

The form needs no cookie, so a forged cross-site post could only send a report; still, a
post is taken only from this site's own pages: by ``Sec-Fetch-Site`` where the browser
sends it (W3C Fetch Metadata), else by ``Origin`` (RFC 6454); a program that sends
neither is judged by the rate limit alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post, route
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from trace.api.auth import LedgerDep
from trace.api.clients import client_address
from trace.api.head import GET_AND_HEAD
from trace.config import Settings
from trace.domain.errors import FieldProblem, InvalidIdentifier
from trace.domain.identifiers import normalise_batch_code
from trace.domain.report_photo import MAX_BYTES as PHOTO_MAX_BYTES
from trace.domain.report_photo import TOO_MANY_BYTES, CleanPhoto, clean_photo
from trace.domain.reports import ReportDraft, ReportInvalid, check_report
from trace.domain.texts import N_
from trace.public.report_page import (
    ReportForm,
    lang_query,
    render_report_form,
    render_report_refused,
    render_report_sent,
    report_headers,
)
from trace.public.scans import client_hash
from trace.store.batches import Batch, to_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.reports import Addressees, TooManyReports, addressees, file_report
from trace.store.tables import batches
from trace.translation import chosen, say

# The photo, the words and the form's own bytes.
MAX_BODY = PHOTO_MAX_BYTES + 64 * 1024
# The form's fields in the order it shows them: its mistakes are listed in that order.
_FIELDS = ("problem", "text", "photo", "contact")
# The values of Sec-Fetch-Site of a post made by this site's own page (or typed in).
_OWN_SITE = frozenset({"same-origin", "none"})

NOT_FOUND = N_("This code was not found")
NO_BATCH = N_(
    "No batch has the code {code}. Compare it with the 14-character code printed just under "
    "the QR code, open the product's page and choose “Report a problem” there."
)
NOT_SENT = N_("The report was not sent")
OTHER_SITE = N_(
    "A report is taken only from the form on this service's own page. Open the product's "
    "page, choose “Report a problem” and send it from there."
)
TOO_MANY = N_("Too many reports")


@dataclass(frozen=True, slots=True)
class _Found:
    batch: Batch
    who: Addressees


def _lang(request: Request[Any, Any, Any]) -> str:
    return chosen(request.query_params.get("lang"), request.headers.get("accept-language"))


async def _find(ledger: Ledger, code: str) -> _Found | None:
    """The batch of the public ``code`` and who reads its reports, or None."""
    async with read_transaction(ledger.engine) as conn:
        row = (await conn.execute(batches.select().where(batches.c.code == code))).first()
        if row is None:
            return None
        batch = to_batch(row)
        return _Found(batch, await addressees(conn, batch))


def _html(body: str, status: int = 200, **headers: str) -> Response[Any]:
    return Response(
        body.encode(),
        status_code=status,
        media_type="text/html",
        headers=report_headers() | headers,
    )


def _unknown(request: Request[Any, Any, Any], code: str) -> Response[Any]:
    lang = _lang(request)
    text = say(NO_BATCH, lang, code=code)
    page = render_report_refused(
        lang, path=request.url.path, page_path=None, title=say(NOT_FOUND, lang), text=text
    )
    return _html(page, 404)


async def _batch_of(
    request: Request[Any, Any, Any], ledger: Ledger, code: str
) -> _Found | Response[Any]:
    """The batch ``code`` names, or the answer to give instead (a 404 or a redirect)."""
    try:
        canonical = normalise_batch_code(code)
    except InvalidIdentifier:
        return _unknown(request, code)
    if canonical != code and request.method in ("GET", "HEAD"):
        query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
        tail = request.url.path.removeprefix(f"/b/{code}")
        location = f"/b/{canonical}{tail}" + (f"?{query}" if query else "")
        return Response(b"", status_code=308, headers={"Location": location})
    found = await _find(ledger, canonical)
    return _unknown(request, code) if found is None else found


@route("/b/{code:str}/report", http_method=GET_AND_HEAD, include_in_schema=False)
async def report_form(
    request: Request[Any, Any, Any], ledger: LedgerDep, code: str
) -> Response[Any]:
    """The form a shopper fills in to report a problem with batch ``code``."""
    found = await _batch_of(request, ledger, code)
    if isinstance(found, Response):
        return found
    return _form(request, found, ReportForm())


def _form(
    request: Request[Any, Any, Any], found: _Found, form: ReportForm, status: int = 200
) -> Response[Any]:
    lang = _lang(request)
    page = render_report_form(
        lang,
        path=f"/b/{found.batch.code}/report",
        page_path=found.batch.public_path,
        product=found.batch.product,
        code=found.batch.code,
        who=found.who,
        form=form,
    )
    return _html(page, status)


@post("/b/{code:str}/report", include_in_schema=False, request_max_body_size=MAX_BODY)
async def send_report(
    request: Request[Any, Any, Any], ledger: LedgerDep, code: str
) -> Response[Any]:
    """Keep a shopper's report of batch ``code`` and send them to the thank-you page."""
    found = await _batch_of(request, ledger, code)
    if isinstance(found, Response):
        return found
    lang = _lang(request)
    page_path = found.batch.public_path
    path = f"/b/{found.batch.code}/report"
    if not _from_own_site(request):
        text = say(OTHER_SITE, lang)
        refused = render_report_refused(
            lang, path=path, page_path=page_path, title=say(NOT_SENT, lang), text=text
        )
        return _html(refused, 403)
    try:
        form, photo, problems = await _read_form(request)
        draft = _checked(form, problems)
    except _Refill as refill:
        return _form(request, found, refill.form, 422)
    day, client = await client_hash(
        ledger, client_address(request), request.headers.get("user-agent", "")
    )
    try:
        await file_report(ledger, found.batch, draft, photo, day=day, client=client)
    except TooManyReports as exc:
        text = say(exc.words_for(exc.params), lang, **exc.params)
        refused = render_report_refused(
            lang, path=path, page_path=page_path, title=say(TOO_MANY, lang), text=text
        )
        return _html(refused, 429, **{"Retry-After": str(exc.minutes * 60)})
    return Response(b"", status_code=303, headers={"Location": f"{path}/sent{lang_query(lang)}"})


@get("/b/{code:str}/report/sent", include_in_schema=False)
async def report_sent(
    request: Request[Any, Any, Any], ledger: LedgerDep, code: str
) -> Response[Any]:
    """The thank-you page after a report: who receives it."""
    found = await _batch_of(request, ledger, code)
    if isinstance(found, Response):
        return found
    lang = _lang(request)
    page = render_report_sent(
        lang,
        path=request.url.path,
        page_path=found.batch.public_path,
        who=found.who,
    )
    return _html(page)


def _from_own_site(request: Request[Any, Any, Any]) -> bool:
    """Whether the post came from a page of this service (see the module's docstring)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in _OWN_SITE
    origin = request.headers.get("origin")
    if origin is None:
        return True
    settings: Settings = request.app.state.settings
    own = {_origin(settings.public_url), f"{request.url.scheme}://{request.url.netloc}"}
    return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _Refill(Exception):
    """The form goes back to the shopper, filled in, with what to fix."""

    def __init__(self, form: ReportForm) -> None:
        super().__init__("report form to fix")
        ordered = sorted(form.problems, key=lambda p: _FIELDS.index(p.path))
        self.form = ReportForm(form.problem, form.text, form.contact, ordered)


async def _read_form(
    request: Request[Any, Any, Any],
) -> tuple[ReportForm, CleanPhoto | None, list[FieldProblem]]:
    """The fields of the posted form, its photo cleaned, and the photo's mistake if any."""
    try:
        sent = await request.form()
    except RequestEntityTooLarge as exc:
        limit = PHOTO_MAX_BYTES // 1024 // 1024
        size = f"{(request.content_length or 0) / 1024 / 1024:.1f}"
        problem = FieldProblem("photo", TOO_MANY_BYTES, {"size": size, "limit": limit})
        raise _Refill(ReportForm(problems=(problem,))) from exc
    form = ReportForm(
        problem=_text(sent.get("problem")),
        text=_text(sent.get("text")),
        contact=_text(sent.get("contact")),
    )
    upload = sent.get("photo")
    if not isinstance(upload, UploadFile):
        return form, None, []
    data = await upload.read()
    if not data:
        return form, None, []
    try:
        # Decoding a camera's photo takes a moment of CPU: off the event loop.
        return form, await asyncio.to_thread(clean_photo, data), []
    except ReportInvalid as refused:
        return form, None, list(refused.problems)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _checked(form: ReportForm, problems: list[FieldProblem]) -> ReportDraft:
    """The draft of ``form``; :class:`_Refill` with every mistake (the photo's too)."""
    try:
        draft = check_report(form.problem, form.text, form.contact)
    except ReportInvalid as invalid:
        problems = [*invalid.problems, *problems]
        raise _Refill(ReportForm(form.problem, form.text, form.contact, problems)) from invalid
    if problems:
        raise _Refill(ReportForm(form.problem, form.text, form.contact, problems))
    return draft


ROUTES = [report_form, send_report, report_sent]
