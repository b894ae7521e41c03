"""The console as a phone shows it: 360×640, its screenshots in docs/console/, its checks.

Shared by tests/browser/test_console.py and test_console_flow.py.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.harness import ROOT, axe_audit, format_violations

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

WIDTH, HEIGHT = 360, 640
SHOTS = ROOT / "docs" / "console"
AGENCY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

# Collects Content-Security-Policy violations and uncaught errors from the first script on.
WATCH = """
window.__violations = [];
window.__errors = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
"""

# Stands in for GET /api/v1/console/session, which another branch of issue 14 adds: the app
# is then signed in as a producer of the demo. Only that one GET is answered here.
SESSION_STUB = """
const realFetch = window.fetch;
window.fetch = (input, init) => {
  const url = new URL(String(input instanceof Request ? input.url : input), location.href);
  const method = (init && init.method) || 'GET';
  if (url.pathname === '/api/v1/console/session' && method === 'GET') {
    return Promise.resolve(new Response(JSON.stringify(%s),
      {status: 200, headers: {'Content-Type': 'application/json'}}));
  }
  return realFetch(input, init);
};
"""


def session_stub(agency_id: str = AGENCY) -> str:
    """The script that answers the session request as for a producer of ``agency_id``."""
    session = {
        "csrf": "csrf-for-tests",
        "session_id": "s1",
        "agency_id": agency_id,
        "agency_name": "HTX Bưởi Diễn",
        "agency_kind": "producer",
        "person": "Lan",
        "scopes": ["record"],
        "expires_at": "2030-01-01T00:00:00Z",
    }
    return SESSION_STUB % json.dumps(session, ensure_ascii=False)


def phone_size(driver: WebDriver) -> None:
    """A 360×640 touch screen, again: chromedriver applies its own phone (390×844, the
    harness's) at every navigation."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True},
    )


def as_phone(driver: WebDriver, *scripts: str) -> None:
    """``scripts`` run in every page before its own."""
    for source in (WATCH, *scripts):
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})


def open_console(driver: WebDriver, url: str, *, timeout: float = 20) -> None:
    """Load ``url`` afresh (not only its fragment) and wait until the app has drawn a screen."""
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script("return document.body && document.body.dataset.ready"):
            phone_size(driver)
            time.sleep(0.3)  # a screen's second request (records, communes)
            return
        time.sleep(0.1)
    raise AssertionError(f"the console did not start at {url}: {page_errors(driver)}")


def page_errors(driver: WebDriver) -> dict[str, list[str]]:
    """CSP violations and uncaught errors the page saw."""
    found = driver.execute_script(
        "return {violations: window.__violations || [], errors: window.__errors || []}"
    )
    return {"violations": list(found["violations"]), "errors": list(found["errors"])}


def console_errors(driver: WebDriver, absent: tuple[str, ...] = ()) -> list[str]:
    """The browser's SEVERE log lines, but the 404s of ``absent`` endpoints (other branches)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not any(path in entry["message"] for path in absent)
    ]


def shoot(driver: WebDriver, name: str, width: int = WIDTH) -> Path:
    """The whole screen, ``width`` CSS px wide (360 by default), as docs/console/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": width,
                "height": max(size["height"], HEIGHT),
                "scale": 1,
            },
        },
    )
    path = SHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait_for(driver: WebDriver, script: str, timeout: float = 20) -> object:
    """The first true value ``script`` returns, asked every 0.2 s; fail with the screen's text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.2)
    shown = driver.execute_script("return document.getElementById('main').innerText")
    raise AssertionError(f"not reached: {script}; {page_errors(driver)}; the screen: {shown}")


def main_text(driver: WebDriver) -> str:
    """What the screen's ``main`` says."""
    return str(driver.find_element("id", "main").text)


def no_serious_violations(driver: WebDriver) -> None:
    """axe finds nothing serious or critical on the screen."""
    violations = [v for v in axe_audit(driver) if v["impact"] in ("serious", "critical")]
    assert not violations, format_violations(violations)


def run_module(driver: WebDriver, body: str, *args: Any) -> Any:
    """Run ``body`` (an async function body with ``args``) in the page; its returned value."""
    script = (
        "const done = arguments[arguments.length - 1];"
        "const args = Array.from(arguments).slice(0, -1);"
        f"(async (args) => {{ {body} }})(args).then(done, (e) => done({{error: String(e)}}));"
    )
    result = driver.execute_async_script(script, *args)
    if isinstance(result, dict) and "error" in result and len(result) == 1:
        raise AssertionError(result["error"])
    return result
