"""The recall's steps, a holder's notices and the shoppers' reports queue in the console,
in headless Chromium at 390×844 against the demo service (issue 16).

The authority recalls the demo's paddy through the API. The mill, which milled it and holds
the rice, signs in to the console: its home says a recall reaches its goods; the notice
names the authority, the decision, the severity in words and the rice; the mill confirms it
received it and records what it withdrew (a quantity the service refuses first, shown
beside the field). The authority's console shows that withdrawal in the reach, declares the
holders notified and closes the recall, its state in words at each step. A shopper reports
a problem from the rice's public page; the report is in the mill's queue (the rice's
producer) with the shopper's contact, and the mill marks it looked at. Every screen passes
axe-core; screenshots go to docs/console/.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from selenium.webdriver.support.ui import Select

from tests.browser.console_phone import (
    as_phone,
    no_serious_violations,
    page_errors,
    shoot,
    wait_for,
)
from tests.browser.harness import LiveServer, running_server

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

DECISION = "207/QĐ-CCQLCL"
MILL = "Công ty Cổ phần Lương thực Hưng Yên"
RICE = "Gạo ST25 Hưng Yên"
PADDY = "Thóc ST25"
POMELO = "Bưởi Diễn Phú Thượng"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("notices")) as started:
        yield started


def _token(server: LiveServer, agency: str, person: str) -> str:
    return server.cli("token", "add", agency, "--person", person).strip()


@pytest.fixture(scope="module")
def agencies(server: LiveServer) -> dict[str, str]:
    """The demo's authority and mill, each with a token made as an operator makes one."""
    listed = [
        json.loads(line) for line in server.cli("agency", "list", "--json").split("\n") if line
    ]
    authority = next(a["id"] for a in listed if a["kind"] == "authority")
    mill = next(a["id"] for a in listed if a.get("name") == MILL)
    return {
        "authority": _token(server, authority, "Thanh tra Minh"),
        "mill": _token(server, mill, "Chị Lan, thủ kho"),
    }


