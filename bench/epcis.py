"""EPCIS at partner scale (issue 17): capture against one-by-one appends, and a query over 1M.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/epcis.py --runs 3

Both parts run on PostgreSQL (``--postgres-url``, default the local server), each in a
throwaway database of its own:

1. **Capture** (``bench_epcis_capture_<pid>``, always dropped). One producer, 20 batches for
   each path. Each run sends ``--documents`` EPCIS documents of ``--events`` events (default
   20 × 500) to ``POST /epcis/capture`` of ``python -m trace serve --workers 2``, one
   document after another from one client, and the equivalent observations, the same kinds,
   times and bodies on the other batches, one request each to ``POST
   /api/v1/batches/{id}/events`` from one client, as a partner without capture would
   (bench/epcis_events.py; only the first ``--one-by-one`` of them if given, since the rate
   is per event and one by one is slow). The two alternate which goes first, run by run.
   Each gives events per second (median of the runs), CPU milliseconds per event of the
   server and of PostgreSQL, and capture's rate over the one-by-one rate of the same run. At
   the end every capture job must have succeeded with every event, and both sets of batches
   must hold the same number of records of the same kinds (capture recorded the kinds, not
   ``epcis_event`` records).
2. **Query** (``bench_epcis_query_<pid>``, dropped unless ``--keep``; ``--skip-load NAME``
   reuses a kept one). ``--records`` records (default 1,000,000) on ``--batches`` lots of
   ``--products`` GTINs, appended in-process by the store's own append transaction
   (``append_group``, ``--group`` statements a transaction, signed by the producer's
   custodial key, the Merkle tree kept) from ``--loaders`` processes, while another process
   catches the "epcis" projection up behind them; then ``VACUUM ANALYZE``. Then, one query
   at a time from one task, for ``--seconds`` each, interleaved over ``--runs``:
   ``EQ_eventID`` of a random event (the reference: a unique index), ``MATCH_anyEPCClass``
   of a random lot, and of a random GTIN's pattern (``urn:epc:idpat:sgtin:…*``, every lot of
   it): each as ``GET /epcis/events`` answers it in-process (parameters parsed, the index's
   catch-up checked, the page read, the EPCISQueryDocument written), without HTTP and the
   audit entry. Queries per second (median), p50 and p99, and the plan (``EXPLAIN ANALYZE``)
   of the slowest shape.

A markdown report goes to stdout, progress to stderr. The machine is shared: compare ratios
within one run rather than rates across runs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from epcis_capture import CaptureResult, run_capture  # noqa: E402
from epcis_query import QueryResult, run_queries  # noqa: E402
from harness import DEFAULT_POSTGRES, log  # noqa: E402

QUICK = {
    "documents": 2,
    "events": 50,
    "runs": 1,
    "records": 1200,
    "batches": 24,
    "products": 4,
    "group": 400,
    "loaders": 1,
    "seconds": 0.3,
}


def _options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where the bench may CREATE DATABASE"
        f" (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--part", choices=("capture", "query", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure (median)")
    parser.add_argument("--documents", type=int, default=20, help="documents captured a run")
    parser.add_argument("--events", type=int, default=500, help="events a document")
    parser.add_argument(
        "--one-by-one",
        type=int,
        default=0,
        metavar="N",
        help="send only the first N of a run's events one by one (default: all of them)",
    )
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the server under capture with py-spy (a flame graph SVG in the work folder,"
        " kept); needs py-spy",
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="records loaded to query")
    parser.add_argument("--batches", type=int, default=20_000, help="lots those records are on")
    parser.add_argument("--products", type=int, default=200, help="GTINs those lots are of")
    parser.add_argument("--group", type=int, default=2000, help="statements an append transaction")
    parser.add_argument("--loaders", type=int, default=3, help="processes appending the load")
    parser.add_argument("--seconds", type=float, default=5.0, help="of each query shape a run")
    parser.add_argument("--keep", action="store_true", help="keep the query database")
    parser.add_argument("--skip-load", metavar="NAME", help="query a database kept by --keep")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="with --skip-load: query the kept database as it is (the figures before a migration)",
    )
    parser.add_argument("--quick", action="store_true", help="a small version (the tests run it)")
    return parser


def render(
    args: argparse.Namespace, capture: CaptureResult | None, query: QueryResult | None
) -> str:
    lines = [
        "## EPCIS at partner scale (bench/epcis.py)",
        "",
        f"PostgreSQL, {os.cpu_count()} cores shared with other work; medians of {args.runs} runs.",
    ]
    if capture is not None:
        lines += ["", *capture.table()]
    if query is not None:
        lines += ["", *query.table()]
    return "\n".join(lines)


def main() -> int:
    args = _options().parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    random.seed(17)
    capture = query = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-epcis-") as tmp:
        workdir = Path(tmp)
        if args.part in ("capture", "both"):
            capture = run_capture(args, workdir)
        if args.part in ("query", "both"):
            query = run_queries(args, workdir)
    log(f"-- done in {time.perf_counter() - started:,.0f} s")
    print(render(args, capture, query))
    failed = (capture is not None and capture.problems) or (query is not None and query.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
