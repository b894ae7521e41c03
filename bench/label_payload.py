"""What a label's QR symbol costs for each way of writing its URL: version, modules, fit.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/label_payload.py

The demo (``python -m trace demo``, loaded in-process into a throwaway SQLite file) gives
the URLs: the lot label of each demo batch and the first serialised label of each print
run. Each URL is written three ways, under the demo's origin and two deployment-like ones:

- ``before``: scheme and host in capitals (what labels held until issue 15);
- ``lower scheme``: the scheme in lower case, the host in capitals (what they hold now);
- ``lower origin``: scheme and host in lower case.

and encoded by ``trace.labels.qr.encode`` (error correction M, the smallest version, the
encoder's own split into byte and alphanumeric segments). For each template the symbol's
side with its quiet zone is printed, and whether every label still fits
(``trace.labels.layout.compose``). Nothing is timed; the output is a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from trace.config import load_settings  # noqa: E402
from trace.demo import load_demo  # noqa: E402
from trace.domain.places import vietnam_today  # noqa: E402
from trace.labels.content import LabelFacts  # noqa: E402
from trace.labels.errors import LabelDoesNotFit  # noqa: E402
from trace.labels.facts import batch_facts  # noqa: E402
from trace.labels.layout import compose  # noqa: E402
from trace.labels.qr import QUIET_ZONE, batch_path, encode, label_url  # noqa: E402
from trace.labels.runs import list_runs, run_serials  # noqa: E402
from trace.labels.templates import TEMPLATES  # noqa: E402
from trace.store.batches import all_batches  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402

ORIGINS = (
    "http://127.0.0.1:8000",
    "https://trace.example.vn",
    "https://truyxuat.nongsan.example.vn",
)
# Templates that take serialised labels (a4-5x13 is for lot labels only).
LOT_ONLY = frozenset({"a4-5x13"})


def _before(public_url: str, path: str) -> str:
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}".upper() + parts.path.rstrip("/") + path


def _lower_origin(public_url: str, path: str) -> str:
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}".lower() + parts.path.rstrip("/") + path


WAYS: dict[str, Callable[[str, str], str]] = {
    "before": _before,
    "lower scheme": label_url,
    "lower origin": _lower_origin,
}


async def _demo_labels(workdir: Path) -> list[tuple[str, LabelFacts, str | None, str]]:
    """(what, facts, serial, path) of each demo label: lot labels, a serial of each run."""
    env = {
        "TRACE_DATA_DIR": str(workdir),
        "TRACE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    settings = load_settings(env)
    # Alembic runs its own event loop: on a thread of its own.
    thread = threading.Thread(target=migrate, args=(settings.database_url,))
    thread.start()
    thread.join()
    await load_demo(settings)
    ledger = open_ledger(settings)
    labels: list[tuple[str, LabelFacts, str | None, str]] = []
    try:
        async with read_transaction(ledger.engine) as conn:
            found = await all_batches(conn)
        for batch in found:
            async with read_transaction(ledger.engine) as conn:
                facts = await batch_facts(conn, batch, today=vietnam_today())
                runs = await list_runs(conn, batch.id)
            path = batch_path(code=batch.code, gtin=batch.gtin, lot=batch.lot)
            labels.append((f"{batch.lot} lot", facts, None, path))
            for run in runs:
                serial = await anext(run_serials(ledger, run.id, stop=1))
                path = batch_path(code=batch.code, gtin=batch.gtin, lot=batch.lot, serial=serial)
                labels.append((f"{batch.lot} serial", facts, serial, path))
    finally:
        await ledger.close()
    return labels


def _fits(facts: LabelFacts, template: str, text: str, serial: str | None) -> bool:
    try:
        compose(
            facts, TEMPLATES[template], encode(text), lang="vi", short_code=serial or facts.code
        )
    except LabelDoesNotFit:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", action="append", help="an origin to measure (repeatable)")
    args = parser.parse_args()
    origins = args.origin or list(ORIGINS)
    with tempfile.TemporaryDirectory() as workdir:
        labels = asyncio.run(_demo_labels(Path(workdir)))
    print("| origin | label | " + " | ".join(f"{w}: chars, version (modules)" for w in WAYS) + " |")
    print("|---|---|" + "---|" * len(WAYS))
    versions: dict[str, set[int]] = {way: set() for way in WAYS}
    misfits: dict[str, list[str]] = {way: [] for way in WAYS}
    for origin in origins:
        for what, facts, serial, path in labels:
            cells = []
            for way, write in WAYS.items():
                text = write(origin, path)
                symbol = encode(text)
                versions[way].add(symbol.version)
                cells.append(f"{len(text)}, {symbol.version} ({symbol.modules})")
                for name in TEMPLATES:
                    if serial is not None and name in LOT_ONLY:
                        continue
                    if not _fits(facts, name, text, serial):
                        misfits[way].append(f"{name} {origin} {what}")
            print(f"| {origin} | {what} | " + " | ".join(cells) + " |")
    print()
    used = sorted(set().union(*versions.values()))
    print("| template | module mm | " + " | ".join(f"v{v} side mm" for v in used) + " |")
    print("|---|---|" + "---|" * len(used))
    for name, template in TEMPLATES.items():
        module = template.module
        sides = [f"{(17 + 4 * v + 2 * QUIET_ZONE) * module:.1f}" for v in used]
        print(f"| {name} | {module:.3f} | " + " | ".join(sides) + " |")
    print()
    for way, failed in misfits.items():
        print(
            f"- {way}: " + ("every label fits every template" if not failed else "; ".join(failed))
        )


if __name__ == "__main__":
    main()
