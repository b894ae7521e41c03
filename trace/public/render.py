"""The provenance page and the not-found page as HTML, with their security headers.

Jinja2 escapes every value (producer-supplied text included); the style sheet and
the verification script are inline and allowed by their SHA-256 in the
Content-Security-Policy, which allows nothing else: no other script, no inline
event handler, no request to another origin.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape

from trace.catalogue import MESSAGES, message
from trace.domain.kinds import (
    Certified,
    Harvested,
    InputApplied,
    Packed,
    Planted,
    Processed,
    Recalled,
    Received,
    Serialised,
    Shipped,
    Sold,
    Transformed,
)
from trace.places import VIETNAM
from trace.public.geo import origin_map
from trace.public.view import Event, PageView

HERE = Path(__file__).parent
OTHER = {"vi": "en", "en": "vi"}
SCHEMES = {
    "vietgap": "VietGAP",
    "vietgahp": "VietGAHP",
    "organic": "Hữu cơ / Organic",
    "globalgap": "GLOBALG.A.P.",
    "ocop": "OCOP",
}


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """The newest signed checkpoint: its size, when it was signed, how many witnesses cosigned."""

    size: int
    signed_at: datetime
    witnesses: int


@dataclass(frozen=True, slots=True)
class SerialInfo:
    """Scans of one serialised label, counted per device and day without personal data."""

    serial: str
    count: int
    since: datetime
    places: int
    suspicious: bool


@cache
def _asset(name: str) -> str:
    path = HERE / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@cache
def content_security_policy() -> str:
    """Only the page's own inline style and script, by hash; JSON fetched from its own origin."""
    style = f"'sha256-{_digest(_asset('page.css'))}'"
    script = _asset("verify.js")
    scripts = f"'sha256-{_digest(script)}'" if script else "'none'"
    return (
        f"default-src 'none'; style-src {style}; script-src {scripts}; connect-src 'self';"
        " img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers() -> dict[str, str]:
    """Headers every public page carries."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # The templates ship with the code: no need to look at their files again.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _translator(lang: str) -> Callable[..., str]:
    def t(key: str, /, **params: object) -> str:
        return message(key, lang, **params)

    return t


def _day(lang: str) -> Callable[[date | datetime], str]:
    def day(value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = (value.astimezone(UTC) + VIETNAM).date()
        return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()

    return day


def _moment(lang: str) -> Callable[[datetime], str]:
    def moment(value: datetime) -> str:
        local = value.astimezone(UTC) + VIETNAM
        text = (
            local.strftime("%H:%M %d/%m/%Y") if lang == "vi" else local.strftime("%Y-%m-%d %H:%M")
        )
        return f"{text} (UTC+7)"

    return moment


def _details(lang: str, names: dict[str, str]) -> Callable[[Event], list[str]]:
    def unit(code: str) -> str:
        key = f"unit.{code}"
        return message(key, lang) if key in MESSAGES else code

    def quantity(value: Any) -> str:
        return f"{value.value} {unit(value.unit)}"

    def details(event: Event) -> list[str]:
        body = event.body
        lines: list[str] = []
        if isinstance(body, (Harvested, Packed)) and body.quantity is not None:
            lines.append(quantity(body.quantity))
        if isinstance(body, Packed):
            lines.append(f"{body.count} × {body.package_type}")
        if isinstance(body, Planted):
            lines.append(body.crop + (f" ({body.variety})" if body.variety else ""))
        if isinstance(body, InputApplied):
            per = f"/{message(f'page.per.{body.dose.per.value}', lang)}" if body.dose.per else ""
            lines.append(f"{body.product}: {body.dose.value} {unit(body.dose.unit)}{per}")
        if isinstance(body, Processed):
            lines.append(body.process)
        if isinstance(body, Shipped):
            lines.append("→ " + names.get(body.to, body.to))
        if isinstance(body, Received):
            lines.append("← " + names.get(body.from_, body.from_))
        if isinstance(body, Sold) and body.to:
            lines.append("→ " + names.get(body.to, body.to))
        if isinstance(body, Transformed):
            lines.append(message(f"page.process.{body.process.value}", lang))
        if isinstance(body, Certified):
            lines.append(
                f"{SCHEMES.get(body.scheme.value, body.scheme.value)} {body.certificate_number}"
            )
        if isinstance(body, Recalled):
            lines.append(body.reason)
        if isinstance(body, Serialised):
            lines.append(f"{body.count} · {body.first} … {body.last}")
        return lines

    return details


def render_page(
    view: PageView,
    lang: str,
    *,
    path: str,
    checkpoint: CheckpointInfo | None,
    serial: SerialInfo | None = None,
) -> str:
    """The provenance page of ``view`` in ``lang``."""
    other = OTHER[lang]
    faults = [
        {
            "seq": f.seq,
            "text": message(f"fault.{f.fault.value}", lang, seq=f.seq, position=f.position),
        }
        for f in view.faults
    ]
    covered = checkpoint is not None and checkpoint.size > view.last_position
    return (
        _environment()
        .get_template("page.html")
        .render(
            lang=lang,
            t=_translator(lang),
            day=_day(lang),
            moment=_moment(lang),
            details=_details(lang, view.agency_names),
            scheme=lambda name: SCHEMES.get(name, name),
            view=view,
            faults=faults,
            covered=covered,
            checkpoint=checkpoint,
            serial=serial,
            css=_asset("page.css"),
            script=_asset("verify.js"),
            map=origin_map(
                view.origin_province_code,
                view.origin_province,
                message("page.map", lang, place=view.origin_province),
            ),
            other_lang=other,
            other_lang_url=f"{path}?lang={other}",
            lang_query="" if lang == "vi" else "?lang=en",
            json_url=f"{path}?format=json",
        )
    )


def render_not_found(lang: str, *, path: str, code: str, title: str, text: str) -> str:
    """The page for an unknown or malformed code, or for too many lookups."""
    other = OTHER[lang]
    return (
        _environment()
        .get_template("not_found.html")
        .render(
            lang=lang,
            t=_translator(lang),
            css=_asset("page.css"),
            code=code,
            title=title,
            message=text,
            other_lang=other,
            other_lang_url=f"{path}?lang={other}",
        )
    )


def page_json(view: PageView) -> dict[str, Any]:
    """The facts of the page as plain data (the proofs are added by the caller)."""
    return {
        "batch": {
            "id": view.batch.id,
            "code": view.batch.code,
            "gtin": view.batch.gtin,
            "lot": view.batch.lot,
            "product": view.product,
            "producer": view.producer,
            "origin": {"province": view.origin_province_code, "name": view.origin_province},
            "recalled": view.batch.recalled,
        },
        "intact": view.intact,
        "faults": [{"seq": f.seq, "fault": f.fault.value} for f in view.faults],
        "alerts": [
            {
                "kind": a.kind,
                "batch": a.batch_code,
                "reason": a.reason,
                "authority": a.authority,
                "at": a.when.isoformat(),
            }
            for a in view.alerts
        ],
        "events": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "occurred_at": e.occurred_at.isoformat(),
                "recorded_at": e.recorded_at.isoformat(),
                "agency": e.agency,
                "body": msgspec.to_builtins(e.body) if e.body is not None else None,
                "record_hash": e.record_hash,
                "corrected": bool(e.corrected_by),
            }
            for e in view.events
        ],
    }
