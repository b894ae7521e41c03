"""Pages as a phone shows them: the real service, driven in Debian's headless Chromium.

The service runs as a person runs it (``python -m trace serve --demo``) on a free port with
an embedded database in a temporary folder. The browser is Chromium from Debian's
``chromium`` package, driven by Selenium through Debian's ``chromedriver``
(``chromium-driver``); both are installed by ``scripts/setup-system``, and Selenium is given
the driver's path so its Selenium Manager never downloads anything. Without them the tests
that need them skip, naming the packages, unless ``TRACE_REQUIRE_TOOLS=1`` (CI), which
makes them fail.

A phone is 390×844 CSS pixels through Chromium's mobile emulation: headless Chromium
refuses windows narrower than 500 pixels, and a mobile viewport is what a phone has. A page
lays out at 390 pixels only when it declares ``<meta name="viewport"
content="width=device-width">``, as on a real phone (without it: 980).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import pytest

from trace.config import load_settings

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[2]
# Where the screenshots go, to be looked at after a run (git ignores the PNG files).
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# axe-core as scripts/setup-system fetches it from the npm registry (var/ is ignored by git).
AXE_JS = ROOT / "var" / "test-tools" / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_TOOLS = os.environ.get("TRACE_REQUIRE_TOOLS") == "1"

PHONE_WIDTH = 390
PHONE_HEIGHT = 844
# The flags the team guide names, then: no GPU in a container, the window the emulated phone
# sits in, one device pixel per CSS pixel (screenshots at 390 px), and /tmp instead of a
# container's small /dev/shm, which otherwise crashes pages that draw a lot.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    f"--window-size={PHONE_WIDTH},{PHONE_HEIGHT}",
    "--force-device-scale-factor=1",
    "--disable-dev-shm-usage",
)
_PHONE_PAGE = (
    "data:text/html;charset=utf-8,<!doctype html><meta name=viewport"
    " content='width=device-width,initial-scale=1'><title>phone</title><p>390"
)


def missing_tool(message: str) -> NoReturn:
    """Skip the test for a tool that is not installed; fail instead under TRACE_REQUIRE_TOOLS=1."""
    if REQUIRE_TOOLS:
        pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
    pytest.skip(message)


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/bin")


def chromium_paths() -> tuple[str, str]:
    """Debian's Chromium and its chromedriver, or a skip naming the missing packages."""
    browser, driver = _which("chromium"), _which("chromedriver")
    absent = [pkg for pkg, path in (("chromium", browser), ("chromium-driver", driver)) if not path]
    if absent or browser is None or driver is None:
        missing_tool(
            f"headless Chromium is not installed (Debian packages: {', '.join(absent)}; "
            "bash scripts/setup-system installs them)"
        )
    return browser, driver


# The service.


@dataclass(frozen=True)
class DemoBatch:
    """One batch of the demo as `demo` prints it: its product, public page and API address."""

    product: str
    page_url: str
    api_url: str


@dataclass
class LiveServer:
    """The running service: its address, data folder, database and what it printed."""

    url: str
    data_dir: Path
    database_url: str
    database_path: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    demo_lines: list[str] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        """``python -m trace ARGS`` on this service's data folder, as its operator runs it;
        what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "trace", *args],
            cwd=ROOT,
            env={**os.environ, "TRACE_DATA_DIR": str(self.data_dir)},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    @property
    def batches(self) -> list[DemoBatch]:
        """The demo's batches, in the order the demo printed them."""
        found: list[DemoBatch] = []
        product: str | None = None
        page: str | None = None
        for line in self.demo_lines:
            text = line.strip()
            if text.startswith(self.url + "/api/"):
                if product is not None and page is not None:
                    found.append(DemoBatch(product, page, text))
                product = page = None
            elif text.startswith(self.url + "/"):
                page = text
            elif line.startswith("  ") and text:
                product, page = text, None
        return found

    @property
    def page_urls(self) -> list[str]:
        """Every public page address the demo printed (the addresses in its QR codes)."""
        return [batch.page_url for batch in self.batches]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(json.loads(response.read()).get("status") == "ok")
    except (OSError, ValueError):
        return False


