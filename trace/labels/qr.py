"""What a label's QR symbol holds, and the symbol itself.

The symbol holds the batch's public URL (``TRACE_PUBLIC_URL`` plus the GS1
Digital Link path ``/01/{gtin14}/10/{lot}[/21/{serial}]``, or ``/b/{code}``).

Size. A QR symbol encodes upper-case letters, digits and `` $%*+-./:`` in
alphanumeric mode at 5.5 bits a character, and anything else in byte mode at 8.
The scheme and host are case-insensitive (RFC 3986 §3.1 and §3.2.2), so they are
written in upper case; the path is case-sensitive and is kept as it is, and the
encoder splits the text into alphanumeric and byte segments. For the demo pomelo
(``HTTPS://HOST/01/08936047000128/10/BD-2026-09``, 56 characters) this gives a
version 3 symbol (29×29 modules) instead of version 4 (33×33) in byte mode; with
a serial (73 characters) version 4 instead of version 5 (`bench/labels.py`
prints the versions).

Error correction: level M (about 15 % of the codewords can be restored). Level L
(7 %) would save one version on some URLs but leaves little for what labels on
fruit and gift boxes meet: a scuffed thermal print, a curved skin, a fold in the
film. Q and H buy resilience we do not need (there is no logo over the symbol)
at the cost of one or two versions, i.e. a larger label.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import qrcode
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
    """The URL a label's symbol holds: scheme and host in upper case, the path as it is."""
    parts = urlsplit(public_url)
    origin = f"{parts.scheme}://{parts.netloc}".upper()
    return f"{origin}{parts.path.rstrip('/')}{path}"


def batch_path(*, code: str, gtin: str | None, lot: str, serial: str | None = None) -> str:
    """The public path of a batch, or of one serialised item of it (needs a GTIN)."""
    if gtin:
        return DigitalLink(gtin, lot, serial).path()
    if serial is not None:
        raise ValueError("a serialised label needs a GTIN: the serial goes in AI 21")
    return f"/b/{code}"


def encode(text: str) -> Symbol:
    """Encode ``text`` at error-correction level M in the smallest version that holds it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    rows = tuple(bytes(row) for row in code.modules)
    return Symbol(text, int(code.version), rows)
