"""Inspectors search batches: names without diacritics, every filter, sorts, exact pages."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, Member
from tests.integration.helpers import WHEN, kg, record, registration
from trace.domain.folding import words
from trace.domain.places import vietnam_today

SEARCH = "/api/v1/batches"
GTIN13 = "8936047000128"  # a valid GTIN-13; the ledger holds it as GTIN-14 08936047000128

LAB = {
    "laboratory": "Phòng thử nghiệm",
    "samples": [{"code": "M1"}],
}


def inspection(result: str) -> dict[str, Any]:
    """An `inspected` body whose one analyte has ``result``."""
    analyte = {
        "name": "Cadimi",
        "value": "0.9" if result == "non_conformant" else "0.01",
        "limit": "0.4",
        "unit": "mg/kg",
        "method": "ICP-MS",
        "result": result,
    }
    return {**LAB, "analytes": [analyte], "result": result}


def certificate(scheme: str, *, stars: int | None = None, valid: bool = True) -> dict[str, Any]:
    """A `certified` body valid today (or expired long ago)."""
    year = vietnam_today().year
    span = (f"{year - 1}-01-01", f"{year + 1}-12-31") if valid else ("2020-01-01", "2022-12-31")
    body: dict[str, Any] = {
        "scheme": scheme,
        "certificate_number": f"{scheme.upper()}-{stars or 0}-{valid}",
        "issuer": "Hội đồng",
        "valid_from": span[0],
        "valid_until": span[1],
    }
    if scheme == "ocop":
        body.update(stars=stars, issuer_level="province", decision_number="12/QĐ-UBND")
    return body


async def make(
    client: httpx.AsyncClient,
    member: Member,
    product: str,
    lot: str,
    *,
    occurred_at: str = WHEN,
    **extra: Any,
) -> dict[str, Any]:
    """Register a batch; its ``batch`` view."""
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": occurred_at, "body": registration(product, lot, **extra)},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["batch"])


async def find(client: httpx.AsyncClient, cast: Cast, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params, headers=cast.authority.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def lots(client: httpx.AsyncClient, cast: Cast, **params: Any) -> list[str]:
    """The lots a search finds, in its order (every page)."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        page = await find(client, cast, **params, **({"cursor": cursor} if cursor else {}))
        found += [hit["lot"] for hit in page["batches"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def test_names_typed_without_diacritics_or_in_either_normalisation_are_found(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    nfd = unicodedata.normalize("NFD", "Bưởi Diễn Phú Thượng")
    await make(client, cast.producer, nfd, "BD-1")
    await make(client, cast.producer, "Bưởi Năm Roi", "NR-1")
    await make(client, cast.producer, "Đặc sản Đà Lạt", "DL-1")
    for typed in (
        "buoi dien",
        "BUOI DIEN",
        "Bưởi Diễn",
        unicodedata.normalize("NFD", "Bưởi Diễn"),
        unicodedata.normalize("NFKC", "bưởi diễn"),
        "dien buoi",  # words in any order
        "buo thuo",  # each word begins a word of the name
    ):
        assert await lots(client, cast, q=typed) == ["BD-1"], typed
    assert sorted(await lots(client, cast, q="buoi")) == ["BD-1", "NR-1"]
    assert await lots(client, cast, q="dac san da lat") == ["DL-1"]
    assert await lots(client, cast, q="Đà lạt") == ["DL-1"]
    assert await lots(client, cast, q="buoi lat") == []
    assert await lots(client, cast, q="uoi") == []  # the middle of a word is not its beginning
    hit = (await find(client, cast, q="buoi dien"))["batches"][0]
    assert hit["product"] == "Bưởi Diễn Phú Thượng"  # shown as recorded: NFC


async def test_every_filter_narrows_to_the_batches_it_names(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    plain = await make(client, cast.producer, "Gạo", "A-1", occurred_at="2026-03-01T09:00:00+07:00")
    coded = await make(client, cast.producer, "Gạo", "A-2", gtin=GTIN13, origin={"province": "33"})
    other = await make(
        client, cast.other_producer, "Chè", "B-1", occurred_at="2026-03-02T00:30:00+07:00"
    )
    failed = await make(client, cast.producer, "Rau", "C-1")
    recalled = await make(client, cast.producer, "Rau", "C-2")
    await record(client, cast.producer, plain["id"], "harvested", {"quantity": kg("5")})
    await record(client, cast.authority, coded["id"], "inspected", inspection("conformant"))
    await record(client, cast.authority, failed["id"], "inspected", inspection("conformant"))
    await record(client, cast.authority, failed["id"], "inspected", inspection("non_conformant"))
    await record(client, cast.authority, recalled["id"], "inspected", inspection("conformant"))
    await record(
        client, cast.authority, recalled["id"], "recalled", {"reason": "x", "severity": "class_2"}
    )
    await record(client, cast.certifier, other["id"], "certified", certificate("ocop", stars=4))
    await record(client, cast.certifier, coded["id"], "certified", certificate("ocop", stars=3))
    await record(client, cast.certifier, coded["id"], "certified", certificate("vietgap"))
    await record(
        client, cast.certifier, plain["id"], "certified", certificate("ocop", stars=5, valid=False)
    )
    await record(
        client, cast.certifier, plain["id"], "certified", certificate("organic", valid=False)
    )

    assert sorted(await lots(client, cast, producer=cast.other_producer.id)) == ["B-1"]
    for gtin in (GTIN13, "0" + GTIN13):
        assert await lots(client, cast, gtin=gtin) == ["A-2"]
    assert await lots(client, cast, lot="C-2") == ["C-2"]
    assert await lots(client, cast, province="33") == ["A-2"]
    assert await lots(client, cast, kind="harvested") == ["A-1"]
    assert sorted(await lots(client, cast, kind="inspected")) == ["A-2", "C-1", "C-2"]
    assert await lots(client, cast, disposition="conformant") == ["A-2"]
    assert await lots(client, cast, disposition="non_conformant") == ["C-1"]
    assert await lots(client, cast, disposition="recalled") == ["C-2"]
    # Stars and certificates count only while valid: A-1's five stars expired.
    assert sorted(await lots(client, cast, ocop_stars=3)) == ["A-2", "B-1"]
    assert await lots(client, cast, ocop_stars=4) == ["B-1"]
    assert await lots(client, cast, ocop_stars=5) == []
    assert await lots(client, cast, certification="vietgap") == ["A-2"]
    assert await lots(client, cast, certification="organic") == []
    assert sorted(await lots(client, cast, certification="ocop")) == ["A-2", "B-1"]
    # A date is the whole day in Vietnam: B-1 occurred at 00:30 on 2 March, Vietnam time.
    assert await lots(client, cast, occurred_to="2026-03-01") == ["A-1"]
    assert await lots(client, cast, occurred_from="2026-03-02", occurred_to="2026-03-02") == ["B-1"]
    assert await lots(
        client, cast, occurred_from="2026-03-01T17:30:00Z", occurred_to="2026-03-01T17:30:00Z"
    ) == ["B-1"]
    everything = await find(client, cast, sort="recorded", limit=200)
    times = [hit["recorded_at"] for hit in everything["batches"]]
    assert await lots(
        client, cast, recorded_from=times[2], recorded_to=times[3], sort="recorded"
    ) == [
        "B-1",
        "C-1",
    ]
    # Filters combine.
    assert await lots(client, cast, q="gao", province="01") == ["A-1"]
    assert await lots(client, cast, q="rau", disposition="recalled", producer=cast.producer.id) == [
        "C-2"
    ]
    hit = (await find(client, cast, lot="A-2"))["batches"][0]
    assert hit["gtin"] == "0" + GTIN13 and hit["disposition"] == "conformant"
    assert hit["ocop_stars"] == 3 and hit["kinds"] == ["certified", "inspected", "registered"]
    assert sorted(c["scheme"] for c in hit["certificates"]) == ["ocop", "vietgap"]
    assert hit["public_path"] == f"/01/0{GTIN13}/10/A-2" and hit["code"] == coded["code"]


async def test_corrections_undo_what_they_correct(client: httpx.AsyncClient, cast: Cast) -> None:
    batch = await make(client, cast.producer, "Vải thiều", "V-1")
    # Certified first: nothing but corrections, inspections and recalls follow a recall.
    cert = await record(client, cast.certifier, batch["id"], "certified", certificate("vietgap"))
    recall = await record(
        client,
        cast.authority,
        batch["id"],
        "recalled",
        {"reason": "nhầm lô", "severity": "class_3"},
    )
    assert await lots(client, cast, disposition="recalled") == ["V-1"]
    assert await lots(client, cast, certification="vietgap") == ["V-1"]
    for member, target in ((cast.authority, recall), (cast.certifier, cert)):
        await record(
            client,
            member,
            batch["id"],
            "corrected",
            {"corrects": target["record"]["record_hash"], "reason": "ghi nhầm"},
        )
    assert await lots(client, cast, disposition="recalled") == []
    assert await lots(client, cast, certification="vietgap") == []
    assert await lots(client, cast, kind="recalled") == ["V-1"]  # the record itself remains


# (product, day of April it occurred), in the order they are registered (recorded).
SHELF = [("Chè", 5), ("Gạo", 1), ("Đậu phụ", 9), ("Ổi", 3), ("bánh đa", 4), ("Bánh Tráng", 7)]
BY_NAME = ["bánh đa", "Bánh Tráng", "Chè", "Đậu phụ", "Gạo", "Ổi"]  # as folded: banh da, ...


async def shelve(client: httpx.AsyncClient, cast: Cast) -> None:
    for product, day in SHELF:
        await make(
            client, cast.producer, product, f"S-{day}", occurred_at=f"2026-04-0{day}T08:00:00+07:00"
        )


async def read_by_pages(
    client: httpx.AsyncClient, cast: Cast, sort: str, between: Any = None
) -> list[tuple[str, str]]:
    """(product, lot) of every batch, by pages of two in ``sort`` order; ``between`` runs
    after each page."""
    found: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        page = await find(client, cast, **params, **({"cursor": cursor} if cursor else {}))
        found += [(hit["product"], hit["lot"]) for hit in page["batches"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
        if between is not None:
            await between()


ORDERS = {
    "product": BY_NAME,
    "occurred": [product for product, _ in sorted(SHELF, key=lambda item: item[1])],
    "recorded": [product for product, _ in SHELF],
}


@pytest.mark.parametrize("sort", [*ORDERS, *(f"-{name}" for name in ORDERS)])
async def test_each_sort_order_reads_the_same_across_pages(
    client: httpx.AsyncClient, cast: Cast, sort: str
) -> None:
    await shelve(client, cast)
    expected = ORDERS[sort.removeprefix("-")]
    found = [product for product, _ in await read_by_pages(client, cast, sort)]
    assert found == (expected[::-1] if sort.startswith("-") else expected)


@pytest.mark.parametrize("sort", [*ORDERS, *(f"-{name}" for name in ORDERS)])
async def test_pages_stay_exact_while_records_are_appended(
    client: httpx.AsyncClient, cast: Cast, sort: str
) -> None:
    await shelve(client, cast)
    made = iter(range(100))
    rounds = iter(range(2))  # after each of the first two pages (reading in order of
    # recording, new batches always come after the cursor: the reading must end)

    async def append_meanwhile() -> None:
        if next(rounds, None) is None:
            return
        # New batches that sort first, last and in between, and new records on old ones.
        for product, day in (("Ấu", 1), ("Xoài", 9), ("Chanh", 5)):
            number = next(made)
            await make(
                client,
                cast.producer,
                product,
                f"N-{number}",
                occurred_at=f"2026-04-0{day}T08:00:00+07:00",
            )
        for hit in (await find(client, cast, limit=3))["batches"]:
            await record(client, cast.producer, hit["id"], "harvested", {"quantity": kg("1")})

    found = await read_by_pages(client, cast, sort, between=append_meanwhile)
    lots_read = [lot for _, lot in found]
    assert len(lots_read) == len(set(lots_read))  # nothing twice
    old = [product for product, lot in found if lot.startswith("S-")]
    expected = ORDERS[sort.removeprefix("-")]
    assert old == (expected[::-1] if sort.startswith("-") else expected)  # nothing skipped


async def test_a_cursor_that_was_changed_or_belongs_to_another_query_is_refused(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await shelve(client, cast)
    cursor = (await find(client, cast, sort="product", limit=2))["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    edited = bytearray(raw)
    edited[-2] ^= 1
    forged = base64.urlsafe_b64encode(bytes(edited)).rstrip(b"=").decode()
    for params in (
        {"sort": "product", "cursor": forged},
        {"sort": "product", "cursor": cursor[:-3]},
        {"sort": "product", "cursor": "not a cursor!"},
        {"sort": "product", "cursor": ""},
        {"sort": "-product", "cursor": cursor},  # another sort
        {"sort": "product", "q": "che", "cursor": cursor},  # another filter
    ):
        response = await client.get(SEARCH, params=params, headers=cast.authority.headers)
        assert response.status_code == 400, (params, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == "bad_cursor" and problem["detail"]
    again = await client.get(
        SEARCH, params={"sort": "product", "cursor": cursor}, headers=cast.authority.headers
    )
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"occurred_from": "yesterday"}, "invalid_search"),
        ({"recorded_to": "2026-02-30"}, "invalid_search"),
        ({"kind": "teleported"}, "bad_request"),
        ({"disposition": "fine"}, "bad_request"),
        ({"sort": "price"}, "bad_request"),
        ({"ocop_stars": "6"}, "bad_request"),
        ({"province": "Hà Nội"}, "bad_request"),
        ({"limit": "0"}, "bad_request"),
        ({"gtin": "8936047000129"}, "invalid_identifier"),
    ],
)
async def test_unreadable_parameters_get_a_clear_problem(
    client: httpx.AsyncClient, cast: Cast, params: dict[str, str], code: str
) -> None:
    response = await client.get(SEARCH, params=params, headers=cast.authority.headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] == code and response.json()["detail"]


async def test_search_is_for_inspectors_only(client: httpx.AsyncClient, cast: Cast) -> None:
    assert (await client.get(SEARCH)).status_code == 401
    for member in (cast.producer, cast.processor, cast.distributor):
        response = await client.get(SEARCH, headers=member.headers)
        assert response.status_code == 403 and response.json()["rule"] == "inspectors_only"
    for member in (cast.authority, cast.certifier, cast.operator):
        assert (await client.get(SEARCH, headers=member.headers)).status_code == 200


@pytest.mark.parametrize(
    "typed",
    ["'", "a:* | b", "!(&)", "\\", "中文", "٣٤", "ﬁ", "  ", "—", "x" * 200, "a b c d e f g h i j"],
)
async def test_any_typed_text_is_a_query_not_an_error(
    client: httpx.AsyncClient, cast: Cast, typed: str
) -> None:
    await make(client, cast.producer, "Trà 中文 ٣٤", "T-1")
    response = await client.get(SEARCH, params={"q": typed}, headers=cast.authority.headers)
    assert response.status_code == 200, response.text
    found = [hit["lot"] for hit in response.json()["batches"]]
    # Text with no word in it filters nothing.
    assert found == (["T-1"] if typed in ("中文", "٣٤") or not words(typed) else [])
