"""A record from before the window of times, as a phone shows it.

A ledger that accepted a harvest dated year 1 and a recall dated year 1 (as it did before
trace/domain/times.py) keeps them for ever. The page must still load, say that each holds a
time outside what the ledger accepts, keep the record intact in the verdict and on the
phone's own check, and still warn of the recall on the first screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import LiveServer, new_chromium, running_server, screenshot
from tests.browser.test_pages import NO_LIMIT, open_page, seen
from tests.integration.unchecked import append_unchecked
from trace.domain.agency import AgencyKind
from trace.store.agencies import Actor
from trace.store.custody import load_master_key
from trace.store.database import connect
from trace.store.ledger import Ledger

YEAR_ONE = "0001-01-01T00:00:00+07:00"


async def _add_records_from_before_the_window(server: LiveServer, batch_id: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        batch = (await http.get(f"/api/v1/batches/{batch_id}")).json()
    ledger = Ledger(
        engine=connect(server.database_url),
        master_key=load_master_key(server.data_dir, None, create=False),
    )
    try:
        async with ledger.engine.connect() as conn:
            authority = (
                await conn.exec_driver_sql("SELECT id FROM agencies WHERE kind = 'authority'")
            ).scalar_one()
        producer = Actor(batch["producer_id"], AgencyKind.PRODUCER, None)
        await append_unchecked(
            ledger,
            producer,
            batch=batch["id"],
            kind="harvested",
            occurred_at=YEAR_ONE,
            body={"quantity": {"value": "120", "unit": "KGM"}},
        )
        await append_unchecked(
            ledger,
            Actor(authority, AgencyKind.AUTHORITY, None),
            batch=batch["id"],
            kind="recalled",
            occurred_at=YEAR_ONE,
            body={"reason": "Phát hiện dư lượng thuốc bảo vệ thực vật", "severity": "class_2"},
        )
    finally:
        await ledger.close()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("pages-unshown"), env=NO_LIMIT) as server:
        pomelo = server.batches[0]
        batch_id = pomelo.api_url.rsplit("/", 1)[1]
        asyncio.run(_add_records_from_before_the_window(server, batch_id))
        yield pomelo.page_url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = new_chromium("vi")
    yield driver
    driver.quit()


def test_a_record_dated_year_one_is_shown_as_such_and_its_recall_still_warns(
    page: str, browser: WebDriver
) -> None:
    open_page(browser, page)
    text = seen(browser)
    # The recall leads the first screen, as any recall does.
    banner = browser.find_element(By.ID, "recall-banner")
    assert banner.is_displayed() and banner.location["y"] < 844
    assert "Phát hiện dư lượng thuốc bảo vệ thực vật" in banner.text
    # Both records say why their time is not shown; the record is intact all the same.
    assert text.count("nằm ngoài khoảng sổ cái chấp nhận") == 2
    assert "0001-01-01" not in text and "01/01/1 " not in text
    verdict = browser.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-verdict") != "broken"
    check = browser.find_element(By.ID, "device-check")
    assert check.get_attribute("data-state") == "ok", check.text
    screenshot(browser, "pages-unshown")
