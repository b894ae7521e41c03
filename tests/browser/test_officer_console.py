"""The officers' console in headless Chromium at 390×844, against the demo service.

An authority's officer signs in with a token made as an operator makes one (the CLI's
``token add``), finds the demo's paddy by "thoc st25" (no diacritics), opens it, recalls
it with a decision number, sees the reach with the milled rice and the mill that holds it,
and downloads the PDF: its text holds the decision number and every batch of the reach. In
English (after that recall: the second test reads it), the same screens in English: the
rice names the paddies it was milled from and says it was made from a recalled batch, an
inspection is recorded through its form (the service's refusal of one field shown beside
it, then put right), the OCOP certificate asks for its stars, and the recall is in the list,
filtered by severity. Every screen passes axe-core with no serious or critical violation;
screenshots go to docs/console/.

The service is this module's own (a recall changes what the other browser tests' shared
demo shows).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2
import pytest
from selenium.webdriver.support.ui import Select

from tests.browser.console_phone import (
    as_phone,
    main_text,
    no_serious_violations,
    page_errors,
    shoot,
    wait_for,
)
from tests.browser.harness import LiveServer, running_server

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

DECISION = "125/QĐ-CCQLCL"
MILL = "Công ty Cổ phần Lương thực Hưng Yên"
RICE = "Gạo ST25 Hưng Yên"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("officer")) as started:
        yield started


@pytest.fixture(scope="module")
def officer_token(server: LiveServer) -> str:
    """A token of the demo's authority, made with the operator's command line."""
    agencies = [
        json.loads(line) for line in server.cli("agency", "list", "--json").split("\n") if line
    ]
    authority = next(a["id"] for a in agencies if a["kind"] == "authority")
    return server.cli("token", "add", authority, "--person", "Thanh tra Minh").strip()


def _sign_in(driver: WebDriver, server: LiveServer, token: str, lang: str) -> None:
    as_phone(driver)
    driver.get(f"{server.url}/console/?lang={lang}")
    wait_for(driver, "return document.body.dataset.ready && document.getElementById('token')")
    driver.find_element("id", "token").send_keys(token)
    driver.find_element("id", "device").send_keys("Máy tính bảng thanh tra")
    driver.find_element("css selector", "#main form button[type=submit]").click()
    wait_for(driver, "return document.getElementById('search-form')")


def _search(driver: WebDriver, words: str) -> None:
    driver.find_element("id", "s-q").send_keys(words)
    driver.find_element("id", "search-submit").click()
    wait_for(driver, "return document.querySelectorAll('#found li').length")


def _inspect(driver: WebDriver) -> None:
    """Record an inspection of the open batch; the service's refusal shows beside its field."""
    driver.find_element("id", "record-inspection").click()
    wait_for(driver, "return document.getElementById('officer-form')")
    typed = {
        "o-laboratory": "Trung tâm Kiểm nghiệm Nông sản Hà Nội",
        "o-samples-0-code": "M" * 101,  # longer than a code may be: the service refuses it
        "o-analytes-0-name": "Cadimi (Cd)",
        "o-analytes-0-value": "0.01",
        "o-analytes-0-limit": "0.05",
        "o-analytes-0-unit": "mg/kg",
        "o-analytes-0-method": "TCVN 8126:2009",
    }
    for name, value in typed.items():
        driver.find_element("id", name).send_keys(value)
    Select(driver.find_element("id", "o-analytes-0-result")).select_by_value("conformant")
    Select(driver.find_element("id", "o-result")).select_by_value("conformant")
    assert "[object" not in main_text(driver) and "null" not in main_text(driver)
    driver.find_element("id", "officer-submit").click()
    wait_for(driver, "return !document.getElementById('o-samples-0-code-error').hidden")
    assert "100" in driver.find_element("id", "o-samples-0-code-error").text
    no_serious_violations(driver)
    code = driver.find_element("id", "o-samples-0-code")
    code.clear()
    code.send_keys("M-2026-01")
    driver.find_element("id", "officer-submit").click()
    wait_for(driver, "return document.querySelector('#history .kind-inspected')")
    inspected = driver.find_elements("css selector", "#history .kind-inspected")[-1].text
    assert "Trung tâm Kiểm nghiệm Nông sản Hà Nội" in inspected and "M-2026-01" in inspected


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_an_officer_finds_recalls_and_files_the_reach(
    server: LiveServer, officer_token: str, chromium: object, tmp_path: Path
) -> None:
    driver = chromium("vi")  # type: ignore[operator]
    _sign_in(driver, server, officer_token, "vi")
    assert driver.find_element("css selector", ".brand").text == "Trace – Thanh tra"
    _search(driver, "thoc st25")
    found = driver.find_elements("css selector", "#found li.found")
    assert len(found) == 3 and all("Thóc ST25" in li.text for li in found)
    assert "Hưng Yên" in found[0].text and "Xã " in found[0].text  # names, not codes
    no_serious_violations(driver)
    shoot(driver, "officer-search-vi", width=390)

    driver.find_element("css selector", "#found a.card").click()
    wait_for(driver, "return document.getElementById('history')")
    wait_for(driver, "return document.querySelector('#genealogy figure')")
    text = main_text(driver)
    assert "Toàn vẹn" in driver.find_element("id", "verdict").text
    assert "Đăng ký lô hàng" in text and "(UTC+7)" in text and "3.000 kg" in text
    links = driver.find_elements("css selector", "#genealogy .links a")
    assert len(links) >= 2  # the paddy and the rice milled from it, each a link
    no_serious_violations(driver)
    shoot(driver, "officer-batch-vi", width=390)

    driver.find_element("id", "recall").click()
    wait_for(driver, "return document.getElementById('officer-form')")
    driver.find_element("id", "officer-submit").click()  # empty: each field says what to do
    wait_for(driver, "return !document.querySelector('#officer-form .error-summary').hidden")
    assert driver.find_element("id", "o-decision_number-error").is_displayed()
    assert driver.find_element("id", "o-severity-error").is_displayed()
    meanings = driver.find_element("css selector", ".severities").text
    assert "Cấp 1" in meanings and "tử vong" in meanings  # each class with what it means
    driver.find_element("id", "o-decision_number").send_keys(DECISION)
    driver.find_element("id", "o-reason").send_keys("Dư lượng cadimi vượt giới hạn cho phép")
    driver.find_element("id", "severity-class_1").click()
    no_serious_violations(driver)
    shoot(driver, "officer-recall-vi", width=390)
    driver.find_element("id", "officer-submit").click()
    wait_for(driver, "return document.getElementById('reach')")
    reached = driver.find_elements("css selector", "#reach li")
    rice = next(li for li in reached if RICE in li.text)
    assert MILL in rice.text and "thu hồi" in rice.text.lower()
    assert DECISION in driver.find_element("id", "recall-facts").text
    codes = [str(li.get_attribute("data-code")) for li in reached]
    no_serious_violations(driver)
    shoot(driver, "officer-reach-vi", width=390)

    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    driver.find_element("id", "download-pdf").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(tmp_path.glob("*.pdf")):
        time.sleep(0.2)
    document = next(tmp_path.glob("*.pdf"))
    time.sleep(0.5)  # the download's last bytes
    text = _pdf_text(document.read_bytes())
    assert DECISION in text
    assert all(code in text for code in codes) and len(codes) == 2
    assert page_errors(driver) == {"violations": [], "errors": []}


