"""The service's JSON API as the command line reaches it: a bearer token and a language.

The commands that act through a running service (``inspect``, ``batch``, ``event``, and
``labels`` when a service is named) share this client. It raises one exception per outcome a
command words differently: :class:`NotAServiceUrl` (nothing was sent), :class:`ServiceRefused`
(the service answered with a problem, RFC 9457, whose ``detail`` is already in the language
asked for with Accept-Language) and :class:`ServiceUnreachable` (no answer). Only the
standard library speaks HTTP here, as in trace/log_client.py.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 30.0
CHUNK_BYTES = 64 * 1024


class NotAServiceUrl(Exception):
    """The address is not an http:// or https:// URL; nothing was sent."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class ServiceRefused(Exception):
    """The service answered with an error status; ``detail`` is its problem's own words."""

    def __init__(self, status: int, detail: str, problem: Mapping[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail, self.problem = status, detail, problem


class ServiceUnreachable(Exception):
    """No answer came from ``url`` (refused connection, timeout, an answer that is not JSON)."""

    def __init__(self, url: str, reason: object) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason

    @property
    def may_have_arrived(self) -> bool:
        """False when no connection was made (refused, no such host): nothing was sent."""
        return not isinstance(self.reason, (ConnectionRefusedError, socket.gaierror))


@dataclass(frozen=True)
class Answer:
    """A JSON answer and its headers (``Idempotent-Replayed``, ``Location``...)."""

    status: int
    headers: Message
    body: Any


def language(environ: Mapping[str, str]) -> str:
    """``vi`` or ``en``, from TRACE_LANG, else LANG (``en_US.UTF-8`` is English)."""
    chosen = environ.get("TRACE_LANG") or environ.get("LANG") or ""
    return "en" if chosen.lower().startswith("en") else "vi"


def service_url(given: str | None, environ: Mapping[str, str]) -> str:
    """The service to ask: ``--url``, else TRACE_URL, else TRACE_PUBLIC_URL, else the default."""
    return given or environ.get("TRACE_URL") or environ.get("TRACE_PUBLIC_URL") or DEFAULT_URL


class Service:
    """The service's JSON API, asked with a bearer token in one language."""

    def __init__(self, url: str, token: str, lang: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotAServiceUrl(url)
        self.url, self.token, self.lang = url.rstrip("/"), token, lang

    def get(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        """The JSON answer of ``GET path?params`` (parameters that are None left out)."""
        with self._open(self._request("GET", path, params)) as answer:
            return self._json(answer)

    def content(self, path: str, accept: str) -> bytes:
        """The whole answer of ``GET path`` in the media type ``accept`` (CSV, PDF...)."""
        with self._open(self._request("GET", path, None, accept=accept)) as answer:
            try:
                return answer.read()
            except OSError as exc:
                raise ServiceUnreachable(self.url, exc) from None

    def post(self, path: str, body: object, *, idempotency_key: str | None = None) -> Answer:
        """``POST`` ``body`` as JSON, with an ``Idempotency-Key`` when one is given."""
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        data = json.dumps(body, ensure_ascii=False).encode()
        request = self._request("POST", path, None, data=data, headers=headers)
        with self._open(request) as answer:
            return Answer(answer.status, answer.headers, self._json(answer))

    def download(self, path: str, params: Mapping[str, object], out: Path) -> Message:
        """Stream ``GET path?params`` into ``out`` (whole or not at all); its headers."""
        partial = out.with_name(f".{out.name}.part")
        with self._open(self._request("GET", path, params, accept="*/*")) as answer:
            try:
                with partial.open("wb") as sink:
                    while chunk := self._read(answer):
                        sink.write(chunk)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        os.replace(partial, out)
        return answer.headers

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> urllib.request.Request:
        given = {k: _text(v) for k, v in (params or {}).items() if v is not None}
        query = urllib.parse.urlencode(given)
        # The scheme is http or https: checked in __init__.
        return urllib.request.Request(  # noqa: S310
            f"{self.url}{path}" + (f"?{query}" if query else ""),
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": accept,
                "Accept-Language": self.lang,
                **(headers or {}),
            },
        )

    def _open(self, request: urllib.request.Request) -> HTTPResponse:
        try:
            answer: HTTPResponse = urllib.request.urlopen(  # noqa: S310
                request, timeout=TIMEOUT_SECONDS
            )
        except urllib.error.HTTPError as exc:
            raise _refusal(exc) from None
        except OSError as exc:  # URLError is an OSError, and so is a timeout
            raise ServiceUnreachable(self.url, getattr(exc, "reason", None) or exc) from None
        return answer

    def _read(self, answer: HTTPResponse) -> bytes:
        """The next chunk of ``answer``; a connection that breaks off is no answer."""
        try:
            return answer.read(CHUNK_BYTES)
        except OSError as exc:
            raise ServiceUnreachable(self.url, exc) from None

    def _json(self, answer: HTTPResponse) -> Any:
        try:
            return json.loads(answer.read())
        except (OSError, ValueError) as exc:
            raise ServiceUnreachable(self.url, exc) from None


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _refusal(exc: urllib.error.HTTPError) -> ServiceRefused:
    """The service's own words for a refusal (problem+json ``detail``), else its status."""
    problem: Any = {}
    try:
        problem = json.loads(exc.read())
    except (OSError, ValueError):
        problem = {}
    finally:
        exc.close()
    if not isinstance(problem, dict):
        problem = {}
    return ServiceRefused(exc.code, str(problem.get("detail") or exc.reason), problem)
