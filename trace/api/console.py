"""`/console/`: the people's app, its manifest, service worker and static ES modules.

The shell is HTML in the reader's language (``?lang=``, then Accept-Language, Vietnamese
by default); every file carries an ETag and is gzipped here, once, when it is first asked
for, under the same strict Content-Security-Policy as the public pages allow in spirit:
scripts and styles from this origin only, no inline script, no eval.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from trace.api.head import GET_AND_HEAD
from trace.api.pages import OWN_COMPRESSION, accepts_gzip
from trace.console.shell import Asset, manifest, security_headers, shell, static_asset, worker
from trace.translation import chosen


def _send(request: Request[Any, Any, Any], asset: Asset, headers: dict[str, str]) -> Response[Any]:
    gzipped = asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'{asset.etag[:-1]}-gzip"' if gzipped else asset.etag
    headers = {**security_headers(), **headers, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    if gzipped and asset.gzipped is not None:
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.plain, media_type=asset.media_type, headers=headers)


_OPT = {OWN_COMPRESSION: True}
# How long a phone's browser may keep the worker and the modules before asking again.
_RELEASE_CHECK = "max-age=3600"


@route("/console", http_method=GET_AND_HEAD, include_in_schema=False, opt=_OPT)
async def console_shell(request: Request[Any, Any, Any]) -> Response[Any]:
    """The app's HTML shell in the reader's language."""
    lang = chosen(request.query_params.get("lang"), request.headers.get("accept-language"))
    headers = {
        "Cache-Control": "no-cache",
        "Content-Language": lang,
        "Vary": "Accept-Language, Accept-Encoding",
    }
    response = _send(request, shell(lang), headers)
    response.headers["Vary"] = "Accept-Language, Accept-Encoding"
    return response


@route("/console/sw.js", http_method=GET_AND_HEAD, include_in_schema=False, opt=_OPT)
async def console_worker(request: Request[Any, Any, Any]) -> Response[Any]:
    """The service worker, for the scope ``/console/``.

    A phone checks it for a new release at most once an hour (``max-age``, which the worker's
    registration lets the browser's cache answer: ``updateViaCache: "all"``), so that opening
    the app again costs no network at all; the worker's own precache revalidates what that
    cache holds.
    """
    headers = {"Cache-Control": _RELEASE_CHECK, "Service-Worker-Allowed": "/console/"}
    return _send(request, worker(), headers)


@route("/console/manifest.webmanifest", http_method=GET_AND_HEAD, include_in_schema=False, opt=_OPT)
async def console_manifest(request: Request[Any, Any, Any]) -> Response[Any]:
    """The Web App Manifest."""
    return _send(request, manifest(), {"Cache-Control": "no-cache"})


@route("/console/static/{name:str}", http_method=GET_AND_HEAD, include_in_schema=False, opt=_OPT)
async def console_static(request: Request[Any, Any, Any], name: str) -> Response[Any]:
    """A module, the style sheet or an icon; revalidated by its ETag after an hour (the
    worker's modules are checked with the worker itself)."""
    asset = static_asset(name)
    if asset is None:
        return Response(b"", status_code=404, headers=security_headers())
    return _send(request, asset, {"Cache-Control": _RELEASE_CHECK})


ROUTES = [console_shell, console_worker, console_manifest, console_static]