def _launch(data_dir: Path, port: int, env: dict[str, str] | None) -> subprocess.Popen[str]:
    url = f"http://127.0.0.1:{port}"
    # Only our variables: no TRACE_MASTER_KEY, so the embedded mode makes master.key, and no
    # TRACE_DATABASE_URL, so the database is the embedded SQLite file in data_dir.
    base = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "trace", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        env={
            **base,
            "PYTHONUNBUFFERED": "1",
            "TRACE_DATA_DIR": str(data_dir),
            "TRACE_PUBLIC_URL": url,
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _drain(stream: IO[str], lines: list[str]) -> None:
    """Keep the server's output (and its pipe from filling up), line by line."""
    for line in stream:
        lines.append(line)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the server and its workers
            process.wait(timeout=30)


@contextmanager
def running_server(
    data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[LiveServer]:
    """``python -m trace serve --demo`` on a free port until the block ends.

    ``env`` adds ``TRACE_*`` settings for this server. It is ready when ``/healthz`` answers
    and it has printed the line naming its address; ``demo_lines`` are the lines before that.
    """
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = _launch(data_dir, port, env)
        output: list[str] = []
        assert process.stdout is not None
        reader = threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        ready = False
        while time.monotonic() < deadline and process.poll() is None:
            if _healthy(url) and any(line.rstrip().endswith(url) for line in output):
                ready = True
                break
            time.sleep(0.2)
        if ready:
            break
        _stop(process)
        reader.join(timeout=5)
        # Another program took the free port between our look and the server's bind: again.
        if attempt < 2 and "in use" in "".join(output).lower():
            continue
        raise RuntimeError(f"the service did not start at {url}:\n{''.join(output)}")
    settings = load_settings({"TRACE_DATA_DIR": str(data_dir)})
    lines = [line.rstrip("\n") for line in output]
    # The first line ending with the bare address is the service's own (the demo's addresses
    # all have a path); the demo printed everything before it.
    serving = next(i for i, line in enumerate(lines) if line.rstrip().endswith(url))
    server = LiveServer(
        url=url,
        data_dir=data_dir,
        database_url=settings.database_url,
        database_path=data_dir / "trace.sqlite3",
        process=process,
        output=output,
        demo_lines=lines[:serving],
    )
    try:
        yield server
    finally:
        _stop(process)
        reader.join(timeout=5)


# The browser.


def new_chromium(lang: str = "vi") -> WebDriver:
    """A fresh headless Chromium at phone size (own profile, cold cache) asking for ``lang``."""
    browser_path, driver_path = chromium_paths()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        missing_tool(f"selenium is not installed (requirements-test.txt): {exc}")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in (*CHROMIUM_FLAGS, f"--lang={lang}"):
        options.add_argument(flag)
    # --lang sets the interface language; the Accept-Language header follows this preference.
    options.add_experimental_option("prefs", {"intl.accept_languages": _accept(lang)})
    options.add_experimental_option(
        "mobileEmulation",
        {
            "deviceMetrics": {
                "width": PHONE_WIDTH,
                "height": PHONE_HEIGHT,
                "pixelRatio": 1,
                "mobile": True,
                "touch": True,
            }
        },
    )
    # The driver named explicitly: Selenium then never runs Selenium Manager (no download).
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        driver.get(_PHONE_PAGE)
        width = viewport_width(driver)
        if width != PHONE_WIDTH:
            raise RuntimeError(f"the emulated phone is {width} CSS px wide, not {PHONE_WIDTH}")
    except BaseException:
        driver.quit()
        raise
    return driver


def _accept(lang: str) -> str:
    return lang if lang.startswith("en") else f"{lang},en"


def viewport_width(driver: WebDriver) -> int:
    """The layout viewport's width in CSS pixels (what media queries see)."""
    return int(driver.execute_script("return window.innerWidth"))


def set_language(driver: WebDriver, lang: str) -> None:
    """Ask for ``lang`` from the next request on: the Accept-Language header and
    ``navigator.languages`` (the interface language stays what the browser started with)."""
    agent = driver.execute_script("return navigator.userAgent")
    driver.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": _accept(lang)}
    )


def screenshot(driver: WebDriver, name: str) -> Path:
    """The whole page (not just the first screen) as a PNG in SCREENSHOTS; its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") + ".png")
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": max(size["width"], PHONE_WIDTH),
                "height": max(size["height"], 1),
                "scale": 1,
            },
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


# Measurements.

_AXE_RUN = """
const [context, options, done] = arguments;
axe.run(context || document, options || {}).then(
  (results) => done({violations: results.violations}),
  (error) => done({error: String(error)}),
);
"""


def axe_audit(
    driver: WebDriver, context: str | None = None, options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """axe-core's violations in the page as it is now, each with its ``impact``.

    Each is axe's own result: ``id``, ``impact`` (minor, moderate, serious, critical),
    ``help``, ``helpUrl``, ``tags`` and ``nodes`` (``target``, ``html``,
    ``failureSummary``). ``context`` is a CSS selector to audit only a part; ``options`` go
    to ``axe.run`` (e.g. ``{"runOnly": ["wcag2a", "wcag2aa"]}``).
    """
    if not AXE_JS.is_file():
        missing_tool(
            f"axe-core is not at {AXE_JS.relative_to(ROOT)} "
            "(bash scripts/setup-system fetches it from the npm registry)"
        )
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    result = driver.execute_async_script(_AXE_RUN, context, options)
    if "error" in result:
        raise RuntimeError(f"axe-core failed: {result['error']}")
    return list(result["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation and affected element, for an assertion's message."""
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {node['target']}"
        for v in violations
        for node in v["nodes"]
    )


_ENTRIES = """
return performance.getEntriesByType('navigation')
  .concat(performance.getEntriesByType('resource'))
  .map((e) => ({name: e.name, type: e.initiatorType || e.entryType,
                transferSize: e.transferSize, encodedBodySize: e.encodedBodySize}));
"""


def transfer_entries(driver: WebDriver) -> list[dict[str, Any]]:
    """The current page and every resource it loaded, with the bytes each cost (``bytes``).

    ``transferSize`` is what came over the network: headers plus the (compressed) body. It
    is 0 when the response came from the browser's cache and only the headers' size after a
    304, though the resource is as heavy as before; then its ``encodedBodySize`` (the body as
    sent, which the browser remembers) stands in. So the count is what a first visit costs,
    however warm this browser's cache is. Only same-origin entries are measured: a
    cross-origin resource without Timing-Allow-Origin reports 0 for both, and the public
    pages load nothing from elsewhere.
    """
    entries: list[dict[str, Any]] = driver.execute_script(_ENTRIES)
    for entry in entries:
        entry["bytes"] = max(int(entry["transferSize"]), int(entry["encodedBodySize"]))
    return entries


def transfer_bytes(driver: WebDriver) -> int:
    """Total bytes of the current page's load, the document and everything it loaded so far.

    Measure after the page has settled (``driver.get`` returns after the load event; wait
    for anything a script fetches later).
    """
    return sum(entry["bytes"] for entry in transfer_entries(driver))
