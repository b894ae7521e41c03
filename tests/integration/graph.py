"""A batch graph of six generations with splits, merges and a diamond, built through the API.

::

    A ─┐                                 ┌─ S1 ─┐
       ├─ AB ── R (milling) ─ splitting ─┼─ S2 ─┼─ K ─┐
    B ─┘ (blending)                      └─ S3 ─┼─ T  ├─ F ─ splitting ─┬─ F1
                                          C ────┴─ M ─┘                 └─ F2
                                                (merging)   (merging)

A and B are paddy from two farms, shipped to the mill and received; C is the mill's own;
U is an unrelated batch. T is on its way to the retailer, F1 was received by it, F2 by
a household. Every edge remembers the record that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import kg, record, register
from trace.domain.agency import AgencyKind
from trace.store.ledger import Ledger

# Each transformation: output, process, inputs with kilograms.
TRANSFORMS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("AB", "blending", [("A", "100"), ("B", "50")]),
    ("R", "milling", [("AB", "150")]),
    ("S1", "splitting", [("R", "40")]),
    ("S2", "splitting", [("R", "50")]),
    ("S3", "splitting", [("R", "60")]),
    ("M", "merging", [("S1", "40"), ("C", "20")]),
    ("K", "repacking", [("S2", "50")]),
    ("T", "repacking", [("S3", "60")]),
    ("F", "merging", [("M", "60"), ("K", "50")]),
    ("F1", "splitting", [("F", "30")]),
    ("F2", "splitting", [("F", "80")]),
]
PRODUCTS = {
    "A": "Thóc Bắc Thơm",
    "B": "Thóc Bắc Thơm",
    "C": "Thóc Tám Xoan",
    "U": "Bưởi Diễn",
    "AB": "Thóc trộn",
    "R": "Gạo trắng",
    "S1": "Gạo trắng (phần 1)",
    "S2": "Gạo trắng (phần 2)",
    "S3": "Gạo trắng (phần 3)",
    "M": "Gạo phối trộn",
    "K": "Gạo túi 5 kg",
    "T": "Gạo túi 2 kg",
    "F": "Gạo hỗn hợp",
    "F1": "Gạo hỗn hợp (siêu thị)",
    "F2": "Gạo hỗn hợp (hộ gia đình)",
}
HOUSEHOLD_PROVINCE, HOUSEHOLD_COMMUNE = "01", "00091"


@dataclass
class Graph:
    """The batches by name, and each edge's record: (input, output) -> its facts."""

    ids: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    edges: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    household: Member | None = None

    def name(self, batch_id: str) -> str:
        """The name of the batch ``batch_id`` in this graph."""
        return next(name for name, found in self.ids.items() if found == batch_id)


async def _new(client: Any, graph: Graph, member: Member, name: str) -> None:
    batch = (await register(client, member, lot=f"LOT-{name}", product=PRODUCTS[name]))["batch"]
    graph.ids[name], graph.codes[name] = batch["id"], batch["code"]


async def _hand_over(client: Any, graph: Graph, name: str, sender: Member, to: Member) -> None:
    batch = graph.ids[name]
    await record(client, sender, batch, "shipped", {"to": to.id, "quantity": kg("1")})
    await record(client, to, batch, "received", {"from": sender.id})


async def build_graph(client: Any, cast: Cast, ledger: Ledger) -> Graph:
    """The graph above, every record appended through the HTTP API."""
    graph = Graph()
    graph.household = await make_member(
        ledger,
        "Nguyễn Văn Hộ",
        AgencyKind.PRODUCER,
        household=True,
        province=HOUSEHOLD_PROVINCE,
        commune=HOUSEHOLD_COMMUNE,
    )
    await _new(client, graph, cast.producer, "A")
    await _new(client, graph, cast.other_producer, "B")
    await _new(client, graph, cast.producer, "U")
    await _hand_over(client, graph, "A", cast.producer, cast.processor)
    await _hand_over(client, graph, "B", cast.other_producer, cast.processor)
    await _new(client, graph, cast.processor, "C")
    for output, process, inputs in TRANSFORMS:
        await _new(client, graph, cast.processor, output)
        body = {
            "process": process,
            "inputs": [{"batch": graph.ids[name], "quantity": kg(q)} for name, q in inputs],
        }
        answer = await record(client, cast.processor, graph.ids[output], "transformed", body)
        for name, quantity in inputs:
            graph.edges[(name, output)] = {
                "position": answer["record"]["position"],
                "record_hash": answer["record"]["record_hash"],
                "process": process,
                "quantity": {"value": quantity, "unit": "KGM"},
                "occurred_at": answer["record"]["occurred_at"],
            }
    await record(client, cast.processor, graph.ids["T"], "shipped", {"to": cast.distributor.id})
    await _hand_over(client, graph, "F1", cast.processor, cast.distributor)
    await _hand_over(client, graph, "F2", cast.processor, graph.household)
    return graph
