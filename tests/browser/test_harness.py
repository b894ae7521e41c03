"""The page-test harness itself, on pages that exist today: Swagger UI and /healthz."""

from __future__ import annotations

import json
from collections.abc import Callable

from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.harness import (
    PHONE_WIDTH,
    SCREENSHOTS,
    LiveServer,
    axe_audit,
    screenshot,
    set_language,
    transfer_bytes,
    transfer_entries,
    viewport_width,
)


def test_api_docs_at_phone_size(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(live_server.url + "/schema")
    # Swagger UI draws itself from its script after the load event.
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#swagger-container .swagger-ui")
    )
    assert viewport_width(browser) == PHONE_WIDTH
    # The operations render: Swagger UI reads the OpenAPI 3.1 description Litestar writes.
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    assert "Unable to render this definition" not in browser.page_source

    path = screenshot(browser, "harness-swagger-ui")
    assert path.parent == SCREENSHOTS and path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.width == PHONE_WIDTH and image.height >= 844
        grey = image.convert("L")
        assert any(grey.histogram()[:128])  # dark ink
        assert any(grey.histogram()[128:])  # and a light background: not a blank page

    violations = axe_audit(browser)  # third-party markup: only that axe ran and reported
    assert isinstance(violations, list)
    assert all(v["impact"] in {"minor", "moderate", "serious", "critical"} for v in violations)

    entries = transfer_entries(browser)
    assert {e["name"].removeprefix(live_server.url) for e in entries} >= {
        "/schema",
        "/schema/assets/swagger-ui-bundle.js",
        "/schema/assets/swagger-ui.css",
    }
    assert all(e["name"].startswith(live_server.url) for e in entries)  # nothing from elsewhere
    # Swagger UI's script alone is over 100 kB, even compressed.
    assert transfer_bytes(browser) == sum(e["bytes"] for e in entries) > 100_000


def test_transfer_bytes_do_not_depend_on_the_cache(
    live_server: LiveServer, browser: WebDriver
) -> None:
    browser.get(live_server.url + "/schema")
    cold = transfer_bytes(browser)
    browser.get(live_server.url + "/schema")
    warm = transfer_bytes(browser)
    assert abs(cold - warm) < 0.01 * cold


def test_healthz_json_loads(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(live_server.url + "/healthz")
    body = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert body["status"] == "ok" and body["log_size"] >= 29  # the demo's records
    assert transfer_bytes(browser) > 0


def test_language_reaches_the_server(
    live_server: LiveServer, browser: WebDriver, chromium: Callable[..., WebDriver]
) -> None:
    # Errors come in the language of Accept-Language: the browser's, then the one set.
    missing = live_server.url + "/api/v1/batches/KHONGCO"
    browser.get(missing)
    assert browser.execute_script("return navigator.languages[0]") == "vi"
    vietnamese = browser.find_element(By.TAG_NAME, "body").text
    set_language(browser, "en")
    browser.get(missing)
    english = browser.find_element(By.TAG_NAME, "body").text
    assert browser.execute_script("return navigator.languages[0]") == "en"
    assert vietnamese != english
    assert chromium("en").execute_script("return navigator.language") == "en"


def test_live_server_is_the_demo(live_server: LiveServer) -> None:
    assert live_server.database_url == f"sqlite:///{live_server.data_dir / 'trace.sqlite3'}"
    assert live_server.database_path.is_file()
    assert (live_server.data_dir / "master.key").is_file()  # made by the embedded mode
    assert len(live_server.batches) == 6
    assert any(url.endswith("/01/08936047000128/10/BD-2026-09") for url in live_server.page_urls)
    assert all(
        b.api_url.startswith(live_server.url + "/api/v1/batches/") for b in live_server.batches
    )


def test_screenshot_is_the_whole_page(browser: WebDriver) -> None:
    browser.get(
        "data:text/html;charset=utf-8,<!doctype html><meta name=viewport"
        " content='width=device-width,initial-scale=1'><body style='margin:0'>"
        "<div style='height:3000px;background:linear-gradient(white,black)'>Đầu trang</div>"
    )
    path = screenshot(browser, "harness whole page")
    assert path.name == "harness-whole-page.png"
    with Image.open(path) as image:
        assert image.size == (PHONE_WIDTH, 3000)
        bottom = image.convert("L").crop((0, 2980, PHONE_WIDTH, 3000)).histogram()
        assert sum(bottom[:20]) == PHONE_WIDTH * 20  # black: the bottom, far below the screen
    assert viewport_width(browser) == PHONE_WIDTH
    assert browser.execute_script("return window.innerHeight") == 844
