"""A shopper reports a problem from the demo's pomelo page on a phone (issue 15).

The link at the end of the page opens the form; sent empty, it comes back with a summary of
what to fix; filled in, with a photo straight from the camera (GPS position and all), it
lands on the thank-you page that says who receives the report. The form has no script: it
works as the browser sends it. Screenshots: tests/browser/screenshots/report-*.png.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.harness import LiveServer, axe_audit, format_violations, screenshot

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

POMELO = "Bưởi Diễn Phú Thượng"
GPS_IFD = 0x8825


def camera_photo(path: Path) -> Path:
    """A photo as a phone's camera saves it: with where it was taken."""
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (230, 180, 40)).save(out, "JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def submit(driver: WebDriver) -> None:
    before = driver.current_url
    button = driver.find_element(By.CSS_SELECTOR, "form button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    WebDriverWait(driver, 10).until(
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and (d.current_url != before or d.find_elements(By.ID, "errors"))
        )
    )


def test_a_shopper_reports_a_problem_from_the_pomelo_page_on_a_phone(
    live_server: LiveServer, chromium: Callable[..., WebDriver], tmp_path: Path
) -> None:
    browser = chromium("vi")
    pomelo = next(b for b in live_server.batches if b.product == POMELO)
    browser.get(pomelo.page_url)
    link = browser.find_element(By.ID, "report-problem")
    assert link.text == "Báo cáo vấn đề"
    browser.get(str(link.get_attribute("href")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Báo cáo vấn đề"
    assert not browser.find_elements(By.TAG_NAME, "script")
    serious = [v for v in axe_audit(browser) if v["impact"] in ("serious", "critical")]
    assert not serious, format_violations(serious)
    screenshot(browser, "report-form")
    form = browser.current_url
    browser.get(f"{form}?lang=en")
    assert browser.find_element(By.TAG_NAME, "legend").text == "What is wrong?"
    screenshot(browser, "report-form-en")
    browser.get(form)

    submit(browser)  # nothing filled in
    summary = browser.find_element(By.ID, "errors").text
    assert "Hãy chọn sản phẩm có vấn đề gì." in summary and "Hãy viết vài câu" in summary
    screenshot(browser, "report-form-mistakes")

    browser.find_element(By.CSS_SELECTOR, "input[value=spoiled]").click()
    browser.find_element(By.ID, "text").send_keys("Múi bưởi bị khô, mua ở chợ Hôm hôm qua.")
    browser.find_element(By.ID, "photo").send_keys(str(camera_photo(tmp_path / "IMG_0001.jpg")))
    browser.find_element(By.ID, "contact").send_keys("0912 345 678")
    submit(browser)
    assert browser.current_url.endswith("/report/sent")
    thanks = browser.find_element(By.TAG_NAME, "main").text
    assert "Cảm ơn bạn" in thanks and "Chi cục" in thanks  # the demo's Hà Nội authority
    screenshot(browser, "report-sent")
