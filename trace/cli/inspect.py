"""`inspect`: the inspectors' queries against a running service, as a table or as JSON.

``python -m trace inspect search|history|trace|reach ...`` calls the service's JSON API with
an inspector's token (``--token`` or ``TRACE_TOKEN``) at ``--url`` (default ``TRACE_URL``,
else ``TRACE_PUBLIC_URL``, else http://127.0.0.1:8000), so every query lands in the
inspectors' audit trail like any other. Texts follow ``TRACE_LANG``, else ``LANG``
(Vietnamese unless English is asked for); the service answers problems in the same
language. Agencies are named, kinds, times and fields said in words (trace/cli/words.py);
``reach --csv`` and ``--pdf`` fetch the reach's CSV and printable document. The HTTP
client is trace/cli/remote.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from trace.cli.remote import (
    DEFAULT_URL,
    NotAServiceUrl,
    Service,
    ServiceRefused,
    ServiceUnreachable,
    language,
    service_url,
)
from trace.cli.words import (
    AgencyNames,
    day_words,
    disposition_words,
    fields_in_words,
    kind_words,
    time_words,
)
from trace.domain.kinds import EventKind, Scheme
from trace.domain.places import province_name
from trace.domain.texts import N_
from trace.genealogy.recall_words import severity_words
from trace.search.query import Disposition, SortOrder
from trace.translation import say, say_n

WIDEST = 40  # characters of a table cell; longer text is cut with an ellipsis
# Exit statuses: the service refused the query; the service could not be asked.
REFUSED, UNREACHABLE = 1, 2


BAD_URL = N_("'{url}' is not an http:// or https:// address of the service.")
REFUSED_WORDS = N_("The service refused the query (HTTP {status}): {detail}")
UNREACHABLE_WORDS = N_(
    "Cannot reach the service at {url} ({reason}). Is it running? Check --url or TRACE_PUBLIC_URL."
)
# The columns of a table, and the dispositions of a batch, as a reader calls them.
COLUMNS = {
    "code": N_("Code"),
    "product": N_("Product"),
    "lot": N_("Lot"),
    "gtin": N_("GTIN"),
    "producer": N_("Producer"),
    "province": N_("Province"),
    "occurred": N_("Occurred"),
    "recorded": N_("Recorded"),
    "disposition": N_("Disposition"),
    "stars": N_("OCOP stars"),
    "seq": N_("Seq"),
    "position": N_("Position"),
    "kind": N_("Event"),
    "agency": N_("Agency"),
    "record_hash": N_("Record hash"),
    "depth": N_("Depth"),
    "holder": N_("Held by"),
    "in_transit_to": N_("In transit to"),
    "recalled": N_("Recalled"),
}


def register(commands: Any) -> None:
    """Add the command of this module."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", help=f"địa chỉ dịch vụ / the service (TRACE_URL, TRACE_PUBLIC_URL, {DEFAULT_URL})"
    )
    common.add_argument(
        "--token", help="mã truy cập của thanh tra / an inspector's token (TRACE_TOKEN)"
    )
    common.add_argument("--json", action="store_true", help="in JSON / print JSON")
    inspect = commands.add_parser(
        "inspect", help="tra cứu của thanh tra / inspectors' queries"
    ).add_subparsers(dest="query", required=True, metavar="QUERY")

    p = inspect.add_parser("search", parents=[common], help="tìm lô hàng / search batches")
    p.add_argument("--q", help="tên sản phẩm, có dấu hay không / product name, any accents")
    for name in ("producer", "gtin", "lot", "province"):
        p.add_argument(f"--{name}")
    for name in ("occurred-from", "occurred-to", "recorded-from", "recorded-to"):
        p.add_argument(f"--{name}", help="RFC 3339 | YYYY-MM-DD")
    p.add_argument("--kind", choices=[k.value for k in EventKind])
    p.add_argument("--disposition", choices=[d.value for d in Disposition])
    p.add_argument("--ocop-stars", type=int, choices=(3, 4, 5))
    p.add_argument("--certification", choices=[s.value for s in Scheme])
    p.add_argument(
        "--sort", choices=[s.value for s in SortOrder], default=SortOrder.RECORDED_DESC.value
    )
    p.add_argument("--limit", type=int, default=50, help="mỗi trang / per page")
    p.add_argument("--cursor", help="tiếp từ trang trước / continue a previous page")
    p.add_argument("--all", action="store_true", help="mọi trang / every page")
    p.set_defaults(run=runner(query_search))

    p = inspect.add_parser("history", parents=[common], help="lịch sử một lô / a batch's records")
    p.add_argument("batch", help="mã lô công khai hoặc id / the batch's public code or id")
    p.add_argument("--proofs", action="store_true", help="kèm gói bằng chứng / with proof bundles")
    p.set_defaults(run=runner(query_history))

    p = inspect.add_parser(
        "trace", parents=[common], help="một bước lùi, một bước tiến / one step back or forward"
    )
    p.add_argument("batch", help="mã lô công khai hoặc id / the batch's public code or id")
    p.add_argument("--direction", choices=("upstream", "downstream"), default="downstream")
    p.add_argument("--depth", type=int, default=10)
    p.set_defaults(run=runner(query_trace))

    p = inspect.add_parser("reach", parents=[common], help="phạm vi thu hồi / a recall's reach")
    p.add_argument("recall", help="số của lệnh thu hồi / the recall's id")
    p.add_argument(
        "--csv",
        action="store_true",
        help="in CSV (UTF-8, mở được bằng Excel) / print CSV (UTF-8, opens in Excel)",
    )
    p.add_argument(
        "--pdf",
        metavar="FILE",
        type=Path,
        help="ghi văn bản A4 để lưu hồ sơ / write the A4 document to file",
    )
    p.set_defaults(run=runner(query_reach))


