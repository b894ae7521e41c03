"""Genealogy over HTTP: exact upstream and downstream answers, limits, cycles, deep graphs."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.conftest import Cast
from tests.integration.graph import HOUSEHOLD_COMMUNE, Graph, build_graph
from tests.integration.helpers import kg, record, register
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.walk import Cut, Direction, walk
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.projections import catch_up

SVG = "{http://www.w3.org/2000/svg}"

DOWN_FROM_A = {
    "A": 0,
    "AB": 1,
    "R": 2,
    "S1": 3,
    "S2": 3,
    "S3": 3,
    "M": 4,
    "K": 4,
    "T": 4,
    "F": 5,
    "F1": 6,
    "F2": 6,
}
DOWN_EDGES_FROM_A = {
    ("A", "AB"),
    ("AB", "R"),
    ("R", "S1"),
    ("R", "S2"),
    ("R", "S3"),
    ("S1", "M"),
    ("S2", "K"),
    ("S3", "T"),
    ("M", "F"),
    ("K", "F"),
    ("F", "F1"),
    ("F", "F2"),
}
UP_FROM_F1 = {
    "F1": 0,
    "F": 1,
    "M": 2,
    "K": 2,
    "S1": 3,
    "C": 3,
    "S2": 3,
    "R": 4,
    "AB": 5,
    "A": 6,
    "B": 6,
}
UP_EDGES_FROM_F1 = {
    ("F", "F1"),
    ("M", "F"),
    ("K", "F"),
    ("S1", "M"),
    ("C", "M"),
    ("S2", "K"),
    ("R", "S1"),
    ("R", "S2"),
    ("AB", "R"),
    ("A", "AB"),
    ("B", "AB"),
}


async def trace(client: Any, cast: Cast, ref: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/batches/{ref}/trace", params=params, headers=cast.authority.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


def named(graph: Graph, answer: dict[str, Any]) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """The answer's batches (name -> depth) and edges (input, output) by name."""
    depths = {graph.name(b["id"]): b["depth"] for b in answer["batches"]}
    edges = [(graph.name(e["input"]), graph.name(e["output"])) for e in answer["edges"]]
    assert len(edges) == len(set(edges)), "an edge is listed twice"
    return depths, set(edges)


@pytest.fixture
async def graph(client: Any, cast: Cast, ledger: Ledger) -> Graph:
    return await build_graph(client, cast, ledger)


async def test_downstream_from_a_root_is_exactly_what_was_made_from_it(
    client: Any, cast: Cast, graph: Graph
) -> None:
    answer = await trace(client, cast, graph.ids["A"], direction="downstream")
    assert named(graph, answer) == (DOWN_FROM_A, DOWN_EDGES_FROM_A)
    assert answer["root"] == graph.ids["A"] and answer["direction"] == "downstream"
    assert answer["truncated"] is False and answer["cut"] is None
    assert answer["depth"] == 10 and answer["reached_depth"] == 6
    # Each edge carries the record that makes it: position, hash, process, quantity.
    for edge in answer["edges"]:
        key = (graph.name(edge["input"]), graph.name(edge["output"]))
        expected = graph.edges[key]
        assert {k: edge[k] for k in expected} == expected, key


async def test_upstream_through_merges_and_splits_is_exact(
    client: Any, cast: Cast, graph: Graph
) -> None:
    # By public code, as an inspector reads it off a package.
    answer = await trace(client, cast, graph.codes["F1"], direction="upstream", depth=50)
    assert named(graph, answer) == (UP_FROM_F1, UP_EDGES_FROM_F1)
    assert answer["truncated"] is False and answer["reached_depth"] == 6
    merge = [e for e in answer["edges"] if e["output"] == graph.ids["M"]]
    assert {e["position"] for e in merge} == {graph.edges[("S1", "M")]["position"]}
    assert sorted(e["quantity"]["value"] for e in merge) == ["20", "40"]


