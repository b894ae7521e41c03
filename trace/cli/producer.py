"""`batch register` and `event record`: a producer's writes, through a running service.

``POST /api/v1/batches`` and ``POST /api/v1/batches/{ref}/events`` with the agency's token,
so the service signs each event with the agency's custodial key and every record enters the
ledger by its one append. The body is built from the options and checked here first, by the
service's own rules (trace/cli/bodies.py); the write carries an Idempotency-Key that is
printed before it leaves (trace/cli/writes.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from trace.cli.bodies import (
    EVENT,
    REGISTRATION,
    Option,
    add_body_options,
    check_locally,
    fill,
    hints,
    read_body,
    vietnam_now,
)
from trace.cli.remote import Answer, Service, language
from trace.cli.writes import (
    InvalidInput,
    add_key_option,
    add_service_options,
    announce,
    connect,
    described,
    epilog,
    guarded,
    idempotency_key,
)
from trace.domain.errors import DomainError
from trace.domain.kinds import KIND_NAMES, EventKind
from trace.domain.texts import N_
from trace.translation import say

# A batch's registration, a print run and a captured EPCIS event have their own ways in.
_NOT_RECORDED_HERE = (EventKind.REGISTERED, EventKind.SERIALISED, EventKind.EPCIS_EVENT)

# Said when the service answered a retry with its first answer (Idempotent-Replayed).
REPLAYED = N_(
    "This was a repeat: the service answered with the result of the first request with this "
    "key and recorded nothing new."
)


def register(commands: Any) -> None:
    """Add the commands of this module."""
    batch = commands.add_parser("batch", help="lô hàng / batches").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = batch.add_parser(
        "register",
        help="đăng ký lô hàng mới / register a new batch",
        description=described(
            N_(
                "Register a new batch with a running service. The service "
                "signs the registration with your agency's key and answers "
                "with the batch's id, public code and public page. What you "
                "give is checked on this machine, by the service's own "
                "rules, before it is sent."
            )
        ),
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p, REGISTRATION)
    p.set_defaults(run=run_register)

    event = commands.add_parser("event", help="sự kiện của lô / a batch's events").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = event.add_parser(
        "record",
        help="ghi một sự kiện / record an event",
        description=described(
            N_(
                "Record an event (harvest, packing, shipment...) of batch "
                "BATCH (its id or public code). Options such as --quantity, "
                "--unit, --to and --from fill the common fields; --body "
                "gives any other field of the event."
            )
        ),
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "kind",
        metavar="KIND",
        help="loại sự kiện / the event's kind: "
        + ", ".join(k.value for k in EventKind if k not in _NOT_RECORDED_HERE),
    )
    p.add_argument("batch", metavar="BATCH", help="id hoặc mã công khai / id or public code")
    _common(p, EVENT)
    p.add_argument(
        "--expected-version",
        type=int,
        metavar="N",
        help="chỉ ghi nếu lô đang ở phiên bản N / only if the batch is at version N",
    )
    p.set_defaults(run=run_record)


def _common(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    add_service_options(parser)
    add_body_options(parser, options)
    add_key_option(parser)
    parser.add_argument("--json", action="store_true", help="in JSON / print JSON")


def run_register(args: argparse.Namespace) -> int:
    """Register a batch; print its id, public code, page and record."""
    lang = language(os.environ)

    def attempt(retry: list[str]) -> None:
        occurred_at, body = _checked("registered", args, REGISTRATION, retry)
        service = connect(args, lang)
        key = idempotency_key(args, retry)
        announce(retry, lang)
        answer = service.post(
            "/api/v1/batches", {"occurred_at": occurred_at, "body": body}, idempotency_key=key
        )
        _show(answer, service, args, key, lang, say("The batch is registered.", lang))

    return guarded(lang, attempt)


def run_record(args: argparse.Namespace) -> int:
    """Record an event of a batch; print the batch and the new record."""
    lang = language(os.environ)

    def attempt(retry: list[str]) -> None:
        occurred_at, body = _checked(args.kind, args, EVENT, retry)
        service = connect(args, lang)
        key = idempotency_key(args, retry)
        request: dict[str, Any] = {"kind": args.kind, "occurred_at": occurred_at, "body": body}
        if args.expected_version is not None:
            request["expected_version"] = args.expected_version
        announce(retry, lang)
        path = f"/api/v1/batches/{urllib.parse.quote(args.batch, safe='')}/events"
        answer = service.post(path, request, idempotency_key=key)
        headline = say("The event is recorded: {kind}.", lang, kind=_kind_name(args.kind, lang))
        _show(answer, service, args, key, lang, headline)

    return guarded(lang, attempt)


def _checked(
    kind: str, args: argparse.Namespace, options: Sequence[Option], retry: list[str]
) -> tuple[str, dict[str, Any]]:
    """The event's time and body, checked as the service will check them.

    A time chosen here (now) goes into ``retry``: a repeat must send the same request.
    """
    body = fill(kind, read_body(args.body), options, args)
    occurred_at = args.occurred_at
    if occurred_at is None:
        occurred_at = vietnam_now()
        retry += ["--occurred-at", occurred_at]
    try:
        check_locally(kind, occurred_at, body, now=datetime.now(UTC))
    except DomainError as exc:
        raise InvalidInput.of(exc, hints(kind, exc, options)) from None
    return occurred_at, body


def _show(
    answer: Answer, service: Service, args: argparse.Namespace, key: str, lang: str, headline: str
) -> None:
    """The batch and its new record, or the service's answer as JSON with the page and key."""
    batch, record = answer.body["batch"], answer.body["record"]
    replayed = answer.headers.get("Idempotent-Replayed") == "true" or answer.body.get("replayed")
    page = service.url + batch["public_path"]
    if args.json:
        shown = {**answer.body, "page_url": page, "idempotency_key": key}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        if replayed:
            print(
                say(REPLAYED, lang),
                file=sys.stderr,
            )
        return
    print(headline)
    if replayed:
        print(say(REPLAYED, lang))
    print(
        say(
            "Batch: {product}, lot {lot}\n  id:          {id}\n  public code: {code}\n  "
            "public page: {page}",
            lang,
            product=batch["product"],
            lot=batch["lot"],
            id=batch["id"],
            code=batch["code"],
            page=page,
        )
    )
    print(
        say(
            "Record {seq} of the batch, position {position} in the ledger\n  occurred:   "
            "{occurred_at}\n  recorded:   {recorded_at}\n  hash:       {record_hash}",
            lang,
            seq=record["seq"],
            position=record["position"],
            occurred_at=record["occurred_at"],
            recorded_at=record["recorded_at"],
            record_hash=record["record_hash"],
        )
    )


def _kind_name(kind: str, lang: str) -> str:
    return say(KIND_NAMES[kind], lang) if kind in KIND_NAMES else kind
