"""The log's HTTP API as a witness reads it, with the standard library only (urllib).

``GET /api/v1/log/key`` (the log's verifier key on the first line), ``GET
/api/v1/log/checkpoint`` (a C2SP signed note), ``GET /api/v1/log/proof/consistency`` (RFC 6962
consistency proof as JSON with base64 hashes) and ``POST /api/v1/log/cosignatures``. Nothing
here trusts an answer: the caller verifies signatures and proofs.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from contextlib import suppress
from urllib.parse import urlsplit

from trace.domain.note import NoteKeyInvalid, Verifier, parse_verifier_key, verifier_key_string
from trace.domain.texts import N_
from trace.translation import both

API = "/api/v1/log"
TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 1 << 20  # a checkpoint or a proof is a few kilobytes


UNREACHABLE = N_("Could not reach the log at {url}: {error}")


class LogUnavailable(Exception):
    """The log could not be reached, or its answer is not one (``words``, ``params``)."""

    def __init__(self, words: str, **params: object) -> None:
        super().__init__(words)
        self.words = words
        self.params = params

    def text(self) -> str:
        """The message, Vietnamese then English."""
        return both(self.words, **self.params)


def is_log_url(url: str) -> bool:
    """True for an http:// or https:// address: nothing else is a log's."""
    return urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


class LogClient:
    """The log's HTTP API as the witness uses it: key, checkpoint, proof, cosignatures."""

    def __init__(self, url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        if not is_log_url(url):
            raise ValueError(f"expected an http:// or https:// address, found {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def log_key(self) -> Verifier:
        """The log's verifier key: the first line of ``/key``."""
        path = f"{API}/key"
        first = self._text(path).partition("\n")[0].strip()
        try:
            return parse_verifier_key(first)
        except NoteKeyInvalid as exc:
            raise self._bad(path, exc.detail) from None

    def checkpoint(self) -> str:
        """The newest checkpoint as the log serves it: a signed note, maybe cosigned."""
        return self._text(f"{API}/checkpoint")

    def consistency(self, old: int, new: int) -> tuple[bytes, list[bytes]]:
        """The consistency proof from ``old`` to ``new``: the answer as received, and its hashes."""
        path = f"{API}/proof/consistency?from={old}&to={new}"
        raw = self._ok(path)
        try:
            return raw, parse_proof_answer(raw, old, new)
        except ValueError as exc:
            raise self._bad(path, str(exc)) from None

    def post_cosignature(self, text: str, line: str, witness: Verifier) -> None:
        """Give the log this witness's cosignature line for checkpoint ``text``."""
        body = json.dumps({"checkpoint": text, "cosignature": line}).encode()
        status, answer = self._call(f"{API}/cosignatures", body)
        if status not in (200, 201):
            raise LogUnavailable(
                N_(
                    "The log refused the cosignature (HTTP {status}): {error}. "
                    "If the witness key is not registered yet, the operator "
                    "runs: python -m trace log-witness add {key}"
                ),
                status=status,
                error=_excerpt(answer),
                key=verifier_key_string(witness),
            )

    def _text(self, path: str) -> str:
        try:
            return self._ok(path).decode("utf-8")
        except UnicodeDecodeError:
            raise self._bad(path, "not UTF-8") from None

    def _ok(self, path: str) -> bytes:
        status, answer = self._call(path)
        if status != 200:
            raise self._bad(path, f"HTTP {status}: {_excerpt(answer)}")
        return answer

    def _call(self, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        # The scheme is http or https: checked in __init__.
        request = urllib.request.Request(self.url + path, data=body, headers=headers)  # noqa: S310
        try:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    return answer.status, answer.read(MAX_ANSWER_BYTES)
            except urllib.error.HTTPError as exc:
                try:
                    return exc.code, exc.read(MAX_ANSWER_BYTES)
                finally:
                    exc.close()
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise LogUnavailable(UNREACHABLE, url=self.url, error=reason) from None

    def _bad(self, path: str, error: str) -> LogUnavailable:
        return bad_answer(self.url, path, error)


def bad_answer(url: str, path: str, error: str) -> LogUnavailable:
    """The failure for an answer from the log at ``url`` that is not what ``path`` promises."""
    return LogUnavailable(
        N_("The log at {url} gave an invalid answer to {path}: {error}"),
        url=url,
        path=path,
        error=error,
    )


def parse_proof_answer(raw: bytes, old: int, new: int) -> list[bytes]:
    """The hashes of ``{"from": old, "to": new, "hashes": [base64, ...]}``; ValueError if not."""
    try:
        answer = json.loads(raw)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("hashes"), list):
        raise ValueError('expected an object with "from", "to" and "hashes"')
    if (answer.get("from"), answer.get("to")) != (old, new) or isinstance(answer["from"], bool):
        raise ValueError(
            f"asked from={old}&to={new}, answered {answer.get('from')}..{answer.get('to')}"
        )
    hashes = []
    for item in answer["hashes"]:
        try:
            hashes.append(base64.b64decode(item, validate=True))
        except (TypeError, ValueError):  # not a string, not ASCII, not base64 (binascii.Error)
            raise ValueError(f"expected base64 hashes, found {item!r:.60}") from None
    return hashes


def _excerpt(answer: bytes) -> str:
    """A problem+json answer's detail, or the start of any other answer."""
    text = answer.decode("utf-8", errors="replace")
    with suppress(ValueError):
        problem = json.loads(text)
        if isinstance(problem, dict) and (problem.get("detail") or problem.get("title")):
            return str(problem.get("detail") or problem.get("title"))
    return text[:200].strip()