def test_the_screens_speak_english_and_list_the_recall(
    server: LiveServer, officer_token: str, chromium: object
) -> None:
    driver = chromium("en")  # type: ignore[operator]
    _sign_in(driver, server, officer_token, "en")
    assert driver.find_element("css selector", ".brand").text == "Trace – Inspectors"
    assert "Find batches" in main_text(driver)
    driver.find_element("css selector", ".more-filters summary").click()
    Select(driver.find_element("id", "s-province")).select_by_visible_text("Hung Yen Province")
    _search(driver, "gao st25")
    assert "province=33" in driver.current_url  # the province chosen by name
    no_serious_violations(driver)
    shoot(driver, "officer-search-en", width=390)
    driver.find_element("css selector", "#found a.card").click()
    wait_for(driver, "return document.querySelector('#genealogy figure')")
    text = main_text(driver)
    assert "Intact" in text and "Made from other batches" in text and "Milling" in text
    assert "Thóc ST25 · " in text  # the milled paddies by name and code, not by id
    assert "Signed by Công ty Cổ phần Lương thực Hưng Yên" in text
    # The rice was milled from the paddy recalled in Vietnamese: the recall reaches it.
    assert "made from a recalled batch" in driver.find_element("id", "recalled-upstream").text
    no_serious_violations(driver)
    shoot(driver, "officer-batch-en", width=390)
    driver.get(f"{server.url}/console/?lang=en#/search?q=buoi")
    wait_for(driver, "return document.querySelector('#found a.card')")
    driver.find_element("css selector", "#found a.card").click()
    wait_for(driver, "return document.getElementById('record-inspection')")
    _inspect(driver)

    driver.find_element("id", "record-certificate").click()
    wait_for(driver, "return document.getElementById('officer-form')")
    assert not driver.find_elements("id", "o-stars")
    Select(driver.find_element("id", "o-scheme")).select_by_value("ocop")
    wait_for(driver, "return document.getElementById('o-stars')")  # OCOP asks for its stars
    assert "36 months" in main_text(driver) and "null" not in main_text(driver)
    no_serious_violations(driver)
    driver.back()
    wait_for(driver, "return document.getElementById('recall')")
    driver.find_element("id", "recall").click()
    wait_for(driver, "return document.getElementById('officer-form')")
    assert "Class 1: may cause serious harm" in main_text(driver)
    no_serious_violations(driver)
    shoot(driver, "officer-recall-en", width=390)

    driver.get(f"{server.url}/console/?lang=en#/recalls")
    wait_for(driver, "return document.querySelector('#recall-list a.card')")
    assert DECISION in driver.find_element("id", "recall-list").text
    Select(driver.find_element("id", "r-severity")).select_by_value("class_2")
    driver.find_element("id", "recall-filter").click()
    wait_for(driver, "return document.querySelector('#recall-list .empty')")
    assert "severity=class_2" in driver.current_url
    driver.back()
    wait_for(driver, "return document.querySelector('#recall-list a.card')")
    driver.find_element("css selector", "#recall-list a.card").click()
    wait_for(driver, "return document.getElementById('reach')")
    assert MILL in driver.find_element("id", "reach").text
    assert "Class 1" in driver.find_element("id", "recall-facts").text
    no_serious_violations(driver)
    shoot(driver, "officer-reach-en", width=390)
    assert page_errors(driver) == {"violations": [], "errors": []}
