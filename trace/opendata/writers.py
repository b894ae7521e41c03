"""File formats: CSV for spreadsheets, JSON Lines for programs; each file hashed as written.

CSV follows RFC 4180: fields separated by commas, quoted with ``"`` when they hold a
comma, a quote or a line break (a quote inside doubled), records ending in CRLF, a
header row first. It is UTF-8 with a byte-order mark: without it Excel reads the file
in the machine's legacy code page and Vietnamese turns to mojibake. Empty means
missing; booleans are ``true``/``false``; ``object`` and ``array`` cells are JSON.

JSON Lines (https://jsonlines.org): one JSON object per line, keys in field order,
every field present (``null`` when missing), numbers as JSON numbers. UTF-8, no BOM.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import msgspec

from trace.opendata.datasets import Dataset

BOM = "\ufeff".encode()
_CHUNK = 1 << 16
# CSV lines kept before they are encoded and written together.
_LINES = 256


class Sink:
    """A binary file that counts and hashes (SHA-256) every byte written to it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.raw.write(data)
        self.sha256.update(data)
        self.size += len(data)


class CsvWriter:
    """Rows of one dataset as RFC 4180 CSV with a BOM and a header row."""

    def __init__(self, sink: Sink, dataset: Dataset) -> None:
        self.sink = sink
        self.lines: list[str] = []
        # For the rare row with a comma, quote or line break in a cell: the csv module.
        self.spare = io.StringIO()
        self.csv = csv.writer(self.spare, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self.width = len(dataset.fields)
        # Only these columns need their value turned into text; the rest pass as they are.
        self.flags = [i for i, f in enumerate(dataset.fields) if f.type == "boolean"]
        self.json = [i for i, f in enumerate(dataset.fields) if f.type in ("object", "array")]
        sink.write(BOM)
        self._quoted_row(list(dataset.field_names))

    def write(self, row: Sequence[Any]) -> None:
        cells = [c if c.__class__ is str else ("" if c is None else str(c)) for c in row]
        for i in self.flags:
            if row[i] is not None:
                cells[i] = "true" if row[i] else "false"
        for i in self.json:
            cells[i] = ""
        line = ",".join(cells)
        # Most rows hold no comma, quote or line break: joined as they are, they are the
        # line the csv module would write, without its character-by-character pass.
        if line.count(",") == self.width - 1 and not _needs_quotes(line, ""):
            for i in self.json:
                if row[i] is not None:
                    cells[i] = _quoted(msgspec.json.encode(row[i]).decode())
            self.lines.append(",".join(cells) + "\r\n" if self.json else line + "\r\n")
        else:
            for i in self.json:
                if row[i] is not None:
                    cells[i] = msgspec.json.encode(row[i]).decode()
            self._quoted_row(cells)
        if len(self.lines) >= _LINES:
            self.flush()

    def _quoted_row(self, cells: list[str]) -> None:
        self.csv.writerow(cells)
        self.lines.append(self.spare.getvalue())
        self.spare.seek(0)
        self.spare.truncate()

    def flush(self) -> None:
        self.sink.write("".join(self.lines).encode())
        self.lines.clear()


def _needs_quotes(text: str, delimiter: str = ",") -> bool:
    # Four scans in C (memchr) cost less than one regular expression over the line.
    return '"' in text or "\n" in text or "\r" in text or (bool(delimiter) and delimiter in text)


def _quoted(text: str) -> str:
    """A cell as the csv module writes it: quoted (quotes doubled) only when it must be."""
    return '"' + text.replace('"', '""') + '"' if _needs_quotes(text) else text


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return value


class JsonLinesWriter:
    """Rows of one dataset as JSON Lines."""

    def __init__(self, sink: Sink, dataset: Dataset) -> None:
        self.sink = sink
        self.names = dataset.field_names
        self.numbers = [i for i, f in enumerate(dataset.fields) if f.type == "number"]
        self.encoder = msgspec.json.Encoder(decimal_format="number")
        self.buffer = bytearray()

    def write(self, row: Sequence[Any]) -> None:
        if self.numbers:
            cells = list(row)
            for i in self.numbers:
                cells[i] = _number(cells[i])
            row = cells
        self.encoder.encode_into(dict(zip(self.names, row, strict=True)), self.buffer, -1)
        self.buffer += b"\n"
        if len(self.buffer) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.sink.write(bytes(self.buffer))
        self.buffer.clear()


WRITERS: dict[str, type[CsvWriter] | type[JsonLinesWriter]] = {
    "csv": CsvWriter,
    "jsonl": JsonLinesWriter,
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/jsonl",
    "jsonld": "application/ld+json",
    "json": "application/json",
    "sig": "text/plain",
    "md": "text/markdown",
}
