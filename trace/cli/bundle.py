"""`verify-bundle`: check a record's proof bundle offline, with no database and no network.

Exit status: 0 when every check passes, 1 when one fails (the output names which), 2 when
the input cannot be used at all (an unreadable file, text that is not JSON, a bad key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trace.domain.bundle import (
    BundleError,
    BundleUnreadable,
    BundleVerification,
    Check,
    CheckCode,
    decode_bundle,
    verify_bundle,
)
from trace.domain.errors import error_type
from trace.domain.note import NoteError, Verifier, parse_verifier_key
from trace.domain.texts import N_
from trace.translation import say

LANGUAGES = ("vi", "en")
# Each check that passed, in words; a checkpoint or cosignature checked against a key the
# bundle itself gives (not pinned) says so.
PASSED = {
    (CheckCode.FORMAT, True): N_("Bundle format: {format}"),
    (CheckCode.STATEMENT, True): N_(
        "The statement is canonical and valid: a '{kind}' event of "
        "batch {batch}, occurred at {occurred_at}"
    ),
    (CheckCode.KEY, True): N_("Key id {key_id} matches the statement and the agency's public key"),
    (CheckCode.SIGNATURE, True): N_(
        "The agency's Ed25519 signature (key {key_id}) on the statement verifies"
    ),
    (CheckCode.RECORD, True): N_(
        "Record {seq} at position {position}: the recomputed record hash matches ({record_hash})"
    ),
    (CheckCode.INCLUSION, True): N_(
        "Inclusion proof: the record is leaf {index} of the "
        "{size}-leaf tree whose root the signed checkpoint holds"
    ),
    (CheckCode.CHECKPOINT, True): N_(
        "The checkpoint of log {origin} (size {size}) is validly signed by the pinned log key {key}"
    ),
    (CheckCode.CHECKPOINT, False): N_(
        "The checkpoint of log {origin} (size {size}) is validly "
        "signed by the key {key} the bundle itself names (not pinned)"
    ),
    (CheckCode.COSIGNATURE, True): N_(
        "The required witness {witness} cosigned the checkpoint at {time}"
    ),
    (CheckCode.COSIGNATURE, False): N_(
        "Witness {witness} (listed by the bundle, not required) validly cosigned at {time}"
    ),
    (CheckCode.TLOG_PROOF, True): N_(
        "The C2SP tlog-proof text matches the inclusion proof and checkpoint above"
    ),
}


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
        _say(
            N_("Cannot read the file {path}: {detail}"),
            sys.stderr,
            path=args.file,
            detail=exc.strerror or exc,
        )
        return 2
    except KeyArgumentError as exc:
        _say(
            N_(
                "'{value}' is neither a verifier key (name+keyid+base64) nor "
                "a file holding one: {detail}"
            ),
            sys.stderr,
            value=exc.value,
            detail=exc.detail,
        )
        return 2
    _say(
        N_("Checking the proof bundle {path} (offline, no network or database needed):"),
        sys.stdout,
        path=args.file,
    )
    try:
        result = verify_bundle(decode_bundle(data), log_key=log_key, witness_keys=witnesses)
    except BundleUnreadable as exc:
        _say(exc.words_for(exc.params), sys.stderr, detail=exc.detail, **exc.params)
        return 2
    except BundleError as exc:
        for check in exc.checks:
            _print_check(check)
        if not exc.checks:  # the JSON is not a bundle: no check could start
            _print_failure(exc.code, exc.detail, exc.params)
        _say(
            N_("NOT VALID: do not trust this record until a correct proof bundle is given."),
            sys.stderr,
        )
        return 1
    for check in result.checks:
        _print_check(check)
    _print_verdict(result, witnesses_required=len(witnesses))
    return 0


def _print_check(check: Check) -> None:
    if not check.passed:
        _print_failure(f"bundle.{check.code}", check.detail, check.params)
        return
    words = PASSED[(check.code, check.params.get("pinned") is not False)]
    for lang in LANGUAGES:
        mark = say("PASS", lang)
        print(f"[{mark}] {say(words, lang, **check.params)}")


def _print_failure(code: str, detail: str, params: Any) -> None:
    words = error_type(code).words_for(params)
    for lang in LANGUAGES:
        mark = say("FAIL", lang)
        print(f"[{mark}] {say(words, lang, **{**params, 'detail': detail})}")


def _print_verdict(result: BundleVerification, *, witnesses_required: int) -> None:
    record, checkpoint = result.record, result.checkpoint
    _say(
        N_(
            "VALID: record {seq} of batch {batch} is at position {position} of log "
            "{origin} (size {size}), as the proof bundle says."
        ),
        sys.stdout,
        seq=record.seq,
        batch=record.batch,
        position=record.position,
        origin=checkpoint.origin,
        size=checkpoint.size,
    )
    if not result.log_key_pinned:
        _say(
            N_(
                "Warning: no log key was pinned (--log-key), so the key "
                "{key} the bundle itself names was used. This shows the "
                "bundle is self-consistent, not that it comes from a log you "
                "trust."
            ),
            sys.stdout,
            key=result.log_key.label,
        )
    if not witnesses_required:
        _say(
            N_(
                "Note: no witness was required (--witness-key), so nothing "
                "shows that the log shows everyone the same checkpoint."
            ),
            sys.stdout,
        )


def _say(words: str, stream: Any, /, **params: object) -> None:
    for lang in LANGUAGES:
        print(say(words, lang, **params), file=stream)
