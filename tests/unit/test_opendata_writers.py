"""CSV (RFC 4180, UTF-8 with a BOM) and JSON Lines as the open-data writers make them."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from trace.opendata.datasets import Dataset, Field
from trace.opendata.writers import BOM, CsvWriter, JsonLinesWriter, Sink

TABLE = Dataset(
    "sample",
    "Mẫu",
    "Sample",
    "Bảng mẫu",
    "A sample table",
    (
        Field("name", "string", "Tên", "Name"),
        Field("amount", "number", "Số lượng", "Amount"),
        Field("household", "boolean", "Hộ gia đình", "Household"),
        Field("details", "object", "Chi tiết", "Details"),
        Field("codes", "array", "Các mã", "Codes"),
    ),
    ("name",),
)
ROWS = [
    ("Bưởi Diễn, loại 1", "1200.5", False, {"lot": "BD-1"}, ["M-1", "M-2"]),
    ('Gạo "ST25"', None, True, None, []),
    ("Rau\r\nmuống", "0.000001", None, {"note": "a,b"}, None),
]


def _written(writer_type: type[CsvWriter] | type[JsonLinesWriter]) -> tuple[bytes, Sink]:
    raw = io.BytesIO()
    sink = Sink(raw)
    writer = writer_type(sink, TABLE)
    for row in ROWS:
        writer.write(row)
    writer.flush()
    return raw.getvalue(), sink


def test_csv_starts_with_a_bom_ends_records_with_crlf_and_quotes_as_rfc_4180() -> None:
    data, _ = _written(CsvWriter)
    assert data.startswith(BOM + b"name,amount,household,details,codes\r\n")
    text = data.decode("utf-8-sig")
    assert '"Bưởi Diễn, loại 1",1200.5,false,"{""lot"":""BD-1""}","[""M-1"",""M-2""]"\r\n' in text
    assert '"Gạo ""ST25""",,true,,[]\r\n' in text
    assert '"Rau\r\nmuống",0.000001,,"{""note"":""a,b""}",\r\n' in text
    # Every record ends in CRLF; a bare LF appears only inside a quoted field.
    assert text.count("\r\n") == 5 and text.endswith("\r\n")


def test_csv_reads_back_to_the_same_cells() -> None:
    data, _ = _written(CsvWriter)
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert read[0] == ["name", "amount", "household", "details", "codes"]
    assert read[1] == ["Bưởi Diễn, loại 1", "1200.5", "false", '{"lot":"BD-1"}', '["M-1","M-2"]']
    assert read[3][0] == "Rau\r\nmuống"


def test_json_lines_hold_every_field_with_numbers_as_numbers() -> None:
    data, _ = _written(JsonLinesWriter)
    assert (
        not data.startswith(BOM) and data.endswith(b"\n") and b"\r" not in data.replace(b"\\r", b"")
    )
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert list(lines[0]) == ["name", "amount", "household", "details", "codes"]
    assert lines[0]["amount"] == 1200.5 and b'"amount":1200.5,' in data
    assert lines[1] == {
        "name": 'Gạo "ST25"',
        "amount": None,
        "household": True,
        "details": None,
        "codes": [],
    }
    assert b'"amount":0.000001' in data  # exact decimal text, not 1e-06


def test_the_sink_counts_and_hashes_what_it_writes() -> None:
    data, sink = _written(CsvWriter)
    assert sink.size == len(data) and sink.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
