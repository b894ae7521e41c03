"""The SVG drawing of a walk: well-formed, complete, escaped, self-contained, sized, bilingual."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

from trace.genealogy.drawing import draw
from trace.genealogy.holders import Holder
from trace.genealogy.walk import Cut, Direction, Edge, Walk
from trace.store.batches import Batch

NS = "{http://www.w3.org/2000/svg}"
MILL = Holder(str(uuid.uuid4()), "processor", False, "Nhà máy xay", "01", "Hà Nội", None, None)
HOME = Holder(
    str(uuid.uuid4()), "producer", True, None, "01", "Hà Nội", "00091", "Phường Phú Thượng"
)
SHOP = Holder(str(uuid.uuid4()), "distributor", False, "Siêu thị", None, None, None, None)
HOLDERS = {h.id: h for h in (MILL, HOME, SHOP)}


def batch(
    product: str, *, recalled: bool = False, holder: Holder = MILL, to: Holder | None = None
) -> Batch:
    code = uuid.uuid4().hex[:14].upper()
    return Batch(
        str(uuid.uuid4()),
        code,
        product,
        None,
        f"LOT-{code[:4]}",
        "01",
        MILL.id,
        holder.id,
        to.id if to else None,
        recalled,
        False,
        2,
        bytes(32),
        0,
    )


def edge(source: Batch, target: Batch, position: int, process: str = "milling") -> Edge:
    return Edge(source.id, target.id, position, bytes(32), process, "12.5", "KGM", "2026-09-01")


def graph(
    *names: str, direction: Direction = Direction.DOWNSTREAM, recalled: int | None = None
) -> tuple[Walk, list[Batch]]:
    """Five generations: 0 -> 1 (milling), 1 -> 2, 3 (split), 2 + 3 -> 4 (merge), 4 -> 5."""
    labels = list(names) + [f"Gạo {i}" for i in range(len(names), 6)]
    made = [
        batch(
            label,
            recalled=i == recalled,
            holder=HOME if i == 5 else MILL,
            to=SHOP if i == 4 else None,
        )
        for i, label in enumerate(labels)
    ]
    links = [(0, 1, "milling"), (1, 2, "splitting"), (1, 3, "splitting")]
    links += [(2, 4, "merging"), (3, 4, "merging"), (4, 5, "repacking")]
    edges = [edge(made[a], made[b], 10 + n, process) for n, (a, b, process) in enumerate(links)]
    depth = {0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 4}
    root = made[0]
    if direction is Direction.UPSTREAM:
        root = made[5]
        depth = {i: 4 - d for i, d in depth.items()}
    depths = dict(sorted(((made[i].id, d) for i, d in depth.items()), key=lambda p: p[1]))
    walk = Walk(root, direction, 10, depths, {b.id: b for b in made}, edges, None)
    return walk, made


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode())


def boxes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id", "")[6:]: g for g in root.iter(f"{NS}g") if g.get("id")}


def test_the_drawing_is_xml_with_every_batch_and_every_edge() -> None:
    walk, made = graph()
    root = parse(draw(walk, HOLDERS, "vi"))
    assert set(boxes(root)) == {b.id for b in made}
    labels = [g for g in root.iter(f"{NS}g") if g.get("class") == "edge-info"]
    assert {(g.get("data-input"), g.get("data-output")) for g in labels} == {
        (e.input, e.output) for e in walk.edges
    }
    words = " ".join(root.itertext())
    for made_batch in made:
        assert made_batch.product in words and made_batch.code in words
    # Quantities as Vietnamese write them: a decimal comma.
    assert "Chia lô" in words and "Gộp lô" in words and "12,5 kg" in words
    assert "Đang giữ: Nhà máy xay" in words and "Đang chuyển tới: Siêu thị" in words
    # A household is shown by its commune and province only.
    assert "Đang giữ: Phường Phú Thượng, Hà Nội" in words


def test_product_names_with_markup_quotes_or_controls_stay_text() -> None:
    hostile = ['<script>alert("x")</script>', "\"' onload='alert(1)", "A & B <b>", "Gạo\x01\x1f"]
    walk, _ = graph(*hostile)
    svg = draw(walk, HOLDERS, "en")
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag in (f"{NS}script", f"{NS}b", f"{NS}foreignObject")]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    for element in root.iter():
        assert not any(name.startswith("on") for name in element.attrib)
    words = " ".join(root.itertext())
    assert '<script>alert("x")</script>' in words and "A & B <b>" in words
    assert "Gạo\ufffd\ufffd" in words


def test_the_drawing_needs_nothing_from_outside() -> None:
    walk, _ = graph()
    svg = draw(walk, HOLDERS, "vi")
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag in (f"{NS}image", f"{NS}script", f"{NS}a")]
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "@import" not in svg and "href" not in svg
    assert set(re.findall(r"url\(([^)]*)\)", svg)) == {"#arrow"}


def test_labels_follow_the_language() -> None:
    walk, _ = graph(recalled=2)
    vietnamese = " ".join(parse(draw(walk, HOLDERS, "vi")).itertext())
    english = " ".join(parse(draw(walk, HOLDERS, "en")).itertext())
    assert "Truy xuất xuôi" in vietnamese and "Chú giải" in vietnamese and "THU HỒI" in vietnamese
    assert "Downstream trace" in english and "Legend" in english and "RECALLED" in english
    assert "Splitting" in english and "Held by: Nhà máy xay" in english
    assert "Downstream" not in vietnamese and "Chú giải" not in english


def test_recalled_batches_are_red_and_only_they() -> None:
    walk, made = graph(recalled=1)
    found = boxes(parse(draw(walk, HOLDERS, "en")))
    for made_batch in made:
        frame = found[made_batch.id].find(f"{NS}rect")
        assert frame is not None
        assert ("recalled" in (frame.get("class") or "")) is made_batch.recalled
    root_frame = found[made[0].id].find(f"{NS}rect")
    assert root_frame is not None and "root" in (root_frame.get("class") or "")


def _size(root: ET.Element) -> tuple[float, float]:
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    return width, height


def _frames(root: ET.Element) -> dict[str, tuple[float, float]]:
    found = {}
    for batch_id, group in boxes(root).items():
        frame = group.find(f"{NS}rect")
        assert frame is not None
        found[batch_id] = (float(frame.get("x", "0")), float(frame.get("y", "0")))
    return found


def test_the_drawing_is_sized_to_its_graph_and_flows_left_to_right() -> None:
    walk, made = graph()
    root = parse(draw(walk, HOLDERS, "vi"))
    width, height = _size(root)
    frames = _frames(root)
    for x, y in frames.values():
        assert 0 < x < width and 0 < y < height
    assert [frames[b.id][0] for b in made[:2]] == sorted(frames[b.id][0] for b in made[:2])
    assert frames[made[2].id][0] == frames[made[3].id][0] < frames[made[4].id][0]
    # Upstream, the inputs are still on the left: the batch traced is rightmost.
    up, made_up = graph(direction=Direction.UPSTREAM)
    up_frames = _frames(parse(draw(up, HOLDERS, "vi")))
    assert max(x for x, _ in up_frames.values()) == up_frames[made_up[5].id][0]
    assert min(x for x, _ in up_frames.values()) == up_frames[made_up[0].id][0]
    # One batch alone makes a small drawing; a long chain a wide one.
    lone = batch("Gạo")
    single = Walk(lone, Direction.DOWNSTREAM, 10, {lone.id: 0}, {lone.id: lone}, [], None)
    small_width, small_height = _size(parse(draw(single, HOLDERS, "vi")))
    chain = [batch(f"Gạo {i}") for i in range(30)]
    long = Walk(
        chain[0],
        Direction.DOWNSTREAM,
        50,
        {b.id: i for i, b in enumerate(chain)},
        {b.id: b for b in chain},
        [edge(chain[i], chain[i + 1], i) for i in range(29)],
        Cut.DEPTH,
    )
    long_svg = draw(long, HOLDERS, "en")
    long_width, _ = _size(parse(long_svg))
    assert small_width < width < long_width and small_height < height
    assert "goes on beyond 50 generations" in long_svg


def test_a_cycle_is_drawn_against_the_flow() -> None:
    first, second = batch("Gạo X"), batch("Gạo Y")
    walk = Walk(
        first,
        Direction.DOWNSTREAM,
        10,
        {first.id: 0, second.id: 1},
        {first.id: first, second.id: second},
        [edge(first, second, 1, "repacking"), edge(second, first, 2, "repacking")],
        None,
    )
    root = parse(draw(walk, HOLDERS, "vi"))
    paths = [p.get("class", "") for p in root.iter(f"{NS}path") if p.get("marker-end")]
    assert sorted(paths) == ["edge", "edge", "edge against", "edge against"]  # two in the legend
    plain, _ = graph()
    legend = [p for p in parse(draw(plain, HOLDERS, "vi")).iter(f"{NS}path") if p.get("class")]
    assert "edge against" not in [p.get("class") for p in legend]


def test_long_names_are_cut_to_fit_their_box() -> None:
    walk, made = graph("Gạo " + "rất " * 60 + "thơm")
    group = boxes(parse(draw(walk, HOLDERS, "vi")))[made[0].id]
    frame = group.find(f"{NS}rect")
    assert frame is not None and float(frame.get("width", "0")) <= 300
    product = [t.text for t in group.iter(f"{NS}text") if t.get("class") == "product"]
    assert product[0] is not None and product[0].endswith("…") and len(product[0]) < 60
    title = group.find(f"{NS}title")
    assert title is not None and title.text is not None and "thơm" in title.text
