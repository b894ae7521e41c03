"""`labels`: print a batch's labels to a file, as the batch's producer.

Against the database (``TRACE_DATABASE_URL``) by default, as the operator's tool; against a
running service when one is named (``--url`` or TRACE_URL) or a token is given (``--token`` or
TRACE_TOKEN): then the labels come from ``GET /api/v1/batches/{ref}/labels`` with the
producer's token, and ``--serialised`` first registers the run with ``POST
/api/v1/batches/{ref}/label-runs`` and an Idempotency-Key (trace/cli/writes.py).
"""

from __future__ import annotations

import argparse
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trace.cli.admin import with_ledger
from trace.cli.progress import ProgressBar
from trace.cli.remote import language
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
from trace.config import load_settings
from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError
from trace.domain.texts import N_
from trace.labels.make import MEDIA_TYPES, check_request, prepare, render
from trace.labels.runs import create_run
from trace.labels.templates import DEFAULT_TEMPLATE, TEMPLATES
from trace.store.agencies import Actor, get_agency
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.translation import both


def register(commands: Any) -> None:
    """Add the command of this module."""
    p = commands.add_parser(
        "labels",
        help="in nhãn QR của một lô / print a batch's QR labels",
        description=described(
            N_(
                "Print the QR labels of batch BATCH (its id or public code) "
                "to a file. With --url, TRACE_URL, --token or TRACE_TOKEN "
                "the labels come from the running service, with the "
                "producer's token; otherwise straight from the database "
                "(TRACE_DATABASE_URL)."
            )
        ),
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "batch", metavar="BATCH", help="mã lô công khai hoặc id / the batch's public code or id"
    )
    p.add_argument("--template", default=DEFAULT_TEMPLATE, choices=list(TEMPLATES))
    p.add_argument("--format", default="pdf", choices=list(MEDIA_TYPES))
    p.add_argument("--count", type=int, help="số nhãn / how many labels")
    p.add_argument("--lang", default="vi", choices=["vi", "en"])
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--serialised",
        action="store_true",
        help="đăng ký đợt in mới, mỗi nhãn một số sê-ri / register a new run, one serial each",
    )
    group.add_argument(
        "--run", dest="run_id", help="in lại một đợt đã đăng ký / reprint a registered run"
    )
    p.add_argument("--out", required=True, type=Path, help="tệp ra / output file")
    add_service_options(p)
    add_key_option(p)
    p.set_defaults(run=run_labels)


async def write_labels(
    ledger: Ledger,
    *,
    batch_ref: str,
    out: Path,
    template: str,
    format: str,
    count: int | None,
    lang: str,
    serialised: bool = False,
    run_id: str | None = None,
    idempotency_key: str | None = None,
    progress: ProgressBar | None = None,
) -> tuple[int, str | None]:
    """Write the labels to ``out`` (via a temporary file); return labels written and run id."""
    settings = load_settings()
    async with read_transaction(ledger.engine) as conn:
        batch = await find_batch(conn, batch_ref)
        producer = await get_agency(conn, batch.producer_id)
    if serialised:
        size = count or TEMPLATES[template].per_page
        # Refused before the run is recorded, not after (a PNG of more than one page...).
        check_request(template=template, format=format, count=size, run_count=size)
        actor = Actor(producer.id, AgencyKind(producer.kind), None)
        run = await create_run(ledger, actor, batch, size, idempotency_key=idempotency_key)
        run_id = run.id
    job, serials = await prepare(
        ledger,
        batch,
        actor=None,
        template=template,
        format=format,
        count=count,
        lang=lang,
        run_id=run_id,
        public_url=settings.public_url,
    )
    partial = out.with_name(f".{out.name}.part")
    with partial.open("wb") as sink:
        async for chunk in render(
            job, serials, progress=(lambda done: progress(done, job.count)) if progress else None
        ):
            sink.write(chunk)
    os.replace(partial, out)
    return job.count, run_id


def run_labels(args: argparse.Namespace) -> int:
    """Print the labels; say where they are and, for a new run, its id."""
    if names_a_service(args, os.environ):
        return run_labels_remote(args)
    bar = ProgressBar("labels")
    written, run_id = with_ledger(
        lambda ledger: write_labels(
            ledger,
            batch_ref=args.batch,
            out=args.out,
            template=args.template,
            format=args.format,
            count=args.count,
            lang=args.lang,
            serialised=args.serialised,
            run_id=args.run_id,
            idempotency_key=args.idempotency_key,
            progress=bar,
        )
    )
    print(both("Wrote {count} labels to {path}", count=written, path=args.out))
    if run_id and args.serialised:
        print(
            both("The print run of serialised labels is recorded in the ledger: {run}", run=run_id)
        )
    return 0


def names_a_service(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    """Whether the labels come from a running service rather than from the database."""
    return any((args.url, args.token, environ.get("TRACE_URL"), environ.get("TRACE_TOKEN")))


def run_labels_remote(args: argparse.Namespace) -> int:
    """Print the labels through the service, as the batch's producer (exit statuses as
    trace/cli/writes.py says)."""
    lang = language(os.environ)

    def attempt(retry: list[str]) -> None:
        folder = args.out.parent
        if not folder.is_dir():
            raise InvalidInput(
                N_(
                    "The folder {path} does not exist, so the labels cannot be "
                    "written. Create it or choose another --out."
                ),
                path=folder,
            )
        service = connect(args, lang)
        batch = f"/api/v1/batches/{urllib.parse.quote(args.batch, safe='')}"
        count, run_id = args.count, args.run_id
        if args.serialised:
            count = count or TEMPLATES[args.template].per_page
            _check(args, count=count, run_count=count)
            key = idempotency_key(args, retry)
            announce(retry, lang)
            run = service.post(f"{batch}/label-runs", {"count": count}, idempotency_key=key)
            run_id = run.body["id"]
        elif run_id is None:
            count = _check(args, count=count, run_count=None)
        else:  # a registered run, printed again: checked against its size
            runs = service.get(f"{batch}/label-runs")
            size = next((r["count"] for r in runs if r["id"] == run_id), None)
            if size is not None:  # else the service says which run it does not know
                count = _check(args, count=count, run_count=size)
        params = {
            "template": args.template,
            "format": args.format,
            "count": count,
            "lang": args.lang,
            "run": run_id,
        }
        service.download(f"{batch}/labels", params, args.out)
        print(both("Wrote {count} labels to {path}", count=count, path=args.out))
        if args.serialised:
            print(
                both(
                    "The print run of serialised labels is recorded in the ledger: {run}",
                    run=run_id,
                )
            )

    return guarded(lang, attempt)


def _check(args: argparse.Namespace, *, count: int | None, run_count: int | None) -> int:
    """The number of labels asked for, checked as the service checks it."""
    try:
        _, _, wanted = check_request(
            template=args.template, format=args.format, count=count, run_count=run_count
        )
    except DomainError as exc:
        raise InvalidInput.of(exc) from None
    return wanted
