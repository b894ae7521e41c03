"""`labels`: print a batch's labels to a file, as the batch's producer."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from trace.cli.admin import with_ledger
from trace.cli.progress import ProgressBar
from trace.config import load_settings
from trace.domain.agency import AgencyKind
from trace.labels.make import MEDIA_TYPES, prepare, render
from trace.labels.runs import create_run
from trace.labels.templates import DEFAULT_TEMPLATE, TEMPLATES
from trace.store.agencies import Actor, get_agency
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.translation import both


def register(commands: Any) -> None:
    """Add the command of this module."""
    p = commands.add_parser("labels", help="in nhãn QR của một lô / print a batch's QR labels")
    p.add_argument("batch", help="mã lô công khai hoặc id / the batch's public code or id")
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
    progress: ProgressBar | None = None,
) -> tuple[int, str | None]:
    """Write the labels to ``out`` (via a temporary file); return labels written and run id."""
    settings = load_settings()
    async with read_transaction(ledger.engine) as conn:
        batch = await find_batch(conn, batch_ref)
        producer = await get_agency(conn, batch.producer_id)
    if serialised:
        actor = Actor(producer.id, AgencyKind(producer.kind), None)
        run = await create_run(ledger, actor, batch, count or TEMPLATES[template].per_page)
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
            progress=bar,
        )
    )
    print(both("Wrote {count} labels to {path}", count=written, path=args.out))
    if run_id and args.serialised:
        print(
            both("The print run of serialised labels is recorded in the ledger: {run}", run=run_id)
        )
    return 0