def _api(server: LiveServer, token: str, method: str, path: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _sign_in(driver: WebDriver, server: LiveServer, token: str, lang: str, ready: str) -> None:
    as_phone(driver)
    driver.get(f"{server.url}/console/?lang={lang}")
    wait_for(driver, "return document.body.dataset.ready && document.getElementById('token')")
    driver.find_element("id", "token").send_keys(token)
    driver.find_element("id", "device").send_keys("Điện thoại kho")
    driver.find_element("css selector", "#main form button[type=submit]").click()
    wait_for(driver, f"return document.getElementById('{ready}')")


def _rice(driver: WebDriver, selector: str) -> WebElement:
    return next(li for li in driver.find_elements("css selector", selector) if RICE in li.text)


def _report(driver: WebDriver, page: str, words: str) -> None:
    """A shopper's report from a public page, through its form (no script)."""
    driver.get(page)
    driver.get(str(driver.find_element("id", "report-problem").get_attribute("href")))
    driver.find_element("css selector", "input[value=spoiled]").click()
    driver.find_element("id", "text").send_keys(words)
    driver.find_element("id", "contact").send_keys("0912 345 678")
    driver.find_element("css selector", "form button[type=submit]").click()
    wait_for(driver, "return location.pathname.endsWith('/report/sent')")


def _recall_the_paddy(server: LiveServer, token: str) -> int:
    found = _api(server, token, "GET", "/api/v1/console/search?q=thoc+st25&limit=5")
    paddy = found["batches"][0]
    assert paddy["product"].startswith(PADDY)
    recall = _api(
        server,
        token,
        "POST",
        "/api/v1/recalls",
        {
            "batch": paddy["id"],
            "reason": "Dư lượng cadimi vượt giới hạn cho phép",
            "severity": "class_1",
            "decision_number": DECISION,
        },
    )
    return int(recall["id"])


def test_a_holder_withdraws_and_the_authority_closes_the_recall(
    server: LiveServer, agencies: dict[str, str], chromium: object
) -> None:
    recall = _recall_the_paddy(server, agencies["authority"])

    # The mill: the banner, the notice, the acknowledgement and a withdrawal.
    mill = chromium("vi")  # type: ignore[operator]
    _sign_in(mill, server, agencies["mill"], "vi", "batch-list")
    wait_for(mill, "return document.getElementById('notice-banner')")
    mill.find_element("id", "notice-banner").click()
    wait_for(mill, "return document.getElementById('notices')")
    notice = mill.find_element("id", f"notice-{recall}").text
    assert DECISION in notice and RICE in notice and "Cấp 1" in notice and "đã ban hành" in notice
    no_serious_violations(mill)
    shoot(mill, "notices-vi", width=390)
    mill.find_element("css selector", f"#notice-{recall} button.acknowledge").click()
    wait_for(mill, f"return document.querySelector('#notice-{recall} .acknowledged')")
    rice = _rice(mill, f"#notice-{recall} .reached")
    rice.find_element("css selector", ".withdrawal summary").click()
    value = rice.find_element("css selector", "input[inputmode=decimal]")
    value.send_keys("0")  # not a quantity: said beside the field, nothing sent
    rice.find_element("css selector", "button[type=submit]").click()
    wait_for(mill, "return document.querySelector('.withdrawal [aria-invalid=true]')")
    assert "lớn hơn 0" in rice.find_element("css selector", "[id$=value-error]").text
    value.clear()
    value.send_keys("120")
    note = rice.find_element("css selector", "input[type=text]:not([inputmode])")
    note.send_keys("Đã chuyển về kho Văn Lâm")
    rice.find_element("css selector", "button[type=submit]").click()
    wait_for(mill, "return document.getElementById('notice-done')")
    rice = _rice(mill, f"#notice-{recall} .reached")
    assert "120" in rice.find_element("css selector", ".withdrawn").text
    no_serious_violations(mill)
    shoot(mill, "notices-withdrawn-vi", width=390)

    # The authority: the withdrawal in the reach, then notified and closed.
    officer = chromium("en")  # type: ignore[operator]
    _sign_in(officer, server, agencies["authority"], "en", "search-form")
    officer.get(f"{server.url}/console/?lang=en#/recall/{recall}")
    wait_for(officer, "return document.getElementById('recall-steps')")
    assert "goods being withdrawn" in officer.find_element("id", "recall-state").text
    rice = _rice(officer, "#reach li")
    assert "120" in rice.text and MILL in rice.text
    assert "Withdrawn" in officer.find_element("id", "steps").text
    officer.find_element("id", "notified-note").send_keys("By telephone and official letter")
    officer.find_element("id", "notified-note-submit").click()
    wait_for(officer, "return !document.getElementById('notified-note')")
    assert "By telephone" in officer.find_element("id", "steps").text
    officer.find_element("id", "close-note-submit").click()  # no note: said beside the field
    wait_for(officer, "return !document.getElementById('close-note-error').hidden")
    no_serious_violations(officer)
    shoot(officer, "officer-recall-steps-en", width=390)
    officer.find_element("id", "close-note").send_keys("All goods withdrawn and destroyed")
    officer.find_element("id", "close-note-submit").click()
    wait_for(officer, "return !document.getElementById('recall-actions')")
    assert "closed" in officer.find_element("id", "recall-state").text
    no_serious_violations(officer)
    shoot(officer, "officer-recall-steps-closed-en", width=390)
    assert page_errors(officer) == {"violations": [], "errors": []}

    # A shopper reports a problem from the rice's page; the mill's queue has it.
    page = _rice(mill, f"#notice-{recall} .reached").find_element("css selector", "a.small-link")
    _report(mill, str(page.get_attribute("href")), "Gạo có mùi lạ, mua ở siêu thị hôm qua.")
    mill.get(f"{server.url}/console/?lang=vi#/reports")
    wait_for(mill, "return document.querySelector('#reports li.report')")
    report = mill.find_element("css selector", "#reports li.report")
    assert "0912 345 678" in report.text and "mùi lạ" in report.text and "mới" in report.text
    Select(mill.find_element("id", "report-state")).select_by_value("new")
    wait_for(mill, "return document.querySelector('#reports[data-state=new] .mark-looked_at')")
    mill.find_element("css selector", "#reports .mark-looked_at").click()
    wait_for(mill, "return document.querySelector('p#reports[data-state=new]')")  # no longer new
    Select(mill.find_element("id", "report-state")).select_by_value("looked_at")
    wait_for(mill, "return document.querySelector('#reports[data-state=looked_at] li.report')")
    assert "đã xem" in mill.find_element("css selector", "#reports li.report").text
    no_serious_violations(mill)
    shoot(mill, "reports-vi", width=390)
    assert page_errors(mill) == {"violations": [], "errors": []}


def test_an_officer_turns_a_report_into_an_inspection(
    server: LiveServer, agencies: dict[str, str], chromium: object
) -> None:
    pomelo = next(b for b in server.batches if b.product == POMELO)  # in the authority's province
    officer = chromium("en")  # type: ignore[operator]
    _report(officer, pomelo.page_url, "Múi bưởi bị khô.")
    _sign_in(officer, server, agencies["authority"], "en", "search-form")
    officer.find_element("id", "nav-reports").click()
    wait_for(officer, "return document.querySelector('#reports li.report')")
    report = next(
        li
        for li in officer.find_elements("css selector", "#reports li.report")
        if "Múi bưởi" in li.text
    )
    number = str(report.get_attribute("id")).removeprefix("report-")
    assert "0912 345 678" in report.text and "new" in report.text
    no_serious_violations(officer)
    shoot(officer, "reports-officer-en", width=390)
    report.find_element("css selector", "a.button").click()  # turn into an inspection
    wait_for(officer, "return document.getElementById('answers-report')")
    typed = {
        "o-laboratory": "Trung tâm Kiểm nghiệm Nông sản Hà Nội",
        "o-samples-0-code": "M-2026-07",
        "o-analytes-0-name": "Chlorpyrifos",
        "o-analytes-0-value": "0.01",
        "o-analytes-0-limit": "0.05",
        "o-analytes-0-unit": "mg/kg",
        "o-analytes-0-method": "TCVN 8126:2009",
    }
    for name, value in typed.items():
        officer.find_element("id", name).send_keys(value)
    Select(officer.find_element("id", "o-analytes-0-result")).select_by_value("conformant")
    Select(officer.find_element("id", "o-result")).select_by_value("conformant")
    officer.find_element("id", "officer-submit").click()
    wait_for(officer, f"return document.querySelector('#report-{number}.state-inspection')")
    linked = officer.find_element("id", f"report-{number}").text
    assert "turned into an inspection" in linked and "Inspection: record" in linked
    assert page_errors(officer) == {"violations": [], "errors": []}
