"""The shoppers' report pages as HTML: the form, the thank-you page and the refusals.

The form works without JavaScript (a plain POST of ``multipart/form-data``); the page has
no script at all. Its style sheet is the provenance page's with a few rules for the form,
inline and allowed by its SHA-256 in the Content-Security-Policy, which allows nothing else
but posting the form to this origin.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from trace.domain.errors import FieldProblem
from trace.domain.places import province_name
from trace.domain.report_photo import MAX_BYTES as PHOTO_MAX_BYTES
from trace.domain.reports import MAX_CONTACT, MAX_TEXT, PROBLEM_NAMES
from trace.public.render import render_template
from trace.store.reports import Addressees
from trace.translation import DEFAULT_LANGUAGE, say

HERE = Path(__file__).parent


@cache
def _style() -> str:
    return "".join((HERE / name).read_text(encoding="utf-8") for name in ("page.css", "report.css"))


@cache
def _policy() -> str:
    digest = base64.b64encode(hashlib.sha256(_style().encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self' data:;"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def report_headers() -> dict[str, str]:
    """Headers of every report page: its own policy, never cached, never framed."""
    return {
        "Content-Security-Policy": _policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


@dataclass(frozen=True, slots=True)
class ReportForm:
    """The form as the shopper filled it (empty at first), with what to fix in it."""

    problem: str = ""
    text: str = ""
    contact: str = ""
    problems: Sequence[FieldProblem] = field(default_factory=tuple)


def lang_query(lang: str) -> str:
    """The query string that keeps ``lang`` on the next page (none for the default)."""
    return "" if lang == DEFAULT_LANGUAGE else f"?lang={lang}"


def readers_sentence(who: Addressees, lang: str) -> str:
    """Who receives a report of the batch, in one sentence of ``lang``."""
    place = province_name(who.province) if who.province else ""
    if who.authority:
        authority = who.authority
    elif place:
        authority = say("the agri-food quality authority of {province}", lang, province=place)
    else:
        authority = say("the provincial agri-food quality authority", lang)
    if who.producer is None:
        return say(
            "Your report goes to {authority} and to the household that produced it.",
            lang,
            authority=authority,
        )
    return say(
        "Your report goes to {authority} and to the producer, {producer}.",
        lang,
        authority=authority,
        producer=who.producer,
    )


def render_report_form(
    lang: str,
    *,
    path: str,
    page_path: str,
    product: str,
    code: str,
    who: Addressees,
    form: ReportForm,
) -> str:
    """The report form of a batch, filled as ``form`` is, with its mistakes named."""
    errors = [{"field": p.path, "text": say(p.words, lang, **p.params)} for p in form.problems]
    return render_template(
        "report.html",
        lang,
        path=path,
        stage="form",
        css=_style(),
        title=say("Report a problem", lang),
        action=f"{path}{lang_query(lang)}",
        page_path=f"{page_path}{lang_query(lang)}",
        product=product,
        code=code,
        problems=[(problem.value, name) for problem, name in PROBLEM_NAMES.items()],
        chosen=form.problem,
        text=form.text,
        contact=form.contact,
        errors=errors,
        field_errors={e["field"]: e["text"] for e in errors},
        text_limit=MAX_TEXT,
        contact_limit=MAX_CONTACT,
        photo_limit=PHOTO_MAX_BYTES // 1024 // 1024,
        readers=readers_sentence(who, lang),
    )


def render_report_sent(lang: str, *, path: str, page_path: str, who: Addressees) -> str:
    """The thank-you page: the report is kept, and who receives it."""
    return render_template(
        "report.html",
        lang,
        path=path,
        stage="sent",
        css=_style(),
        title=say("Thank you: your report was sent", lang),
        page_path=f"{page_path}{lang_query(lang)}",
        readers=readers_sentence(who, lang),
    )


def render_report_refused(
    lang: str, *, path: str, page_path: str | None, title: str, text: str
) -> str:
    """A report not taken (too many, not from this site's form, no such batch), in words of
    what to do; ``page_path`` is the product's page, if there is one."""
    return render_template(
        "report.html",
        lang,
        path=path,
        stage="refused",
        css=_style(),
        title=title,
        message=text,
        page_path=f"{page_path}{lang_query(lang)}" if page_path else None,
    )
