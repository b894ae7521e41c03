"""`recall` and `recalls`: an authority recalls a batch, and officers list the recalls.

``recall BATCH --reason ... --severity class_1`` sends ``POST /api/v1/recalls`` with the
authority's token (``recall`` scope), so the service signs the `recalled` record with the
authority's custodial key; like every write from the command line it carries an
Idempotency-Key printed before it leaves (trace/cli/writes.py). ``recalls`` lists them,
newest first, with the filters of ``GET /api/v1/recalls``: names, severities and states in
words, days in Vietnam.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from trace.cli.inspect import runner, table
from trace.cli.remote import Service, language
from trace.cli.words import time_words
from trace.cli.writes import (
    add_key_option,
    add_service_options,
    announce,
    connect,
    described,
    epilog,
    guarded,
    idempotency_key,
)
from trace.domain.kinds import Severity
from trace.domain.recall_flow import STATE_NAMES, RecallState
from trace.domain.texts import N_
from trace.genealogy.recall_words import severity_words
from trace.translation import say

_FILTERS = (
    "province",
    "severity",
    "state",
    "batch",
    "authority",
    "from",
    "to",
    "limit",
    "cursor",
)
REPLAYED = N_(
    "This was a repeat: the service answered with the recall of the first request with "
    "this key and recorded nothing new."
)


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser(
        "recall",
        help="thu hồi một lô hàng / recall a batch",
        description=described(
            N_(
                "Recall batch BATCH (its id or public code) with your authority's token. "
                "The service signs the recall with your agency's key; the recall reaches "
                "every batch made from this one, and their public pages show its banner."
            )
        ),
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("batch", metavar="BATCH", help="id hoặc mã công khai / id or public code")
    p.add_argument("--reason", required=True, help="lý do thu hồi / the reason")
    p.add_argument(
        "--severity",
        required=True,
        choices=[s.value for s in Severity],
        help="class_1: có thể gây hại nghiêm trọng / may cause serious harm; "
        "class_2: tạm thời / temporary harm; class_3: khó gây hại / unlikely to harm",
    )
    p.add_argument("--decision-number", help="số quyết định / the decision's number")
    p.add_argument("--scope", help="phạm vi / what the recall covers")
    p.add_argument("--effective-at", help="có hiệu lực từ / effective from (RFC 3339)")
    p.add_argument("--occurred-at", help="thời điểm quyết định / when decided (RFC 3339)")
    add_service_options(p)
    add_key_option(p)
    p.add_argument("--json", action="store_true", help="in JSON / print JSON")
    p.set_defaults(run=run_recall)

    p = commands.add_parser("recalls", help="danh sách thu hồi / list recalls")
    add_service_options(p)
    p.add_argument("--json", action="store_true", help="in JSON / print JSON")
    p.add_argument("--province", help="mã tỉnh / province code")
    p.add_argument("--severity", choices=[s.value for s in Severity])
    p.add_argument(
        "--state",
        choices=[s.value for s in RecallState],
        help="đã ban hành, đã thông báo, đang rút hàng, đã kết thúc / "
        "issued, notified, withdrawing, closed",
    )
    p.add_argument("--batch", help="id hoặc mã công khai / id or public code")
    p.add_argument("--authority", help="id của cơ quan / the authority's agency id")
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="từ ngày / from day")
    p.add_argument("--to", metavar="YYYY-MM-DD", help="đến ngày / to day")
    p.add_argument("--limit", type=int, default=50, help="mỗi trang / per page")
    p.add_argument("--cursor", help="tiếp từ trang trước / continue a previous page")
    p.add_argument("--all", action="store_true", help="mọi trang / every page")
    p.set_defaults(run=runner(query_recalls))


def run_recall(args: argparse.Namespace) -> int:
    """Recall a batch; print the recall and where to read its reach."""
    lang = language(os.environ)

    def attempt(retry: list[str]) -> None:
        service = connect(args, lang)
        key = idempotency_key(args, retry)
        body = {
            "batch": args.batch,
            "reason": args.reason,
            "severity": args.severity,
            "decision_number": args.decision_number,
            "scope": args.scope,
            "effective_at": args.effective_at,
            "occurred_at": args.occurred_at,
        }
        announce(retry, lang)
        sent = {name: value for name, value in body.items() if value is not None}
        answer = service.post("/api/v1/recalls", sent, idempotency_key=key)
        replayed = answer.headers.get("Idempotent-Replayed") == "true"
        if args.json:
            print(json.dumps(answer.body, ensure_ascii=False, indent=2))
        else:
            print("\n".join(_recorded(answer.body, lang)))
        if replayed:
            print(say(REPLAYED, lang), file=sys.stderr if args.json else sys.stdout)

    return guarded(lang, attempt)


def _recorded(recall: dict[str, Any], lang: str) -> Iterable[str]:
    batch = recall["batch"]
    yield say("Recall {id} is recorded.", lang, id=recall["id"])
    yield say(
        "Batch: {product}, lot {lot} ({code})",
        lang,
        product=batch["product"],
        lot=batch["lot"],
        code=batch["code"],
    )
    yield say("Severity: {severity}", lang, severity=severity_words(recall["severity"], lang))
    yield say("Reason: {reason}", lang, reason=recall["reason"])
    if recall["decision_number"]:
        yield say("Decision number: {number}", lang, number=recall["decision_number"])
    yield say(
        "Its reach: python -m trace inspect reach {id} (or --csv for a spreadsheet)",
        lang,
        id=recall["id"],
    )


# The columns of the list, as a reader calls them.
COLUMNS = {
    "id": N_("Recall"),
    "day": N_("Decided"),
    "code": N_("Code"),
    "product": N_("Product"),
    "severity": N_("Severity"),
    "state": N_("State"),
    "decision": N_("Decision number"),
    "authority": N_("Authority"),
    "withdrawn": N_("Withdrawn by a correction"),
}


def query_recalls(service: Service, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """Recalls, newest first: one page, or every page with ``--all``."""
    params: dict[str, object] = {
        name: getattr(args, "from_" if name == "from" else name) for name in _FILTERS
    }
    found: list[dict[str, Any]] = []
    while True:
        page = service.get("/api/v1/recalls", params)
        found += page["recalls"]
        params["cursor"] = page["next_cursor"]
        if not (args.all and page["next_cursor"]):
            break
    if args.json:
        yield json.dumps({"recalls": found, "next_cursor": params["cursor"]}, ensure_ascii=False)
        return
    if not found:
        yield say("No recalls.", lang)
        return
    rows = [_row(recall, lang) for recall in found]
    yield from table(list(COLUMNS), rows, lang, COLUMNS)
    if params["cursor"]:
        yield say(
            "More pages follow: run again with --cursor={cursor} (or --all for every page).",
            lang,
            cursor=params["cursor"],
        )


def _row(recall: dict[str, Any], lang: str) -> tuple[object, ...]:
    authority = recall["authority"]
    return (
        recall["id"],
        time_words(recall["occurred_at"], lang),
        recall["batch"]["code"],
        recall["batch"]["product"],
        severity_words(recall["severity"], lang),
        say(STATE_NAMES[recall["state"]], lang),
        recall["decision_number"],
        authority["shown"] if authority else None,
        recall["corrected"],
    )