# The search's query parameters, named as `search`'s options are (dashes become "_").
SEARCH_PARAMETERS = (
    "q",
    "producer",
    "gtin",
    "lot",
    "province",
    "occurred_from",
    "occurred_to",
    "recorded_from",
    "recorded_to",
    "kind",
    "disposition",
    "ocop_stars",
    "certification",
    "sort",
    "limit",
    "cursor",
)
Query = Callable[[Service, argparse.Namespace, str], Iterable[str]]


def runner(query: Query) -> Callable[[argparse.Namespace], int]:
    """The command: settle service, token and language, run ``query``, print its lines."""

    def run(args: argparse.Namespace) -> int:
        lang = language(os.environ)
        token = args.token or os.environ.get("TRACE_TOKEN")
        if not token:
            print(
                say(
                    "An inspector's token is needed: use --token or the TRACE_TOKEN variable.", lang
                ),
                file=sys.stderr,
            )
            return UNREACHABLE
        url = service_url(args.url, os.environ)
        try:
            for line in query(Service(url, token, lang), args, lang):
                print(line)
        except NotAServiceUrl:
            print(say(BAD_URL, lang, url=url), file=sys.stderr)
            return UNREACHABLE
        except ServiceRefused as refused:
            text = say(REFUSED_WORDS, lang, status=refused.status, detail=refused.detail)
            print(text, file=sys.stderr)
            return REFUSED
        except ServiceUnreachable as failed:
            text = say(UNREACHABLE_WORDS, lang, url=failed.url, reason=failed.reason)
            print(text, file=sys.stderr)
            return UNREACHABLE
        return 0

    return run