async def test_a_depth_limit_cuts_the_answer_and_says_so(
    client: Any, cast: Cast, graph: Graph
) -> None:
    answer = await trace(client, cast, graph.ids["A"], direction="downstream", depth=3)
    depths, edges = named(graph, answer)
    assert depths == {k: v for k, v in DOWN_FROM_A.items() if v <= 3}
    assert edges == {("A", "AB"), ("AB", "R"), ("R", "S1"), ("R", "S2"), ("R", "S3")}
    assert answer["truncated"] is True and answer["cut"] == "depth"
    answer = await trace(client, cast, graph.ids["F1"], direction="upstream", depth=2)
    assert named(graph, answer) == (
        {"F1": 0, "F": 1, "M": 2, "K": 2},
        {("F", "F1"), ("M", "F"), ("K", "F")},
    )
    assert answer["truncated"] is True
    # Exactly as deep as the graph: nothing lies beyond, so nothing was cut.
    answer = await trace(client, cast, graph.ids["A"], depth=6)
    assert named(graph, answer) == (DOWN_FROM_A, DOWN_EDGES_FROM_A)
    assert answer["truncated"] is False
    leaf = await trace(client, cast, graph.ids["F2"], direction="downstream")
    assert named(graph, leaf) == ({"F2": 0}, set()) and leaf["truncated"] is False


async def test_the_trace_names_holders_and_goods_on_the_road(
    client: Any, cast: Cast, graph: Graph
) -> None:
    answer = await trace(client, cast, graph.ids["R"])
    by_name = {graph.name(b["id"]): b for b in answer["batches"]}
    assert by_name["S1"]["holder"]["name"] == "Nhà máy xay"
    assert by_name["T"]["holder"]["id"] == cast.processor.id
    assert by_name["T"]["in_transit_to"]["name"] == "Siêu thị"
    assert by_name["F1"]["holder"]["id"] == cast.distributor.id
    assert by_name["F1"]["in_transit_to"] is None
    household = by_name["F2"]["holder"]
    assert household["household"] is True and household["name"] is None
    assert household["commune"] == HOUSEHOLD_COMMUNE and household["province_name"] == "Hà Nội"
    assert household["shown"] == f"{household['commune_name']}, Hà Nội"
    assert "Nguyễn Văn Hộ" not in str(answer)
    assert by_name["F2"]["public_path"] == f"/b/{graph.codes['F2']}"


