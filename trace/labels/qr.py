"""What a label's QR symbol holds, and the symbol itself.

The symbol holds the batch's public URL (``TRACE_PUBLIC_URL`` plus the GS1
Digital Link path ``/01/{gtin14}/10/{lot}[/21/{serial}]``, or ``/b/{code}``).

Size. A QR symbol encodes upper-case letters, digits and `` $%*+-./:`` in
alphanumeric mode at 5.5 bits a character, and anything else in byte mode at 8.
The host is case-insensitive (RFC 3986 §3.2.2), so it is written in capitals; the
path is case-sensitive and is kept as it is; the encoder splits the text into byte
and alphanumeric segments. The scheme is case-insensitive too, but GS1's
``digital-link.js`` reads only a lower-case one, so it is written ``https``: five
letters in a byte segment of their own, then ``://HOST/01/…`` in one alphanumeric
segment. For the demo pomelo (``https://HOST/01/08936047000128/10/BD-2026-09``, 56
characters) this is a version 3 symbol (29×29 modules), as with the scheme in
capitals; a lower-case host too would make it version 4 (33×33), and a serialised
label under a long host would no longer fit a 40 × 25 mm label at 203 dpi
(``bench/label_payload.py``; the figures and the decision are in docs/qr-payload.md).

Error correction: level M (about 15 % of the codewords can be restored). Level L
(7 %) would save one version on some URLs but leaves little for what labels on
fruit and gift boxes meet: a scuffed thermal print, a curved skin, a fold in the
film. Q and H buy resilience we do not need (there is no logo over the symbol)
at the cost of one or two versions, i.e. a larger label.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import qrcode
from qrcode import util as qrcode_util
from qrcode.constants import ERROR_CORRECT_M

from trace.domain.identifiers import DigitalLink

ERROR_CORRECTION = "M"
# ISO/IEC 18004 §6.3.8: four modules of light margin on every side.
QUIET_ZONE = 4


@dataclass(frozen=True, slots=True)
class Symbol:
    """An encoded QR symbol: its text, version (1 to 40) and rows of modules (1 = dark)."""

    text: str
    version: int
    rows: tuple[bytes, ...]

    @property
    def modules(self) -> int:
        """Modules across, without the quiet zone: 17 + 4 × version."""
        return len(self.rows)


def label_url(public_url: str, path: str) -> str:
    """The URL a label's symbol holds: the scheme in lower case (as GS1's tools read it),
    the host in capitals (alphanumeric mode), the path as it is."""
    parts = urlsplit(public_url)
    return f"{parts.scheme.lower()}://{parts.netloc.upper()}{parts.path.rstrip('/')}{path}"


def batch_path(*, code: str, gtin: str | None, lot: str, serial: str | None = None) -> str:
    """The public path of a batch, or of one serialised item of it (needs a GTIN)."""
    if gtin:
        return DigitalLink(gtin, lot, serial).path()
    if serial is not None:
        raise ValueError("a serialised label needs a GTIN: the serial goes in AI 21")
    return f"/b/{code}"


def encode(text: str) -> Symbol:
    """Encode ``text`` at error-correction level M in the smallest version that holds it.

    The symbol is the one ``qrcode`` makes (same segments, version and mask); only
    the choice of mask is computed faster (:func:`_best_mask`).
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.best_fit()
    code.makeImpl(False, _best_mask(code))
    rows = tuple(bytes(row) for row in code.modules)
    return Symbol(text, int(code.version), rows)


# --- Mask choice ---------------------------------------------------------------
#
# ISO/IEC 18004 §7.8.3 picks, of the eight data masks, the one whose symbol scores
# the fewest penalty points (long runs, 2 × 2 blocks, finder-like patterns, an
# unbalanced share of dark modules). ``qrcode`` lays the symbol out and scores it
# eight times, which is four fifths of its time. Here the data is laid out once,
# the other masks are one XOR each, and all rows (or all columns) are scored at
# once as one integer with a gap of zero bits between lines. The score is the
# library's own ``util.lost_point``, rule for rule, and the tests check that the
# chosen symbol is the library's on thousands of inputs.


