"""`verify-bundle`: check a record's proof bundle offline, with no database and no network.

Exit status: 0 when every check passes, 1 when one fails (the output names which), 2 when
the input cannot be used at all (an unreadable file, text that is not JSON, a bad key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trace.catalogue import message
from trace.domain.bundle import (
    BundleError,
    BundleUnreadable,
    BundleVerification,
    Check,
    decode_bundle,
    verify_bundle,
)
from trace.domain.note import NoteError, Verifier, parse_verifier_key

LANGUAGES = ("vi", "en")


class KeyArgumentError(Exception):
    """A KEY argument is neither a verifier key nor a readable file holding one."""

    def __init__(self, value: str, detail: str) -> None:
        super().__init__(detail)
        self.value = value
        self.detail = detail


def register(commands: Any) -> None:
    """Add the command of this module."""
    p = commands.add_parser(
        "verify-bundle",
        help="kiểm tra gói bằng chứng ngoại tuyến / verify a proof bundle offline",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="proof bundle (JSON)")
    p.add_argument(
        "--log-key",
        metavar="KEY",
        help="khoá xác minh của nhật ký, hoặc tệp chứa nó / the log's verifier key, or a file",
    )
    p.add_argument(
        "--witness-key",
        metavar="KEY",
        action="append",
        default=[],
        help="nhân chứng bắt buộc (lặp lại được) / a required witness (repeatable)",
    )
    p.set_defaults(run=run_verify_bundle)


def load_key(value: str) -> Verifier:
    """A signed-note verifier key given as itself or as the path of a file that holds it."""
    text = value
    try:
        path = Path(value)
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyArgumentError(value, str(exc)) from None
    try:
        return parse_verifier_key(text)
    except NoteError as exc:
        raise KeyArgumentError(value, exc.detail) from None


def run_verify_bundle(args: argparse.Namespace) -> int:
    """Verify the bundle in FILE; print every check in Vietnamese and English."""
    try:
        data = args.file.read_bytes()
        log_key = None if args.log_key is None else load_key(args.log_key)
        witnesses = [load_key(value) for value in args.witness_key]
    except OSError as exc:
        _say("bundle.file_unreadable", sys.stderr, path=args.file, detail=exc.strerror or exc)
        return 2
    except KeyArgumentError as exc:
        _say("bundle.key_argument", sys.stderr, value=exc.value, detail=exc.detail)
        return 2
    _say("bundle.heading", sys.stdout, path=args.file)
    try:
        result = verify_bundle(decode_bundle(data), log_key=log_key, witness_keys=witnesses)
    except BundleUnreadable as exc:
        _say(exc.code, sys.stderr, detail=exc.detail, **exc.params)
        return 2
    except BundleError as exc:
        for check in exc.checks:
            _print_check(check)
        if not exc.checks:  # the JSON is not a bundle: no check could start
            _print_failure(exc.code, exc.detail, exc.params)
        _say("bundle.rejected", sys.stderr)
        return 1
    for check in result.checks:
        _print_check(check)
    _print_verdict(result, witnesses_required=len(witnesses))
    return 0


def _print_check(check: Check) -> None:
    if not check.passed:
        _print_failure(f"bundle.{check.code}", check.detail, check.params)
        return
    key = f"bundle.check.{check.code}"
    if check.params.get("pinned") is False:
        key += ".unpinned"
    for lang in LANGUAGES:
        mark = message("bundle.pass", lang)
        print(f"[{mark}] {message(key, lang, **check.params)}")


def _print_failure(key: str, detail: str, params: Any) -> None:
    for lang in LANGUAGES:
        mark = message("bundle.fail", lang)
        print(f"[{mark}] {message(key, lang, **{**params, 'detail': detail})}")


def _print_verdict(result: BundleVerification, *, witnesses_required: int) -> None:
    record, checkpoint = result.record, result.checkpoint
    _say(
        "bundle.valid",
        sys.stdout,
        seq=record.seq,
        batch=record.batch,
        position=record.position,
        origin=checkpoint.origin,
        size=checkpoint.size,
    )
    if not result.log_key_pinned:
        _say("bundle.log_key_unpinned", sys.stdout, key=result.log_key.label)
    if not witnesses_required:
        _say("bundle.no_witness_required", sys.stdout)


def _say(code: str, stream: Any, /, **params: object) -> None:
    for lang in LANGUAGES:
        print(message(code, lang, **params), file=stream)
