"""Writing through a running service from the command line: who asks, with which key, and
what each failure is called.

The producer's commands (``batch register``, ``event record``, ``labels`` with a service)
settle the service and token here, send every write with an ``Idempotency-Key`` that is
printed before it leaves, and end with one of four exit statuses, each failure worded in the
language of TRACE_LANG or LANG:

0 done; 1 the service refused (its problem's ``detail``, already in that language);
2 invalid input, found before anything was sent; 3 no answer from the service (no
connection, a timeout, or a 5xx), after which the same command with the printed options
may be repeated safely: the service answers a repeated key with its first answer.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import textwrap
import uuid
from collections.abc import Callable, Mapping, Sequence

from trace.catalogue import message, specific_key
from trace.cli.remote import (
    DEFAULT_URL,
    NotAServiceUrl,
    Service,
    ServiceRefused,
    ServiceUnreachable,
    service_url,
)
from trace.domain.errors import DomainError

DONE, REFUSED, INVALID, UNREACHABLE = 0, 1, 2, 3
# As the service takes it (trace/api/batches.py): 1 to 255 characters; visible ASCII, because
# an HTTP header carries nothing else safely.
_KEY = re.compile(r"^[!-~]{1,255}$")
Hint = tuple[str, Mapping[str, object]]


class InvalidInput(Exception):
    """Input refused before anything was sent: a catalogue ``code``, its params, and hints
    (more catalogue entries) that say how to put it right."""

    def __init__(self, code: str, /, *, hints: Sequence[Hint] = (), **params: object) -> None:
        super().__init__(code)
        self.code, self.params, self.hints = code, params, hints

    @classmethod
    def of(cls, exc: DomainError, hints: Sequence[Hint] = ()) -> InvalidInput:
        """The refusal the service itself would give for ``exc``, in the same words."""
        params = {"detail": exc.detail, **exc.params}
        return cls(specific_key(exc.code, exc.params), hints=hints, **params)


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """``--url`` and ``--token``, as every command that asks the service has them."""
    parser.add_argument(
        "--url",
        help=f"địa chỉ dịch vụ / the service (TRACE_URL, TRACE_PUBLIC_URL, {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token", help="mã truy cập của đơn vị / your agency's token (TRACE_TOKEN)"
    )


def add_key_option(parser: argparse.ArgumentParser) -> None:
    """``--idempotency-key``: repeat a write that got no answer without writing it twice."""
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="khoá của lần gửi trước, để gửi lại an toàn (mặc định: khoá mới) / "
        "the key of an earlier attempt, to repeat it safely (default: a new key)",
    )


def described(key: str) -> str:
    """A command's description from the catalogue: Vietnamese, then English, each wrapped."""
    return "\n\n".join(textwrap.fill(message(key, lang), 79) for lang in ("vi", "en"))


def epilog() -> str:
    """Where the service, token and language come from, and the exit statuses."""
    return "\n\n".join(
        message(key, lang, default=DEFAULT_URL)
        for lang in ("vi", "en")
        for key in ("cli.producer.environment", "cli.producer.exit_codes")
    )


def connect(args: argparse.Namespace, lang: str) -> Service:
    """The service named by ``--url``/TRACE_URL/TRACE_PUBLIC_URL, with the agency's token."""
    token = args.token or os.environ.get("TRACE_TOKEN")
    if not token:
        raise InvalidInput("cli.producer.no_token")
    return Service(service_url(args.url, os.environ), token, lang)


def idempotency_key(args: argparse.Namespace, retry: list[str]) -> str:
    """The write's key (``--idempotency-key``, else a new one), added to ``retry``."""
    key: str = args.idempotency_key or str(uuid.uuid4())
    if not _KEY.match(key):
        raise InvalidInput("cli.producer.bad_key", key=key)
    retry[:0] = ["--idempotency-key", key]
    return key


def announce(retry: Sequence[str], lang: str) -> None:
    """Print, before a write leaves, the options that repeat it safely."""
    print(message("cli.producer.key", lang, options=shlex.join(retry)), file=sys.stderr)


def guarded(lang: str, attempt: Callable[[list[str]], None]) -> int:
    """Run ``attempt``; word its failure in ``lang`` on standard error; the exit status.

    ``attempt`` puts into the list it is given the options that repeat its write safely
    (its Idempotency-Key, a time it chose): they are named again when no answer came.
    """
    retry: list[str] = []
    try:
        attempt(retry)
    except InvalidInput as bad:
        _say(message("cli.error", lang, message=message(bad.code, lang, **bad.params)))
        for key, params in bad.hints:
            _say(message(key, lang, **params))
        _say(message("cli.producer.not_sent", lang))
        return INVALID
    except NotAServiceUrl as bad:
        _say(message("cli.producer.bad_url", lang, url=bad.url))
        _say(message("cli.producer.not_sent", lang))
        return INVALID
    except ServiceRefused as refused:
        if refused.status < 500:
            _say(
                message("cli.producer.refused", lang, status=refused.status, detail=refused.detail)
            )
            return REFUSED
        _say(message("cli.producer.failed", lang, status=refused.status, detail=refused.detail))
        _retry(retry, lang)
        return UNREACHABLE
    except ServiceUnreachable as failed:
        _say(message("cli.producer.unreachable", lang, url=failed.url, reason=failed.reason))
        if failed.may_have_arrived:
            _retry(retry, lang)
        return UNREACHABLE
    return DONE


def _retry(retry: Sequence[str], lang: str) -> None:
    if retry:
        _say(message("cli.producer.retry", lang, options=shlex.join(retry)))


def _say(text: str) -> None:
    print(text, file=sys.stderr)