async def test_only_inspectors_may_trace_and_bad_requests_are_refused(
    client: Any, cast: Cast
) -> None:
    batch = (await register(client, cast.producer, lot="Q-1"))["batch"]
    path = f"/api/v1/batches/{batch['id']}/trace"
    assert (await client.get(path)).status_code == 401
    refused = await client.get(path, headers=cast.producer.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    for inspector in (cast.authority, cast.certifier, cast.operator):
        assert (await client.get(path, headers=inspector.headers)).status_code == 200
    for params in ({"depth": 0}, {"depth": 51}, {"direction": "sideways"}, {"format": "pdf"}):
        bad = await client.get(path, params=params, headers=cast.authority.headers)
        assert bad.status_code == 400, params
        assert bad.headers["content-type"].startswith("application/problem+json")
    missing = await client.get(
        "/api/v1/batches/ZZZZZZZZZZZZZZ/trace", headers=cast.authority.headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_a_cycle_made_through_the_api_ends_the_walk(client: Any, cast: Cast) -> None:
    # The rules allow it: the mill holds both batches and makes each from the other.
    x = (await register(client, cast.processor, lot="X", product="Gạo X"))["batch"]["id"]
    y = (await register(client, cast.processor, lot="Y", product="Gạo Y"))["batch"]["id"]
    for output, source in ((y, x), (x, y)):
        body = {"process": "repacking", "inputs": [{"batch": source, "quantity": kg("5")}]}
        await record(client, cast.processor, output, "transformed", body)
    for direction in ("downstream", "upstream"):
        answer = await trace(client, cast, x, direction=direction, depth=50)
        assert {b["id"]: b["depth"] for b in answer["batches"]} == {x: 0, y: 1}
        assert {(e["input"], e["output"]) for e in answer["edges"]} == {(x, y), (y, x)}
        assert answer["truncated"] is False
    drawing = await client.get(
        f"/api/v1/batches/{x}/trace",
        params={"format": "svg"},
        headers=cast.authority.headers,
    )
    root = ET.fromstring(drawing.content)
    assert {g.get("id") for g in root.iter(f"{SVG}g")} >= {f"batch-{x}", f"batch-{y}"}
    assert any("against" in (p.get("class") or "") for p in root.iter(f"{SVG}path"))


async def test_a_deep_chain_is_cut_and_reported_never_followed_forever(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    length = 300
    registered = await asyncio.gather(
        *(register(client, cast.processor, lot=f"CH-{i}", product="Gạo") for i in range(length))
    )
    chain = [answer["batch"]["id"] for answer in registered]
    await asyncio.gather(
        *(
            record(
                client,
                cast.processor,
                chain[i],
                "transformed",
                {"process": "repacking", "inputs": [{"batch": chain[i - 1], "quantity": kg("1")}]},
            )
            for i in range(1, length)
        )
    )
    answer = await trace(client, cast, chain[0], depth=50)
    assert {b["id"]: b["depth"] for b in answer["batches"]} == {chain[i]: i for i in range(51)}
    assert len(answer["edges"]) == 50 and answer["truncated"] is True and answer["cut"] == "depth"
    up = await trace(client, cast, chain[-1], direction="upstream")
    assert len(up["batches"]) == 11 and up["truncated"] is True
    drawing = await client.get(
        f"/api/v1/batches/{chain[0]}/trace",
        params={"depth": 50},
        headers={**cast.authority.headers, "Accept": "image/svg+xml"},
    )
    assert drawing.headers["content-type"].startswith("image/svg+xml")
    assert len([g for g in ET.fromstring(drawing.content).iter(f"{SVG}g") if g.get("id")]) == 51
    # Without a depth limit the walk goes to the end, and the size bound cuts it when asked.
    await catch_up(ledger, GENEALOGY)
    async with read_transaction(ledger.engine) as conn:
        head = await find_batch(conn, chain[0])
        whole = await walk(conn, head, Direction.DOWNSTREAM, depth=None)
        bounded = await walk(conn, head, Direction.DOWNSTREAM, depth=None, max_batches=100)
    assert whole.depths == {chain[i]: i for i in range(length)} and whole.cut is None
    assert bounded.depths == {chain[i]: i for i in range(100)} and bounded.cut is Cut.SIZE
    assert len(bounded.edges) == 99


async def test_a_corrected_transformation_is_no_longer_followed(
    client: Any, cast: Cast, graph: Graph
) -> None:
    wrong = graph.edges[("C", "M")]["record_hash"]
    before = await trace(client, cast, graph.ids["C"])
    assert named(graph, before)[0] == {"C": 0, "M": 1, "F": 2, "F1": 3, "F2": 3}
    await record(
        client,
        cast.processor,
        graph.ids["M"],
        "corrected",
        {"corrects": wrong, "reason": "Nhập nhầm lô đầu vào"},
    )
    after = await trace(client, cast, graph.ids["C"])
    assert named(graph, after) == ({"C": 0}, set())
    # The correction withdraws the whole record; the mill records the inputs it meant.
    assert named(graph, await trace(client, cast, graph.ids["M"], direction="upstream")) == (
        {"M": 0},
        set(),
    )
    body = {"process": "repacking", "inputs": [{"batch": graph.ids["S1"], "quantity": kg("40")}]}
    await record(client, cast.processor, graph.ids["M"], "transformed", body)
    upstream = await trace(client, cast, graph.ids["M"], direction="upstream", depth=1)
    assert named(graph, upstream) == ({"M": 0, "S1": 1}, {("S1", "M")})


async def test_the_trace_comes_as_a_drawing_when_asked(
    client: Any, cast: Cast, graph: Graph
) -> None:
    path = f"/api/v1/batches/{graph.ids['A']}/trace"
    for headers, params in (
        ({"Accept": "image/svg+xml"}, {}),
        ({"Accept": "application/json;q=0.5, image/svg+xml"}, {}),
        ({"Accept": "application/json"}, {"format": "svg"}),
    ):
        response = await client.get(
            path, params=params, headers={**cast.authority.headers, **headers}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
    english = await client.get(
        path,
        params={"format": "svg", "lang": "en"},
        headers=cast.authority.headers,
    )
    assert english.headers["content-language"] == "en"
    root = ET.fromstring(english.content)
    ids = {g.get("id") for g in root.iter(f"{SVG}g") if g.get("id")}
    assert ids == {f"batch-{graph.ids[name]}" for name in DOWN_FROM_A}
    words = " ".join(root.itertext())
    assert "Downstream trace" in words and "Blending" in words and "Legend" in words
    vietnamese = await client.get(
        path, params={"format": "svg"}, headers={**cast.authority.headers}
    )
    assert "Truy xuất xuôi" in vietnamese.text and "Phối trộn" in vietnamese.text
    json_again = await client.get(
        path, headers={**cast.authority.headers, "Accept": "image/svg+xml;q=0.1, */*"}
    )
    assert json_again.headers["content-type"].startswith("application/json")
