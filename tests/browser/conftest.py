"""Fixtures for the page tests: the service running once per session, a phone's browser per test.

``live_server``: ``python -m trace serve --demo`` as a person starts it, with its own data
folder; ``.url``, ``.data_dir``, ``.database_url`` (the embedded SQLite file, for tests that
tamper with rows), ``.demo_lines`` and ``.batches`` (each batch's public page).

``browser``: a fresh headless Chromium at 390×844 asking for Vietnamese; ``chromium(lang)``
starts more (e.g. ``chromium("en")``). Helpers in ``tests.browser.harness``: ``screenshot``
(into tests/browser/screenshots/), ``axe_audit``, ``transfer_bytes``, ``set_language``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import ROOT, SCREENSHOTS, LiveServer, new_chromium, running_server

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

_taken_before = {path.name: path.stat().st_mtime for path in SCREENSHOTS.glob("*.png")}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("live-server")) as server:
        yield server


@pytest.fixture
def chromium() -> Iterator[Callable[..., WebDriver]]:
    """Starts browsers at phone size (``lang`` as argument, default ``"vi"``); quits them after."""
    started: list[WebDriver] = []

    def start(lang: str = "vi") -> WebDriver:
        driver = new_chromium(lang)
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.quit()


@pytest.fixture
def browser(chromium: Callable[..., WebDriver]) -> WebDriver:
    """A fresh headless Chromium, 390×844 CSS pixels, asking for Vietnamese."""
    return chromium()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where this run's screenshots are, so that someone looks at them."""
    taken = [
        path
        for path in SCREENSHOTS.glob("*.png")
        if _taken_before.get(path.name) != path.stat().st_mtime
    ]
    if taken:
        terminalreporter.write_line(
            f"{len(taken)} screenshots of pages in {SCREENSHOTS.relative_to(ROOT)}/"
        )