@dataclass(frozen=True, slots=True)
class _Grid:
    """Per version: the packed data-module masks of the eight patterns, and line masks."""

    n: int
    stride: int
    row_masks: tuple[int, ...]
    column_masks: tuple[int, ...]
    valid1: int
    valid2: int
    valid3: int


def _pack(lines: list[list[bool]] | list[tuple[bool, ...]], stride: int) -> int:
    value = 0
    for index, line in enumerate(lines):
        bits = int("".join("1" if cell else "0" for cell in reversed(line)), 2)
        value |= bits << (index * stride)
    return value


def _line_mask(stride: int, lines: int, width: int) -> int:
    one = (1 << width) - 1
    return sum(one << (index * stride) for index in range(lines))


@cache
def _grid(version: int) -> _Grid:
    n = version * 4 + 17
    probe = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
    probe.modules_count = n
    probe.modules = [[None] * n for _ in range(n)]
    probe.setup_position_probe_pattern(0, 0)
    probe.setup_position_probe_pattern(n - 7, 0)
    probe.setup_position_probe_pattern(0, n - 7)
    probe.setup_position_adjust_pattern()
    probe.setup_timing_pattern()
    probe.setup_type_info(True, 0)
    if version >= 7:
        probe.setup_type_number(True)
    free = [[cell is None for cell in row] for row in probe.modules]
    # Eleven zero bits between lines: no pattern of the score spans two lines.
    stride = n + 11
    row_masks, column_masks = [], []
    for pattern in range(8):
        flip = qrcode_util.mask_func(pattern)
        cells = [[free[r][c] and bool(flip(r, c)) for c in range(n)] for r in range(n)]
        row_masks.append(_pack(cells, stride))
        column_masks.append(_pack(list(zip(*cells, strict=True)), stride))
    return _Grid(
        n,
        stride,
        tuple(row_masks),
        tuple(column_masks),
        _line_mask(stride, n, n - 1),
        _line_mask(stride, n - 1, n - 1),
        _line_mask(stride, n, n - 10),
    )


def _runs_and_patterns(lines: int, grid: _Grid) -> int:
    """Penalty rules 1 and 3 of ``qrcode.util.lost_point`` over every packed line."""
    full = (1 << (grid.n * grid.stride)) - 1
    same = ~(lines ^ (lines >> 1)) & grid.valid1
    five = same & (same >> 1) & (same >> 2) & (same >> 3)
    # A run of L ≥ 5 scores L - 2: its L - 4 windows of five, plus 2.
    score = five.bit_count() + 2 * (five & ~(five << 1)).bit_count()
    light = ~lines & full
    s = [lines >> j for j in range(11)]
    d = [light >> j for j in range(11)]
    core = d[1] & s[4] & d[5] & s[6] & d[9]
    first = s[0] & s[2] & s[3] & d[7] & d[8] & d[10]
    second = d[0] & d[2] & d[3] & s[7] & s[8] & s[10]
    found = core & (first | second) & grid.valid3
    return score + 40 * found.bit_count()


def _best_mask(code: qrcode.QRCode) -> int:
    """The mask ``qrcode`` would choose for ``code`` (whose version is set), found faster."""
    grid = _grid(code.version)
    code.makeImpl(True, 0)
    rows = _pack(code.modules, grid.stride) ^ grid.row_masks[0]
    columns = _pack(list(zip(*code.modules, strict=True)), grid.stride) ^ grid.column_masks[0]
    best, best_score = 0, -1
    total = grid.n * grid.n
    for pattern in range(8):
        r = rows ^ grid.row_masks[pattern]
        c = columns ^ grid.column_masks[pattern]
        score = _runs_and_patterns(r, grid) + _runs_and_patterns(c, grid)
        same = ~(r ^ (r >> 1))
        blocks = same & (same >> grid.stride) & ~(r ^ (r >> grid.stride)) & grid.valid2
        score += 3 * blocks.bit_count()
        # Rule 4 exactly as the library computes it, in floating point.
        percent = float(r.bit_count()) / total
        score += int(abs(percent * 100 - 50) / 5) * 10
        if pattern == 0 or score < best_score:
            best, best_score = pattern, score
    return best
