"""`/api/v1/batches/{ref}/trace`: where a batch came from and what was made of it.

Inspectors only. The answer is JSON (the batches with their distance from the batch
traced, and the edges with the `transformed` records that make them) or, with
``format=svg`` or ``Accept: image/svg+xml``, a drawing of the same graph for a report.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import InspectorDep, LedgerDep, provide_inspector
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.genealogy.drawing import draw
from trace.genealogy.holders import Holder, load_holders
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.walk import MAX_BATCHES, Direction, Edge, Walk, walk
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.projections import catch_up
from trace.translation import chosen

SVG = "image/svg+xml"
MAX_DEPTH = 50


class HolderOut(msgspec.Struct):
    """An agency holding goods: ``name`` is null for a household (shown by its places)."""

    id: str
    kind: str
    household: bool
    name: str | None
    shown: str
    province: str | None
    province_name: str | None
    commune: str | None
    commune_name: str | None

    @classmethod
    def of(cls, holder: Holder | None) -> HolderOut | None:
        """The view of ``holder``."""
        if holder is None:
            return None
        return cls(
            holder.id,
            holder.kind,
            holder.household,
            holder.name,
            holder.shown,
            holder.province,
            holder.province_name,
            holder.commune,
            holder.commune_name,
        )


class QuantityOut(msgspec.Struct):
    """A quantity as recorded: a decimal string and a UN/ECE Rec 20 unit code."""

    value: str
    unit: str


class TraceBatchOut(msgspec.Struct):
    """A batch the trace reached, ``depth`` generations from the batch traced."""

    id: str
    code: str
    product: str
    gtin: str | None
    lot: str
    depth: int
    recalled: bool
    sold_out: bool
    holder: HolderOut | None
    in_transit_to: HolderOut | None
    public_path: str


class TraceEdgeOut(msgspec.Struct):
    """Input batch -> output batch, and the `transformed` record (on the output) that says so."""

    input: str
    output: str
    position: int
    record_hash: str
    process: str
    quantity: QuantityOut
    occurred_at: str

    @classmethod
    def of(cls, edge: Edge) -> TraceEdgeOut:
        """The view of ``edge``."""
        return cls(
            edge.input,
            edge.output,
            edge.position,
            edge.record_hash.hex(),
            edge.process,
            QuantityOut(edge.quantity, edge.unit),
            edge.occurred_at,
        )


class TraceOut(msgspec.Struct):
    """The batches within ``depth`` generations of ``root`` and the edges between them.

    ``truncated`` when the graph goes on beyond the answer: ``cut`` is ``depth`` (trace
    again from the deepest batches) or ``size`` (more than ``max_batches`` batches).
    """

    root: str
    direction: Direction
    depth: int
    reached_depth: int
    truncated: bool
    cut: str | None
    max_batches: int
    batches: list[TraceBatchOut]
    edges: list[TraceEdgeOut]

    @classmethod
    def of(cls, found: Walk, holders: dict[str, Holder]) -> TraceOut:
        """The view of ``found``; holders by agency id."""
        batches = []
        for batch_id, depth in found.depths.items():
            batch = found.batches[batch_id]
            batches.append(
                TraceBatchOut(
                    batch.id,
                    batch.code,
                    batch.product,
                    batch.gtin,
                    batch.lot,
                    depth,
                    batch.recalled,
                    batch.sold_out,
                    HolderOut.of(holders.get(batch.holder_id)),
                    HolderOut.of(holders.get(batch.in_transit_to or "")),
                    batch.public_path,
                )
            )
        return cls(
            found.root.id,
            found.direction,
            found.depth or 0,
            found.reached_depth,
            found.truncated,
            found.cut.value if found.cut else None,
            MAX_BATCHES,
            batches,
            [TraceEdgeOut.of(edge) for edge in found.edges],
        )


def _quality(accept: str, wanted: tuple[str, ...]) -> float:
    """The highest q the Accept header gives any of ``wanted`` media ranges (RFC 9110 §12.5.1)."""
    best = 0.0
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if media.lower() not in wanted:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def prefers(accept: str | None, media: tuple[str, ...]) -> bool:
    """Whether ``Accept`` prefers one of the ``media`` ranges to JSON."""
    if not accept:
        return False
    return _quality(accept, media) > _quality(accept, ("application/json", "application/*", "*/*"))


def wants_svg(accept: str | None) -> bool:
    """Whether ``Accept`` prefers the drawing to JSON."""
    return prefers(accept, (SVG, "image/*"))


class GenealogyController(Controller):
    """`/api/v1/batches/{ref}/trace`: one step back or forward, repeated."""

    path = "/api/v1/batches"
    tags = ["inspectors"]
    dependencies = {"inspector": Provide(provide_inspector)}

    @get("/{ref:str}/trace", responses=problem_answers(*ANY, *TOKEN, 404))
    async def trace(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        request: Request[Any, Any, Any],
        ref: str,
        direction: Direction = Direction.DOWNSTREAM,
        depth: Annotated[
            int, Parameter(ge=1, le=MAX_DEPTH, description="Generations to follow.")
        ] = 10,
        format: Annotated[
            Literal["json", "svg"] | None,
            Parameter(description="json or svg; without it, Accept decides (JSON by default)."),
        ] = None,
        lang: Annotated[
            str | None,
            Parameter(
                pattern=r"^[a-z]{2,3}$",
                description="Language of the drawing (vi, en...); else Accept-Language.",
            ),
        ] = None,
    ) -> Response[TraceOut | bytes]:
        """Trace a batch one step back or forward, repeated.

        Inspectors only (``inspect`` scope); each query is written to the audit trail.
        Upstream, the batches it was made from; downstream, the batches made from it: within
        ``depth`` generations, each with its depth and holder, and each edge with the
        ``transformed`` record that makes it. ``format=svg`` (or ``Accept: image/svg+xml``)
        draws the graph.
        """
        await catch_up(ledger, GENEALOGY)  # on the primary; a replica answers with what it replayed
        async with read_transaction(ledger.reader()) as conn:
            root = await find_batch(conn, ref)
            found = await walk(conn, root, direction, depth=depth)
            holders = await load_holders(
                conn, (i for b in found.batches.values() for i in (b.holder_id, b.in_transit_to))
            )
        headers = {"Cache-Control": "private, no-store", "Vary": "Accept, Accept-Language"}
        if format == "svg" or (format is None and wants_svg(request.headers.get("accept"))):
            language = chosen(lang, request.headers.get("accept-language"))
            name = f"trace-{root.code}-{direction.value}.svg"
            return Response(
                draw(found, holders, language).encode(),
                media_type=SVG,
                headers={
                    **headers,
                    "Content-Language": language,
                    "Content-Disposition": f'inline; filename="{name}"',
                },
            )
        return Response(TraceOut.of(found, holders), headers=headers)
