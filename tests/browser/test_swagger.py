"""Swagger UI at /schema, used as a cooperative's programmer uses it, in headless Chromium.

The real service runs with the demo (``python -m trace serve --demo``); a producer is made
with the command line, as ``README.md`` tells an operator to. In Swagger UI the test
presses Authorize, pastes the producer's token, closes the dialog, opens the batch
registration, presses "Try it out", types a body and presses Execute: the answer shown is
201, and the batch is then read back through the API. Swagger UI is a programmer's tool
used at a desk, so this browser has a desktop's window (1280×900), not a phone's.

The screenshot of the result goes to tests/browser/screenshots/swagger-authorize.png; the
one in docs/api/ is a copy of it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as shown
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.harness import (
    CHROMIUM_FLAGS,
    ROOT,
    SCREENSHOTS,
    LiveServer,
    chromium_paths,
    transfer_entries,
)

DESK = (1280, 900)
REGISTER = "operations-batches-ApiV1BatchesRegister"
BATCH = {
    "occurred_at": "2025-11-18T06:00:00+07:00",
    "body": {
        "product": "Bưởi Diễn",
        "lot": "BD-SWAGGER-1",
        "origin": {"province": "01", "commune": "00091"},
        "quantity": {"value": "1200.5", "unit": "KGM"},
    },
}


def _producer(data_dir: Path) -> tuple[str, str]:
    """A new producer's id and token, made with ``python -m trace agency add --json``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    command = ["agency", "add", "--name", "HTX Bưởi Diễn Phú Thượng", "--kind", "producer"]
    done = subprocess.run(
        [sys.executable, "-m", "trace", *command, "--json"],
        cwd=ROOT,
        env={**env, "TRACE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    made = json.loads(done.stdout)
    return str(made["id"]), str(made["token"])


@pytest.fixture
def desk_browser() -> Iterator[WebDriver]:
    """Headless Chromium with a desktop's window, asking for Vietnamese."""
    browser_path, driver_path = chromium_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in CHROMIUM_FLAGS:
        if not flag.startswith("--window-size="):
            options.add_argument(flag)
    options.add_argument(f"--window-size={DESK[0]},{DESK[1]}")
    options.add_argument("--lang=vi")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()


def _click(driver: WebDriver, element: WebElement) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _save_region(driver: WebDriver, top: WebElement, bottom: WebElement, name: str) -> Path:
    """A screenshot of the page from ``top``'s top to ``bottom``'s bottom, full width."""
    box = driver.execute_script(
        "const a = arguments[0].getBoundingClientRect(), b = arguments[1].getBoundingClientRect();"
        "return [a.top + scrollY, b.bottom + scrollY];",
        top,
        bottom,
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": box[0] - 8,
                "width": DESK[0],
                "height": box[1] - box[0] + 16,
                "scale": 1,
            },
        },
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def test_swagger_ui_authorizes_a_producer_and_registers_a_batch_it_then_holds(
    live_server: LiveServer, desk_browser: WebDriver
) -> None:
    agency, token = _producer(live_server.data_dir)
    driver = desk_browser
    wait = WebDriverWait(driver, 30)
    driver.get(f"{live_server.url}/schema")

    authorize = wait.until(shown.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize")))
    _click(driver, authorize)
    dialog = wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
    assert "bearer" in dialog.text and "(http, Bearer)" in dialog.text
    dialog.find_element(By.ID, "auth-bearer-value").send_keys(token)
    dialog.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    wait.until(lambda _: "Logout" in dialog.text)
    dialog.find_element(By.CSS_SELECTOR, "button.btn-done").click()
    wait.until(shown.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))

    operation = driver.find_element(By.ID, REGISTER)
    _click(driver, operation.find_element(By.CSS_SELECTOR, ".opblock-summary"))
    _click(driver, wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, ".try-out__btn")))
    body = wait.until(
        lambda _: operation.find_element(By.CSS_SELECTOR, "textarea.body-param__text")
    )
    assert json.loads(body.get_attribute("value") or "")["body"]["product"] == "Bưởi Diễn"
    body.send_keys(Keys.CONTROL, "a")
    body.send_keys(Keys.DELETE)
    body.send_keys(json.dumps(BATCH, ensure_ascii=False, indent=2))
    _click(driver, operation.find_element(By.CSS_SELECTOR, "button.execute"))

    live = wait.until(
        lambda _: operation.find_element(By.CSS_SELECTOR, ".live-responses-table tbody tr")
    )
    status = live.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip()
    answer = live.find_element(By.CSS_SELECTOR, ".response-col_description pre").text
    assert status == "201", answer
    created = json.loads(answer)["batch"]
    curl = operation.find_element(By.CSS_SELECTOR, ".curl-command").text
    assert f"Authorization: Bearer {token}" in curl
    _save_region(
        driver,
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary"),
        live,
        "swagger-authorize",
    )

    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        batch = http.get(f"/api/v1/batches/{created['id']}")
    assert batch.status_code == 200, batch.text
    assert batch.json()["product"] == "Bưởi Diễn" and batch.json()["lot"] == "BD-SWAGGER-1"
    assert batch.json()["producer_id"] == agency == batch.json()["holder_id"]
    origin = urlsplit(live_server.url).netloc
    elsewhere = [
        e["name"] for e in transfer_entries(driver) if urlsplit(e["name"]).netloc != origin
    ]
    assert elsewhere == []