def query_search(service: Service, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """Batches matching the filters: one page, or every page with ``--all``."""
    params: dict[str, object] = {name: getattr(args, name) for name in SEARCH_PARAMETERS}
    found: list[dict[str, Any]] = []
    while True:
        page = service.get("/api/v1/batches", params)
        found += page["batches"]
        params["cursor"] = page["next_cursor"]
        if not (args.all and page["next_cursor"]):
            break
    if args.json:
        yield _json({"batches": found, "next_cursor": params["cursor"]})
        return
    names = AgencyNames(service)
    columns = (
        "code",
        "product",
        "lot",
        "gtin",
        "producer",
        "province",
        "occurred",
        "disposition",
        "stars",
    )
    rows = [
        (
            b["code"],
            b["product"],
            b["lot"],
            b["gtin"],
            names(b["producer_id"]),
            province_name(b["province"]) if b["province"] else None,
            day_words(b["occurred_at"], lang),
            disposition_words(b["disposition"], lang),
            b["ocop_stars"],
        )
        for b in found
    ]
    yield from table(columns, rows, lang) if rows else [say("No batches.", lang)]
    if params["cursor"]:
        yield say(
            "More pages follow: run again with --cursor={cursor} (or --all for every page).",
            lang,
            cursor=params["cursor"],
        )


def query_history(service: Service, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """Every record of the batch in ``seq`` order (every page): a table, then what each
    record holds, in words."""
    path = f"/api/v1/batches/{urllib.parse.quote(args.batch, safe='')}/records"
    records: list[dict[str, Any]] = []
    after: int | None = 0
    batch = args.batch
    while after is not None:
        page = service.get(path, {"after": after, "limit": 500, "proofs": args.proofs})
        batch, after = page["batch"], page["next_after"]
        records += page["records"]
    if args.json:
        yield _json({"batch": batch, "records": records})
        return
    names = AgencyNames(service)
    yield say("{count} records of batch {batch}, in order:", lang, count=len(records), batch=batch)
    registration = next((r["body"] for r in records if r["kind"] == "registered"), None)
    if registration:
        product, lot = registration.get("product"), registration.get("lot")
        yield say(
            "Batch: {product}, lot {lot} ({code})", lang, product=product, lot=lot, code=args.batch
        )
    columns = ("seq", "position", "kind", "occurred", "agency", "record_hash")
    yield from table(
        columns,
        [
            (
                r["seq"],
                r["position"],
                kind_words(r["kind"], lang),
                time_words(r["occurred_at"], lang),
                names(r["agency"]),
                r["record_hash"][:16],
            )
            for r in records
        ],
        lang,
    )
    for r in records:
        yield ""
        yield f"{r['seq']}. {kind_words(r['kind'], lang)}"
        yield "    " + say(
            "occurred {occurred}, recorded {recorded}, by {agency}",
            lang,
            occurred=time_words(r["occurred_at"], lang),
            recorded=time_words(r["recorded_at"], lang) or "-",
            agency=names(r["agency"]),
        )
        yield from fields_in_words(r["body"], lang, names)


def query_trace(service: Service, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """The batches upstream or downstream of one, by generation."""
    path = f"/api/v1/batches/{urllib.parse.quote(args.batch, safe='')}/trace"
    answer = service.get(path, {"direction": args.direction, "depth": args.depth, "format": "json"})
    yield from _batches(answer, args, lang)


def query_reach(service: Service, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """Every batch a recall reaches, who holds it, and the pages that show the banner;
    ``--csv``: the service's CSV of it, as a spreadsheet opens it; ``--pdf FILE``: the
    printable document, in the language asked for."""
    path = f"/api/v1/recalls/{urllib.parse.quote(args.recall, safe='')}/reach"
    if args.pdf:
        args.pdf.write_bytes(service.content(path, "application/pdf"))
        yield say("The document is written to {path}.", lang, path=args.pdf)
        return
    if args.csv:
        yield service.content(path, "text/csv").decode("utf-8").rstrip("\r\n")
        return
    answer = service.get(path)
    if args.json:
        yield _json(answer)
        return
    recall = answer["recall"]
    yield say(
        "Recall {id}: {severity}. Reason: {reason}",
        lang,
        id=recall["id"],
        severity=severity_words(recall["severity"], lang),
        reason=recall["reason"],
    )
    columns = ("depth", "code", "product", "lot", "holder", "in_transit_to", "recalled")
    yield from table(columns, [_reached(b, lang) for b in answer["batches"]], lang)
    if answer["truncated"]:
        yield say("The reach is longer than this answer holds; ask for it as --csv or JSON.", lang)
    if pages := answer["pages"]:
        yield say_n(
            "{count} provenance page now shows the recall banner:",
            "{count} provenance pages now show the recall banner:",
            len(pages),
            lang,
        )
        yield from (f"  {page}" for page in pages)


def _batches(answer: Any, args: argparse.Namespace, lang: str) -> Iterable[str]:
    """The trace's batches as a table (depth, code, product, lot, holder, recalled)."""
    if args.json:
        yield _json(answer)
        return
    found = answer.get("batches", []) if isinstance(answer, dict) else []
    if not found:
        yield say("No batches.", lang)
        return
    columns = ("depth", "code", "product", "lot", "holder", "in_transit_to", "recalled")
    yield from table(columns, [_reached(b, lang) for b in found], lang)


def _reached(batch: dict[str, Any], lang: str) -> tuple[object, ...]:
    """A row of a trace or a reach: the batch, who holds it, and whether it is recalled."""
    recalled = disposition_words("recalled", lang) if batch.get("recalled") else None
    return (
        batch.get("depth"),
        batch.get("code"),
        batch.get("product"),
        batch.get("lot"),
        _holder(batch.get("holder")),
        _holder(batch.get("in_transit_to")),
        recalled,
    )


def _holder(holder: Any) -> object:
    if isinstance(holder, dict):
        return holder.get("shown") or holder.get("name") or holder.get("id")
    return holder


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    lang: str,
    names: Mapping[str, str] = COLUMNS,
) -> list[str]:
    """Columns headed in ``lang`` (their words in ``names``), padded to their widest cell."""
    cells = [[say(names[name], lang) for name in columns]]
    cells += [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _cell(value: object) -> str:
    if value is None or value is False:
        return "-"
    text = "✓" if value is True else str(value)
    return text if len(text) <= WIDEST else text[: WIDEST - 1] + "…"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
