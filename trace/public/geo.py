"""A small map of Vietnam: the 34 provinces since 1 July 2025 as dots, the origin marked.

Each dot sits at the approximate latitude and longitude of the province's
administrative centre; Hoàng Sa and Trường Sa are marked as they are on every
map of Vietnam. The map is inline SVG, a few hundred bytes, with no request.
"""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape

# Province code: (latitude, longitude) of its administrative centre, to a tenth of a degree.
CENTRES: dict[str, tuple[float, float]] = {
    "01": (21.0, 105.9),
    "04": (22.7, 106.3),
    "08": (21.8, 105.2),
    "11": (21.4, 103.0),
    "12": (22.4, 103.5),
    "14": (21.3, 103.9),
    "15": (21.7, 104.9),
    "19": (21.6, 105.8),
    "20": (21.9, 106.8),
    "22": (21.0, 107.1),
    "24": (21.3, 106.2),
    "25": (21.3, 105.4),
    "31": (20.9, 106.7),
    "33": (20.7, 106.1),
    "37": (20.3, 106.0),
    "38": (19.8, 105.8),
    "40": (18.7, 105.7),
    "42": (18.3, 105.9),
    "44": (17.5, 106.6),
    "46": (16.5, 107.6),
    "48": (16.1, 108.2),
    "51": (15.1, 108.8),
    "52": (13.8, 109.2),
    "56": (12.2, 109.2),
    "66": (12.7, 108.0),
    "68": (11.9, 108.4),
    "75": (11.0, 106.8),
    "79": (10.8, 106.7),
    "80": (10.5, 106.4),
    "82": (10.4, 106.4),
    "86": (10.3, 106.0),
    "91": (10.0, 105.1),
    "92": (10.0, 105.8),
    "96": (9.2, 105.2),
}
ARCHIPELAGOS = (("Hoàng Sa", 16.5, 112.0), ("Trường Sa", 10.0, 114.0))
_WEST, _NORTH, _SCALE = 102.0, 23.6, 9.0  # degrees to SVG units


def _xy(lat: float, lon: float) -> tuple[float, float]:
    return round((lon - _WEST) * _SCALE, 1), round((_NORTH - lat) * _SCALE, 1)


# The geography is fixed and a page names one of 34 provinces in two languages: each drawing
# is made once.
@functools.lru_cache(maxsize=256)
def origin_map(code: str, label: str, title: str) -> str:
    """Inline SVG with every province as a dot and ``code`` as a larger, labelled one."""
    width, height = _xy(8.4, 115.5)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="2.2"/>'
        for other, (lat, lon) in CENTRES.items()
        if other != code
        for x, y in [_xy(lat, lon)]
    )
    islands = "".join(
        f'<circle cx="{x}" cy="{y}" r="1.2"/>'
        f'<text x="{x}" y="{y - 4}" class="m-i">{escape(name)}</text>'
        for name, lat, lon in ARCHIPELAGOS
        for x, y in [_xy(lat, lon)]
    )
    mark = ""
    if code in CENTRES:
        x, y = _xy(*CENTRES[code])
        anchor = "end" if x > width / 2 else "start"
        dx = -8 if anchor == "end" else 8
        mark = (
            f'<circle cx="{x}" cy="{y}" r="6" class="m-o"/>'
            f'<text x="{x + dx}" y="{y + 4}" text-anchor="{anchor}" class="m-l">'
            f"{escape(label)}</text>"
        )
    return (
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<g class="m-d">{dots}</g><g class="m-d">{islands}</g>{mark}</svg>'
    )
