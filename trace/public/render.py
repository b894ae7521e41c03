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
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from babel import Locale
from jinja2 import Environment, FileSystemLoader, select_autoescape

from trace.domain.chain import FAULT_WORDS
from trace.domain.facts import Unshown
from trace.domain.kinds import (
    KIND_NAMES,
    PROCESS_NAMES,
    Certified,
    Harvested,
    InputApplied,
    InspectionResult,
    Packed,
    Planted,
    Processed,
    Recalled,
    Received,
    Serialised,
    Shipped,
    Sold,
    Transformed,
    Withdrawn,
)
from trace.domain.photo_sizes import FORMATS as COPY_FORMATS
from trace.domain.photo_sizes import copy_path, offered_widths
from trace.domain.photos import Photo
from trace.domain.places import Place, communes, provinces
from trace.domain.quantity import DOSE_BASIS_NAMES, UNIT_NAMES
from trace.domain.texts import N_
from trace.local_formats import day, moment, number
from trace.public.geo import origin_map
from trace.public.view import Event, PageView
from trace.translation import DEFAULT_LANGUAGE, languages, say, say_n

HERE = Path(__file__).parent
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
def content_security_policy(script_name: str = "verify.js") -> str:
    """Only the page's own inline style and script, by hash; JSON fetched from its own origin."""
    style = f"'sha256-{_digest(_asset('page.css'))}'"
    script = _asset(script_name)
    scripts = f"'sha256-{_digest(script)}'" if script else "'none'"
    return (
        f"default-src 'none'; style-src {style}; script-src {scripts}; connect-src 'self';"
        " img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers(script_name: str = "verify.js") -> dict[str, str]:
    """Headers every public page carries; ``script_name`` is the one script it may run."""
    return {
        "Content-Security-Policy": content_security_policy(script_name),
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
        # Texts are marked with _() and ngettext() (Jinja2's i18n), translated per request.
        extensions=["jinja2.ext.i18n"],
    )


# What the phone's own check says (verify.js fills in {n}, {w}, {seq} and {what}).
DEVICE = {
    "running": N_("Checking again on this device…"),
    "ok": N_("Verified on this device: {n} signatures and proofs are correct ({w} witnesses)."),
    "failed": N_("The check on this device FAILED at record {seq} ({what})."),
    "unsupported": N_(
        "This browser cannot check Ed25519 signatures; the result above is the server's."
    ),
    "error": N_("The proofs for the check on this device could not be loaded."),
    "what": {
        "checkpoint": N_("the log checkpoint's signature"),
        "key": N_("an unknown signing key"),
        "signature": N_("the signature does not match"),
        "record_hash": N_("the record was changed"),
        "chain": N_("the chain is broken"),
        "inclusion": N_("not in the signed log"),
    },
}
# An analyte's result, and why a record is shown without what it says.
RESULTS = {
    InspectionResult.CONFORMANT: N_("Pass"),
    InspectionResult.NON_CONFORMANT: N_("Fail"),
}
UNSHOWN = {
    Unshown.MALFORMED: N_(
        "The content of this record cannot be read. The integrity check above "
        "says whether it was altered."
    ),
    Unshown.OUT_OF_RANGE: N_(
        "The date in this record lies outside the range the ledger accepts "
        "(1970–2199), so only the time it was recorded is shown. Its signature "
        "and chain are still checked."
    ),
}
# A record whose statement does not decode has no kind of its own.
MALFORMED = N_("Damaged record")
# What OCOP is and what its stars mean, in one line under an OCOP certificate.
OCOP_PROGRAMME = N_(
    "OCOP (One Commune One Product) is Vietnam's programme that rates local products "
    "from 3 to 5 stars."
)
OCOP_STARS = {
    3: N_("3 stars: meets the standards, can still improve."),
    4: N_("4 stars: a good product that can reach national level."),
    5: N_("5 stars: national level, able to export."),
}
# Who decided: the council that assessed it, the authority that recognised it.
OCOP_LEVELS = {
    "province": N_(
        "Recognised by {issuer} after the provincial OCOP council's assessment; valid until {date}."
    ),
    "central": N_(
        "Recognised by {issuer} after the central OCOP council's assessment; valid until {date}."
    ),
    None: N_("Recognised by {issuer}; valid until {date}."),
}
# The recording delay is shown only past this many days (a day or two is ordinary).
LATE_DAYS = 3
# Vietnamese names a unit's kind in lower case before its name inside a sentence.
_VI_KINDS = {
    "city": "thành phố",
    "province": "tỉnh",
    "ward": "phường",
    "commune": "xã",
    "special_zone": "đặc khu",
}


def _in_sentence(place: Place, lang: str) -> str:
    """A province or commune named inside a sentence: "xã Tiên Lữ", "Tien Lu Commune"."""
    if lang != "vi":
        return place.name_en
    kind = _VI_KINDS.get(place.kind, "")
    bare = place.name_vi
    if kind and bare.lower().startswith(kind + " "):
        bare = bare[len(kind) + 1 :]
    return f"{kind} {bare}".strip()


def household_place(province: str, commune: str | None, lang: str) -> str:
    """Where a household producer is, as its events' signer is named: commune, province."""
    found = [p for p in provinces() if p.code == province]
    parts = []
    if commune:
        parts += [_in_sentence(c, lang) for c in communes(province) or () if c.code == commune]
    parts += [_in_sentence(p, lang) for p in found] or [province]
    return ", ".join(parts)


def standards_of(view: PageView) -> list[str]:
    """The standards the batch applies: those its registration names, then its certificates'."""
    named = getattr(view.registered, "standards", None) or []
    found = [str(name) for name in named]
    for certificate in view.certificates:
        shown = SCHEMES.get(certificate.scheme, certificate.scheme)
        if shown not in found and not certificate.expired:
            found.append(shown)
    return found


def _agent(view: PageView, lang: str) -> Callable[[str, str], str]:
    def agent(agency_id: str, shown: str) -> str:
        """An agency as the page names it: a household by its place, never by the commune's."""
        place = view.household_of(agency_id)
        if place is None:
            return shown
        return say("Household producer in {place}", lang, place=household_place(*place, lang))

    return agent


@dataclass(frozen=True, slots=True)
class OtherLanguage:
    """A language the page is also in: its code, its own name for itself, the page's URL."""

    code: str
    name: str
    url: str


def _endonym(code: str) -> str:
    """A language's name in itself ("Tiếng Việt", "English"), from CLDR through Babel."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def other_languages(lang: str, path: str) -> list[OtherLanguage]:
    """Every language but ``lang`` that the service has, named in itself (Babel's CLDR names)."""
    return [
        OtherLanguage(code, _endonym(code), f"{path}?lang={code}")
        for code in languages()
        if code != lang
    ]


def template_words(lang: str) -> dict[str, Any]:
    """What every template is given to speak ``lang``: gettext's two calls, and formats."""

    def gettext(msgid: str, /, **params: object) -> str:
        return say(msgid, lang, **params)

    def ngettext(singular: str, plural: str, count: int, /, **params: object) -> str:
        return say_n(singular, plural, count, lang, **params)

    return {
        "lang": lang,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "day": lambda value: day(value, lang),
        "moment": lambda value: moment(value, lang),
    }


def _quantity(lang: str) -> Callable[[Any], str]:
    def quantity(value: Any) -> str:
        """``Quantity`` or its text ("3000 KGM") with the unit named in ``lang``."""
        amount, _, unit = (
            f"{value.value} {value.unit}" if hasattr(value, "unit") else str(value)
        ).partition(" ")
        name = say(UNIT_NAMES[unit], lang) if unit in UNIT_NAMES else unit
        return f"{number(amount, lang)} {name}".strip()

    return quantity


def _details(lang: str, view: PageView) -> Callable[[Event], list[str]]:
    quantity = _quantity(lang)
    agent = _agent(view, lang)
    names = {agency: agent(agency, name) for agency, name in view.agency_names.items()}

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
            basis = body.dose.per
            per = f"/{say(DOSE_BASIS_NAMES[basis], lang)}" if basis else ""
            lines.append(f"{body.product}: {quantity(body.dose)}{per}")
        if isinstance(body, Processed):
            lines.append(body.process)
        if isinstance(body, Shipped):
            lines.append("→ " + names.get(body.to, body.to))
        if isinstance(body, Received):
            lines.append("← " + names.get(body.from_, body.from_))
        if isinstance(body, Sold) and body.to:
            lines.append("→ " + names.get(body.to, body.to))
        if isinstance(body, Transformed):
            lines.append(say(PROCESS_NAMES[body.process], lang))
        if isinstance(body, Certified):
            lines.append(
                f"{SCHEMES.get(body.scheme.value, body.scheme.value)} {body.certificate_number}"
            )
        if isinstance(body, Recalled):
            lines.append(body.reason)
        if isinstance(body, Serialised):
            lines.append(f"{body.count} · {body.first} … {body.last}")
        if isinstance(body, Withdrawn):
            lines.append(quantity(body.quantity))
        return lines

    return details


def kind_name(lang: str) -> Callable[[str], str]:
    """A record's kind as the reader calls it (a damaged record's too)."""

    def name(kind: str) -> str:
        return say(KIND_NAMES.get(kind, MALFORMED), lang)

    return name


def photo_sources(photo: Photo) -> list[tuple[str, str]]:
    """The ``<source>``s of a photo: per format, best first, its media type and ``srcset``.

    None when the photo is too small to have copies: the ``<img>`` alone shows it.
    """
    widths = offered_widths(photo.width)
    if not widths:
        return []
    return [
        (media_type, ", ".join(f"{copy_path(photo.sha256, w, fmt)} {w}w" for w in widths))
        for fmt, (media_type, _) in COPY_FORMATS.items()
    ]


def render_page(
    view: PageView,
    lang: str,
    *,
    path: str,
    checkpoint: CheckpointInfo | None,
    serial: SerialInfo | None = None,
) -> str:
    """The provenance page of ``view`` in ``lang``."""
    faults = [
        {"seq": f.seq, "text": say(FAULT_WORDS[f.fault], lang, seq=f.seq, position=f.position)}
        for f in view.faults
    ]
    covered = checkpoint is not None and checkpoint.size > view.last_position
    return (
        _environment()
        .get_template("page.html")
        .render(
            **template_words(lang),
            details=_details(lang, view),
            agent=_agent(view, lang),
            ocop=(OCOP_PROGRAMME, OCOP_STARS, OCOP_LEVELS),
            late_days=LATE_DAYS,
            standards=standards_of(view),
            quantity=_quantity(lang),
            kind_name=kind_name(lang),
            scheme=lambda name: SCHEMES.get(name, name),
            device=DEVICE,
            results=RESULTS,
            unshown=UNSHOWN,
            photo_sources=photo_sources,
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
                say("Map: origin {place}", lang, place=view.origin_province),
            ),
            other_languages=other_languages(lang, path),
            lang_query="" if lang == DEFAULT_LANGUAGE else f"?lang={lang}",
            json_url=f"{path}?format=json",
        )
    )


def render_not_found(lang: str, *, path: str, code: str, title: str, text: str) -> str:
    """The page for an unknown or malformed code, or for too many lookups."""
    return (
        _environment()
        .get_template("not_found.html")
        .render(
            **template_words(lang),
            css=_asset("page.css"),
            code=code,
            title=title,
            message=text,
            other_languages=other_languages(lang, path),
        )
    )


# The start page's one script: the camera button (trace/public/start.js).
START_SCRIPT = "start.js"


def render_start(lang: str, *, path: str) -> str:
    """The start page: what the service is, a code to type, the camera where it can read QR."""
    return (
        _environment()
        .get_template("start.html")
        .render(
            **template_words(lang),
            css=_asset("page.css"),
            script=_asset(START_SCRIPT),
            other_languages=other_languages(lang, path),
        )
    )


def render_busy(lang: str, *, path: str, again: str) -> str:
    """The page for too many lookups in a short time: wait a minute (nothing about fakes)."""
    return (
        _environment()
        .get_template("busy.html")
        .render(
            **template_words(lang),
            css=_asset("page.css"),
            again=again,
            other_languages=other_languages(lang, path),
        )
    )


def render_template(name: str, lang: str, *, path: str, **values: Any) -> str:
    """Another public page (``templates/{name}``) in ``lang``, given ``values``, the page's
    style sheet (``css``, unless ``values`` has its own) and the other languages of ``path``."""
    context = {
        **template_words(lang),
        "css": _asset("page.css"),
        "other_languages": other_languages(lang, path),
        **values,
    }
    return _environment().get_template(name).render(context)


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
