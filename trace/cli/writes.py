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

from trace.cli.remote import (
    DEFAULT_URL,
    NotAServiceUrl,
    Service,
    ServiceRefused,
    ServiceUnreachable,
    service_url,
)
from trace.domain.errors import DomainError, FieldProblem
from trace.domain.texts import N_
from trace.explain import problem_text
from trace.translation import say

DONE, REFUSED, INVALID, UNREACHABLE = 0, 1, 2, 3
# As the service takes it (trace/api/batches.py): 1 to 255 characters; visible ASCII, because
# an HTTP header carries nothing else safely.
_KEY = re.compile(r"^[!-~]{1,255}$")
Hint = tuple[str, Mapping[str, object]]


class InvalidInput(Exception):
    """Input refused before anything was sent: its ``words`` and their params, each mistake
    it found (``problems``, field by field), and hints (more words with theirs) that say how
    to put it right."""

    def __init__(
        self,
        words: str,
        /,
        *,
        hints: Sequence[Hint] = (),
        problems: Sequence[FieldProblem] = (),
        **params: object,
    ) -> None:
        super().__init__(words)
        self.words, self.params, self.hints, self.problems = words, params, hints, problems

    @classmethod
    def of(cls, exc: DomainError, hints: Sequence[Hint] = ()) -> InvalidInput:
        """The refusal the service itself would give for ``exc``, in the same words."""
        params = {"detail": exc.detail, **exc.params}
        return cls(exc.words_for(exc.params), hints=hints, problems=exc.problems, **params)

    def text(self, lang: str) -> str:
        """The refusal in ``lang``, each mistake on a line of its own, as the service's
        ``detail`` says it."""
        lines = [say(self.words, lang, **self.params)]
        lines += [f"- {problem_text(problem, lang)}" for problem in self.problems]
        return "\n".join(lines)


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


def described(words: str) -> str:
    """A command's description: Vietnamese, then English, each wrapped."""
    return "\n\n".join(textwrap.fill(say(words, lang), 79) for lang in ("vi", "en"))


def epilog() -> str:
    """Where the service, token and language come from, and the exit statuses."""
    return "\n\n".join(
        say(words, lang, default=DEFAULT_URL)
        for lang in ("vi", "en")
        for words in (
            N_(
                "Service: --url, else TRACE_URL, else TRACE_PUBLIC_URL, else "
                "{default}.\nYour agency's token: --token, else "
                "TRACE_TOKEN.\nLanguage of messages: TRACE_LANG, else LANG "
                "(Vietnamese by default; en: English)."
            ),
            N_(
                "Exit status:\n  0  done\n  1  the service refused; its reason "
                "is printed in its own words\n  2  invalid input, found on "
                "this machine; nothing was sent\n  3  no answer from the "
                "service (no connection, a timeout, a 5xx error);\n     the "
                "same command with the printed --idempotency-key never "
                "records twice"
            ),
        )
    )


def connect(args: argparse.Namespace, lang: str) -> Service:
    """The service named by ``--url``/TRACE_URL/TRACE_PUBLIC_URL, with the agency's token."""
    token = args.token or os.environ.get("TRACE_TOKEN")
    if not token:
        raise InvalidInput(
            N_(
                "Your agency's token is needed: use --token or the "
                "TRACE_TOKEN variable. The operator issues one with `python "
                "-m trace token add`."
            )
        )
    return Service(service_url(args.url, os.environ), token, lang)


def idempotency_key(args: argparse.Namespace, retry: list[str]) -> str:
    """The write's key (``--idempotency-key``, else a new one), added to ``retry``."""
    key: str = args.idempotency_key or str(uuid.uuid4())
    if not _KEY.match(key):
        raise InvalidInput(
            N_(
                "The idempotency key '{key}' cannot be used: it needs 1 to "
                "255 ASCII characters and no spaces. Use the key printed by "
                "the earlier attempt."
            ),
            key=key,
        )
    retry[:0] = ["--idempotency-key", key]
    return key


def announce(retry: Sequence[str], lang: str) -> None:
    """Print, before a write leaves, the options that repeat it safely."""
    print(
        say(
            "Sending with an idempotency key. If no answer comes, run this same command "
            "again with: {options}",
            lang,
            options=shlex.join(retry),
        ),
        file=sys.stderr,
    )


def guarded(lang: str, attempt: Callable[[list[str]], None]) -> int:
    """Run ``attempt``; word its failure in ``lang`` on standard error; the exit status.

    ``attempt`` puts into the list it is given the options that repeat its write safely
    (its Idempotency-Key, a time it chose): they are named again when no answer came.
    """
    retry: list[str] = []
    try:
        attempt(retry)
    except InvalidInput as bad:
        _say(say("Error: {message}", lang, message=bad.text(lang)))
        for words, params in bad.hints:
            _say(say(words, lang, **params))
        _say(say("Nothing was sent to the service to record.", lang))
        return INVALID
    except NotAServiceUrl as bad:
        _say(
            say(
                "'{url}' is not an http:// or https:// address of the service. Correct "
                "--url, TRACE_URL or TRACE_PUBLIC_URL.",
                lang,
                url=bad.url,
            )
        )
        _say(say("Nothing was sent to the service to record.", lang))
        return INVALID
    except ServiceRefused as refused:
        if refused.status < 500:
            _say(
                say(
                    "The service refused (HTTP {status}): {detail}",
                    lang,
                    status=refused.status,
                    detail=refused.detail,
                )
            )
            return REFUSED
        _say(
            say(
                "The service could not handle the request (HTTP {status}): {detail}",
                lang,
                status=refused.status,
                detail=refused.detail,
            )
        )
        _retry(retry, lang)
        return UNREACHABLE
    except ServiceUnreachable as failed:
        _say(
            say(
                "No answer from the service at {url} ({reason}). Is it running? Check the "
                "network, --url, TRACE_URL or TRACE_PUBLIC_URL.",
                lang,
                url=failed.url,
                reason=failed.reason,
            )
        )
        if failed.may_have_arrived:
            _retry(retry, lang)
        return UNREACHABLE
    return DONE


def _retry(retry: Sequence[str], lang: str) -> None:
    if retry:
        _say(
            say(
                "Whether the request was recorded is not known. Run this same command again "
                "with: {options} — if it was recorded, the service answers with that result "
                "and records nothing twice.",
                lang,
                options=shlex.join(retry),
            )
        )


def _say(text: str) -> None:
    print(text, file=sys.stderr)
