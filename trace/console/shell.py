"""The console's files as the service sends them: the shell per language, modules, manifest.

Everything is read from this package once per process and kept with its gzip and its
ETag. The release's ``VERSION`` is a hash of every file and of the words in every
language: the service worker names its cache after it, so a new release (a changed module
or a changed translation) replaces the phone's copy whole.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image, ImageDraw

from trace.console.words import words
from trace.public.render import other_languages, template_words
from trace.translation import DEFAULT_LANGUAGE, languages, say

HERE = Path(__file__).parent
STATIC = HERE / "static"
BASE = "/console/"
THEME = "#1d6b3a"
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html",
}
ICON_SIZES = (192, 512)
_GZIP_MIN = 500


def content_security_policy() -> str:
    """Scripts and styles from this origin only: no inline script, no eval, no other host."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:;"
        " connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers() -> dict[str, str]:
    """Headers of every console file."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


@dataclass(frozen=True, slots=True)
class Asset:
    """One file as sent: its bytes, its gzip (when worth it), its type and its ETag."""

    plain: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


def _asset(data: bytes, media_type: str) -> Asset:
    packed = gzip.compress(data, compresslevel=9, mtime=0) if len(data) >= _GZIP_MIN else None
    return Asset(data, packed, media_type, f'"{hashlib.sha256(data).hexdigest()[:32]}"')


def icon(size: int) -> bytes:
    """The app's square icon: a green tile with a white leaf-like mark, drawn with Pillow."""
    image = Image.new("RGB", (size, size), THEME)
    draw = ImageDraw.Draw(image)
    inset = size // 5
    draw.ellipse((inset, inset, size - inset, size - inset), fill="#ffffff")
    inner = size // 3
    draw.ellipse((inner, inner, size - inner, size - inner), fill=THEME)
    draw.rectangle(
        (size // 2 - size // 40, size // 4, size // 2 + size // 40, size * 3 // 4), fill="#ffffff"
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@cache
def _modules() -> dict[str, bytes]:
    """The static files (modules, style sheet, worker) by name, as written in the package."""
    return {path.name: path.read_bytes() for path in sorted(STATIC.iterdir()) if path.is_file()}


@cache
def version() -> str:
    """A hash of the release: every file, the shell's template and every language's words."""
    digest = hashlib.sha256()
    for name, data in _modules().items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    digest.update((HERE / "templates" / "shell.html").read_bytes())
    for lang in languages():
        digest.update(json.dumps(words(lang), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def shell_urls() -> list[str]:
    """What the service worker keeps at install: the shell in every language and its files."""
    names = [n for n in _modules() if n != "sw.js"]
    return [
        *(f"{BASE}?lang={lang}" for lang in languages()),
        f"{BASE}manifest.webmanifest",
        *(f"{BASE}static/{name}" for name in names),
        *(f"{BASE}static/icon-{size}.png" for size in ICON_SIZES),
    ]


@cache
def static_asset(name: str) -> Asset | None:
    """A file under ``/console/static/``, or None for a name the app does not have."""
    if name in (f"icon-{size}.png" for size in ICON_SIZES):
        return _asset(icon(int(name[5:-4])), MEDIA_TYPES[".png"])
    data = _modules().get(name)
    if data is None or name == "sw.js":
        return None
    return _asset(data, MEDIA_TYPES[Path(name).suffix])


@cache
def worker() -> Asset:
    """The service worker, told its release and what to keep."""
    text = _modules()["sw.js"].decode()
    text = text.replace("__VERSION__", version()).replace("__SHELL__", json.dumps(shell_urls()))
    return _asset(text.encode(), MEDIA_TYPES[".js"])


@cache
def manifest() -> Asset:
    """The Web App Manifest: installable, standalone, opened at ``/console/``."""
    data = {
        "name": "Trace – Nhà sản xuất",
        "short_name": "Trace",
        "lang": DEFAULT_LANGUAGE,
        "start_url": BASE,
        "scope": BASE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {"src": f"{BASE}static/icon-{s}.png", "sizes": f"{s}x{s}", "type": "image/png"}
            for s in ICON_SIZES
        ],
    }
    return _asset(json.dumps(data, ensure_ascii=False).encode(), MEDIA_TYPES[".webmanifest"])


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )


def _words_json(lang: str) -> str:
    # Inside <script type="application/json"> only "</" could end the element early.
    return json.dumps(words(lang), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


@cache
def shell(lang: str) -> Asset:
    """The HTML shell in ``lang``: the frame, the words as JSON and the app's module."""
    html = (
        _environment()
        .get_template("shell.html")
        .render(
            **template_words(lang),
            words_json=_words_json(lang),
            version=version(),
            theme=THEME,
            app_name=say("Trace – Producers", lang),
            other_languages=other_languages(lang, BASE),
        )
    )
    return _asset(html.encode(), MEDIA_TYPES[".html"])
