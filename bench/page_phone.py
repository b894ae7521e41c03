"""The provenance page on a slow phone: first and largest contentful paint in Chromium.

Called by ``bench/page.py --phone`` against its running server. Each load is a fresh
headless Chromium (Debian's, driven by Selenium; no cache, no service worker) emulating a
phone: a 390 × 844 CSS-pixel screen at a pixel ratio of 2, the network throttled in the
DevTools protocol to 400 kbit/s each way with 400 ms of latency (Lighthouse's "slow 4G"
is 1.6 Mbit/s and 150 ms; this is slower) and the CPU slowed four times
(``Emulation.setCPUThrottlingRate``).

Two variants alternate in the same run, so the machine's noise falls on both:

- ``with photo``: the page as a shopper gets it, the product photo included;
- ``without photo``: the same page with every ``/photos/`` request blocked
  (``Network.setBlockedURLs``), which is the page without its photo.

Read from the page itself, by buffered ``PerformanceObserver``s once the page is loaded and
has had time to paint: first contentful paint (the ``paint`` entry) and largest contentful
paint (the last ``largest-contentful-paint`` entry), and the bytes that came over the
wire for the HTML and for the photo (resource timing ``transferSize``; headers included).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from harness import log, phone_chromium

WIDTH, HEIGHT, PIXEL_RATIO = 390, 844, 2
KBIT = 1000 / 8  # bytes a second in one kbit/s
NETWORK = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * KBIT,
    "uploadThroughput": 400 * KBIT,
}
CPU_SLOWDOWN = 4
# Time for the largest paint after load (a decoded photo paints a frame or two after it).
SETTLE_SECONDS = 1.5

_PAINTS = """
const done = arguments[arguments.length - 1];
let fcp = null, lcp = null, element = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.name === 'first-contentful-paint') fcp = entry.startTime;
  }
}).observe({type: 'paint', buffered: true});
new PerformanceObserver((list) => {
  const entries = list.getEntries();
  const last = entries[entries.length - 1];
  lcp = last.startTime;
  element = last.element ? (last.element.id || last.element.tagName) : null;
}).observe({type: 'largest-contentful-paint', buffered: true});
const navigation = performance.getEntriesByType('navigation')[0];
const photos = performance.getEntriesByType('resource').filter((r) => r.name.includes('/photos/'));
setTimeout(() => done({
  fcp: fcp,
  lcp: lcp,
  element: element,
  html: navigation.transferSize,
  photo: photos.reduce((sum, r) => sum + r.transferSize, 0),
  photos: photos.map((r) => r.name.replace(location.origin, '')),
}), arguments[0]);
"""


@dataclass(frozen=True)
class Paint:
    """One load of the page: paints in milliseconds from navigation, bytes on the wire."""

    fcp: float
    lcp: float
    element: str | None
    html: int
    photo: int
    photos: tuple[str, ...]


def load_once(url: str, *, photo: bool) -> Paint:
    """Load ``url`` once in a fresh emulated phone; ``photo=False`` blocks the photos."""
    driver = phone_chromium(WIDTH, HEIGHT, PIXEL_RATIO)
    try:
        driver.set_script_timeout(120)
        driver.set_page_load_timeout(120)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", NETWORK)
        driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        if not photo:
            driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/photos/*"]})
        driver.get(url)
        found: dict[str, Any] = driver.execute_async_script(_PAINTS, SETTLE_SECONDS * 1000)
    finally:
        driver.quit()
    if found["fcp"] is None or found["lcp"] is None:
        raise RuntimeError(f"Chromium reported no paint for {url}: {found}")
    return Paint(
        float(found["fcp"]),
        float(found["lcp"]),
        found["element"],
        int(found["html"]),
        int(found["photo"]),
        tuple(found["photos"]),
    )


def measure(url: str, runs: int) -> list[str]:
    """``runs`` loads of each variant, interleaved; a markdown table of the medians."""
    loads: dict[bool, list[Paint]] = {True: [], False: []}
    for run in range(runs):
        for photo in (True, False):
            paint = load_once(url, photo=photo)
            loads[photo].append(paint)
            log(
                f"   phone run {run + 1}/{runs} {'with' if photo else 'without'} photo:"
                f" FCP {paint.fcp:.0f} ms, LCP {paint.lcp:.0f} ms ({paint.element}),"
                f" HTML {paint.html:,} B, photo {paint.photo:,} B {list(paint.photos)}"
            )
            time.sleep(0.2)
    lines = [
        f"Phone: {WIDTH} × {HEIGHT} CSS px at {PIXEL_RATIO}×, {NETWORK['latency']} ms and"
        f" {NETWORK['downloadThroughput'] / KBIT:.0f} kbit/s each way, CPU slowed"
        f" {CPU_SLOWDOWN}×; median (range) of {runs} cold loads each.",
        "",
        "| page | first contentful paint | largest contentful paint | LCP element |"
        " HTML on the wire | photo on the wire |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for photo, name in ((True, "with photo"), (False, "without photo")):
        paints = loads[photo]
        elements = sorted({p.element or "?" for p in paints})
        lines.append(
            f"| {name} | {_spread([p.fcp for p in paints])} | {_spread([p.lcp for p in paints])}"
            f" | {', '.join(elements)} | {statistics.median(p.html for p in paints):,.0f} B"
            f" | {statistics.median(p.photo for p in paints):,.0f} B |"
        )
    return lines


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms ({min(values):,.0f}–{max(values):,.0f})"
