"""Making labels of a batch: lot labels (all alike) or a serialised run (one serial each).

:func:`prepare` checks the request and lays out the first page before any byte
is sent, so a label that does not fit is refused with a clear error instead of
a broken download. :func:`render` then yields the file a page at a time: a PDF
of any length is streamed, PNG and SVG hold one page (one roll label or one
sheet).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial

import anyio.to_thread

from trace.domain.errors import NotPermitted
from trace.domain.places import vietnam_today
from trace.labels.content import LabelFacts
from trace.labels.drawing import Label, Page, Placed
from trace.labels.errors import LabelRequestInvalid
from trace.labels.facts import batch_facts
from trace.labels.fonts import face
from trace.labels.layout import compose
from trace.labels.pdf import PdfStream
from trace.labels.png import render_png
from trace.labels.qr import batch_path, encode, label_url
from trace.labels.runs import LabelRun, get_run, run_serials
from trace.labels.svg import render_svg
from trace.labels.templates import DEFAULT_TEMPLATE, TEMPLATES, Template
from trace.store.agencies import Actor
from trace.store.batches import Batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.translation import DEFAULT_LANGUAGE

MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}
DEFAULT_FORMAT = "pdf"
# Lot labels are all alike: a larger number is a printer's copy count, not a file.
MAX_COPIES = 10_000


@dataclass(frozen=True, slots=True)
class LabelJob:
    """A checked request: which labels, on which stock, in which format and language."""

    template: Template
    format: str
    count: int
    lang: str
    facts: LabelFacts
    gtin: str | None
    public_url: str
    run: LabelRun | None = None

    @property
    def media_type(self) -> str:
        """The response's media type."""
        return MEDIA_TYPES[self.format]

    @property
    def pages(self) -> int:
        """Pages in the output."""
        return -(-self.count // self.template.per_page)

    def filename(self) -> str:
        """A download name: batch code, run, template, format."""
        run = f"-run-{self.run.id[:8]}" if self.run else ""
        return f"labels-{self.facts.code}{run}-{self.template.name}.{self.format}"

    def label(self, serial: str | None = None) -> Label:
        """One label of the job (the lot label, or the label of ``serial``)."""
        facts = self.facts
        path = batch_path(code=facts.code, gtin=self.gtin, lot=facts.lot, serial=serial)
        symbol = encode(label_url(self.public_url, path))
        return compose(
            facts, self.template, symbol, lang=self.lang, short_code=serial or facts.code
        )


def check_request(
    *,
    template: str | None,
    format: str | None,
    count: int | None,
    run_count: int | None,
) -> tuple[Template, str, int]:
    """The template, format and count a request asks for; LabelRequestInvalid otherwise.

    ``run_count`` is the size of the print run the labels come from (None: lot labels).
    Nothing here needs the database, so a command line can check a request before sending it.
    """
    name = template or DEFAULT_TEMPLATE
    stock = TEMPLATES.get(name)
    if stock is None:
        raise LabelRequestInvalid(
            f"unknown template {name!r}; templates: {', '.join(TEMPLATES)}",
            field="template",
            reason="template",
            value=name,
            accepted=", ".join(TEMPLATES),
        )
    kind = (format or DEFAULT_FORMAT).lower()
    if kind not in MEDIA_TYPES:
        raise LabelRequestInvalid(
            f"unknown format {kind!r}; formats: {', '.join(MEDIA_TYPES)}",
            field="format",
            reason="format",
            value=kind,
            accepted=", ".join(MEDIA_TYPES),
        )
    limit = run_count if run_count is not None else MAX_COPIES
    wanted = count
    if wanted is None:
        wanted = run_count if run_count is not None else stock.per_page
    if not 1 <= wanted <= limit:
        raise LabelRequestInvalid(
            f"count must be 1 to {limit}, not {wanted}",
            field="count",
            reason="count",
            maximum=limit,
            value=str(wanted),
        )
    if kind != "pdf" and wanted > stock.per_page:
        raise LabelRequestInvalid(
            f"{kind.upper()} holds one page ({stock.per_page} labels of {name});"
            f" ask for PDF to get {wanted}",
            field="count",
            reason="one_page",
            format=kind.upper(),
            per_page=stock.per_page,
            template=name,
            value=str(wanted),
        )
    return stock, kind, wanted


def _page(template: Template, labels: list[Label]) -> Page:
    width, height = template.page_size
    spots = template.positions()
    return Page(
        width,
        height,
        tuple(Placed(x, y, label) for (x, y), label in zip(spots, labels, strict=False)),
    )


def lot_pages(job: LabelJob, label: Label) -> Iterator[Page]:
    """Pages of ``job.count`` copies of the one lot label."""
    left = job.count
    while left > 0:
        take = min(left, job.template.per_page)
        yield _page(job.template, [label] * take)
        left -= take


async def render(
    job: LabelJob,
    serials: AsyncIterator[str] | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The output file of ``job`` in chunks; ``serials`` feeds a serialised run.

    Layout and drawing run in a worker thread a page at a time, so a long run
    does not hold up the server's other requests.
    """
    stream = PdfStream(title=f"{job.facts.product} · {job.facts.lot}")
    draw: Callable[[Page], bytes]
    if job.format == "pdf":
        draw = stream.page
        yield stream.start()
    elif job.format == "png":
        draw = partial(render_png, dpi=job.template.dpi)
    else:
        draw = render_svg
    done = 0
    async for build, size in _pages(job, serials):
        # One hand-off per page: laying it out and drawing it happen in the same call.
        yield await anyio.to_thread.run_sync(_draw, draw, build)
        done += size
        if progress is not None:
            progress(done)
    if job.format == "pdf":
        # Subsetting the font takes tens of milliseconds: off the event loop too.
        yield await anyio.to_thread.run_sync(stream.finish)


async def _pages(
    job: LabelJob, serials: AsyncIterator[str] | None
) -> AsyncIterator[tuple[Callable[[], Page], int]]:
    """How to build each page, and how many labels it holds."""
    if serials is None:
        label = await anyio.to_thread.run_sync(job.label)
        for page in lot_pages(job, label):
            yield partial(_same, page), len(page.labels)
        return
    batch: list[str] = []
    taken = 0
    async for serial in serials:
        batch.append(serial)
        taken += 1
        if len(batch) == job.template.per_page or taken == job.count:
            yield partial(_serial_page, job, batch), len(batch)
            batch = []
        if taken == job.count:
            return


def _draw(draw: Callable[[Page], bytes], build: Callable[[], Page]) -> bytes:
    return draw(build())


def _same(page: Page) -> Page:
    return page


def _serial_page(job: LabelJob, serials: list[str]) -> Page:
    return _page(job.template, [job.label(serial) for serial in serials])


async def batches_sheet(
    ledger: Ledger, batches: list[Batch], *, template: str, lang: str, public_url: str
) -> list[Page]:
    """Pages with one row of lot labels for each batch in ``batches``, in order."""
    stock = TEMPLATES[template]
    labels: list[Label] = []
    for batch in batches:
        async with read_transaction(ledger.engine) as conn:
            facts = await batch_facts(conn, batch, today=vietnam_today())
        job = LabelJob(stock, "pdf", stock.columns, lang, facts, batch.gtin, public_url)
        labels.extend([await anyio.to_thread.run_sync(job.label)] * stock.columns)
    step = stock.per_page
    return [_page(stock, labels[n : n + step]) for n in range(0, len(labels), step)]


def require_producer(actor: Actor, batch: Batch) -> None:
    """Only the batch's producer prints its labels and registers its print runs."""
    if actor.agency_id != batch.producer_id:
        raise NotPermitted(
            f"only the producer of batch {batch.id} prints its labels",
            rule="labels_not_producer",
            kind="labels",
            batch=batch.id,
        )


async def prepare(
    ledger: Ledger,
    batch: Batch,
    *,
    actor: Actor | None,
    template: str | None = None,
    format: str | None = None,
    count: int | None = None,
    lang: str = DEFAULT_LANGUAGE,
    run_id: str | None = None,
    public_url: str,
) -> tuple[LabelJob, AsyncIterator[str] | None]:
    """Check a label request for ``batch`` and lay out its first label.

    ``actor`` is the agency asking (None for the operator's command line); only
    the batch's producer prints its labels. Returns the job and, for a
    serialised run, the serials to print.
    """
    if actor is not None:
        require_producer(actor, batch)
    run = await get_run(ledger, run_id, batch_id=batch.id) if run_id else None
    stock, kind, wanted = check_request(
        template=template, format=format, count=count, run_count=run.count if run else None
    )
    async with read_transaction(ledger.engine) as conn:
        facts = await batch_facts(conn, batch, today=vietnam_today())
    job = LabelJob(stock, kind, wanted, lang, facts, batch.gtin, public_url, run)
    # Labels differ only in their code under the symbol; if the widest code fits,
    # every label fits, and that is known before a byte of the file is sent.
    widest = None
    if run is not None:
        widest = await _widest_serial(run_serials(ledger, run.id, stop=wanted))
    await anyio.to_thread.run_sync(job.label, widest)
    serials = run_serials(ledger, run.id, stop=wanted) if run else None
    return job, serials


async def _widest_serial(serials: AsyncIterator[str]) -> str | None:
    font = face()
    widest, width = None, -1.0
    async for serial in serials:
        this = font.width(serial, 1.0)
        if this > width:
            widest, width = serial, this
    return widest
