"""`python -m trace inspect` against the real service, as an inspector runs it from a shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
import urllib.request
from collections.abc import Iterator
from typing import Any

import pypdfium2
import pytest

from tests.browser.harness import LiveServer, free_port, running_server
from tests.conftest import ROOT
from trace.domain.bundle import verify_bundle
from trace.domain.note import parse_verifier_key


def cli(*args: str, server: LiveServer, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m trace ARGS`` with the server's data folder and ``env`` (TRACE_* only)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    return subprocess.run(
        [sys.executable, "-m", "trace", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**base, "TRACE_DATA_DIR": str(server.data_dir), "LANG": "C.UTF-8", **env},
        timeout=120,
    )


def api(server: LiveServer, path: str, token: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        server.url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


class Inspector:
    """The demo's service and the tokens this test made for it."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        agencies = [
            json.loads(line)
            for line in cli("agency", "list", "--json", server=server).stdout.splitlines()
        ]
        ids = {a["kind"]: a["id"] for a in agencies}
        made = cli("token", "add", ids["operator"], "--person", "Vận hành viên", server=server)
        assert made.returncode == 0, made.stderr
        self.operator = made.stdout.strip()
        self.token = api(
            server,
            f"/api/v1/agencies/{ids['authority']}/tokens",
            self.operator,
            {"person": "Thanh tra Phạm Thu Hà", "scopes": ["inspect"]},
        )["token"]
        producer = cli("token", "add", ids["producer"], "--person", "Nông dân", server=server)
        self.producer = producer.stdout.strip()

    def run(self, *args: str, lang: str = "vi", **env: str) -> subprocess.CompletedProcess[str]:
        """``inspect ARGS`` against the server with the inspector's token in TRACE_TOKEN."""
        settings = {
            "TRACE_PUBLIC_URL": self.server.url,
            "TRACE_TOKEN": self.token,
            "TRACE_LANG": lang,
            **env,
        }
        return cli("inspect", *args, server=self.server, **settings)

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspector]:
    with running_server(tmp_path_factory.mktemp("inspect") / "var") as server:
        yield Inspector(server)


def test_search_finds_the_pomelo_typed_without_diacritics_as_a_table(inspector: Inspector) -> None:
    vi = inspector.run("search", "--q", "buoi dien")
    assert vi.returncode == 0, vi.stderr
    lines = vi.stdout.splitlines()
    assert lines[0].split()[:2] == ["Mã", "lô"] and "Sản phẩm" in lines[0]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 3 and "Bưởi Diễn Phú Thượng" in lines[2] and "BD-2026-09" in lines[2]
    # The producer by name, the province by name, the day as Vietnamese writes it.
    assert "Hợp tác xã Bưởi Diễn Phú Thượng" in lines[2] and "Hà Nội" in lines[2]
    assert "Nhà sản xuất" in lines[0] and re.search(r"\b\d\d/\d\d/20\d\d\b", lines[2])
    en = inspector.run("search", "--q", unicodedata.normalize("NFD", "Bưởi"), lang="en")
    assert en.returncode == 0 and "Product" in en.stdout and "Bưởi Diễn" in en.stdout


def test_search_as_json_follows_every_page(inspector: Inspector) -> None:
    found = inspector.json("search", "--limit", "2", "--all", "--sort", "product")
    products = [b["product"] for b in found["batches"]]
    assert len(products) == 6 and found["next_cursor"] is None
    one = inspector.json("search", "--limit", "2")
    assert len(one["batches"]) == 2 and one["next_cursor"]
    table = inspector.run("search", "--limit", "2")
    # With "=": a cursor may begin with "-", which argparse would take for an option.
    assert f"--cursor={one['next_cursor']}" in table.stdout
    rest = inspector.json("search", "--limit", "10", f"--cursor={one['next_cursor']}")
    assert len(rest["batches"]) == 4
    recalled = inspector.json("search", "--disposition", "recalled")
    assert [b["product"] for b in recalled["batches"]] == ["Cải ngọt an toàn"]


def test_history_lists_every_record_and_its_proofs_verify(inspector: Inspector) -> None:
    pomelo = inspector.json("search", "--q", "buoi dien")["batches"][0]
    table = inspector.run("history", pomelo["code"])
    assert table.returncode == 0, table.stderr
    assert f"bản ghi của lô {pomelo['id']}" in table.stdout
    assert "Đăng ký lô hàng" in table.stdout and "Mã băm bản ghi" in table.stdout
    history = inspector.json("history", pomelo["code"], "--proofs")
    records = history["records"]
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    with urllib.request.urlopen(inspector.server.url + "/api/v1/log/key") as answer:
        log_key = parse_verifier_key(answer.read().decode().splitlines()[0])
    for view in records:
        verified = verify_bundle(json.dumps(view["bundle"]).encode(), log_key=log_key)
        assert verified.record.seq == view["seq"]


def test_trace_and_reach_print_the_batches_they_reach(inspector: Inspector) -> None:
    rice = inspector.json("search", "--q", "gao st25")["batches"][0]
    upstream = inspector.run("trace", rice["code"], "--direction", "upstream")
    assert upstream.returncode == 0, upstream.stderr
    rows = upstream.stdout.splitlines()[2:]
    assert sum("Thóc ST25" in row for row in rows) == 3 and rows[0].split()[0] == "0"
    graph = inspector.json("trace", rice["code"], "--direction", "upstream", "--depth", "1")
    assert sorted(b["depth"] for b in graph["batches"]) == [0, 1, 1, 1]
    greens = inspector.json("search", "--disposition", "recalled")["batches"][0]
    recall = next(
        r for r in inspector.json("history", greens["code"])["records"] if r["kind"] == "recalled"
    )
    reach = inspector.run("reach", str(recall["position"]), lang="en")
    assert reach.returncode == 0, reach.stderr
    assert "Cải ngọt an toàn" in reach.stdout and "1 provenance page now shows" in reach.stdout
    assert f"{inspector.server.url}/01/08936049000027/10/CN-2026-10-02" in reach.stdout


def test_failures_are_said_plainly_with_their_exit_status(inspector: Inspector) -> None:
    nobody = inspector.run("search", TRACE_TOKEN="")
    assert nobody.returncode == 2 and "TRACE_TOKEN" in nobody.stderr
    gone = inspector.run("search", "--url", f"http://127.0.0.1:{free_port()}", lang="en")
    assert gone.returncode == 2 and "Cannot reach the service" in gone.stderr
    odd = inspector.run("search", "--url", "file:///etc/passwd", lang="en")
    assert odd.returncode == 2 and "not an http:// or https://" in odd.stderr
    producer = inspector.run("search", "--token", inspector.producer, lang="en")
    assert producer.returncode == 1 and "HTTP 403" in producer.stderr
    assert "Only inspectors" in producer.stderr
    missing = inspector.run("history", "NO-SUCH-CODE", lang="en")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr


def test_every_cli_query_is_in_the_operators_audit_trail(inspector: Inspector) -> None:
    before = api(inspector.server, "/api/v1/audit/inspector-queries?limit=1000", inspector.operator)
    inspector.run("search", "--q", "vải")
    inspector.run("trace", "NO-SUCH-CODE")
    after = api(inspector.server, "/api/v1/audit/inspector-queries?limit=1000", inspector.operator)
    new = after["entries"][len(before["entries"]) :]
    assert [(e["path"], e["person"]) for e in new] == [
        ("/api/v1/batches", "Thanh tra Phạm Thu Hà"),
        ("/api/v1/batches/NO-SUCH-CODE/trace", "Thanh tra Phạm Thu Hà"),
    ]
    assert "q=v%E1%BA%A3i" in new[0]["query"]
    assert all(e["person"] == "Thanh tra Phạm Thu Hà" for e in after["entries"])


def test_help_names_the_four_queries() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trace", "inspect", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    for query in ("search", "history", "trace", "reach"):
        assert query in done.stdout


def test_a_just_recalled_paddy_is_shown_recalled_with_its_holders_in_both_languages(
    inspector: Inspector,
) -> None:
    """Done-point 3 of issue 16: `recall`, then `reach`, `recalls` and `history` in words."""
    server = inspector.server
    agencies = cli("agency", "list", "--json", server=server).stdout.splitlines()
    authority = next(a for a in map(json.loads, agencies) if a["kind"] == "authority")
    officer = api(
        server,
        f"/api/v1/agencies/{authority['id']}/tokens",
        inspector.operator,
        {"person": "Thanh tra Phạm Thu Hà", "scopes": ["inspect", "recall"]},
    )["token"]
    as_officer = {"TRACE_PUBLIC_URL": server.url, "TRACE_TOKEN": officer}
    paddy = inspector.json("search", "--q", "thoc st25", "--sort", "product")["batches"][0]
    decision = "125/QĐ-CCQLCL"
    made = cli(
        "recall",
        paddy["code"],
        "--reason",
        "Vượt giới hạn cadimi",
        "--severity",
        "class_1",
        "--decision-number",
        decision,
        server=server,
        TRACE_LANG="en",
        **as_officer,
    )
    assert made.returncode == 0, made.stderr
    assert "Class 1: may cause serious harm" in made.stdout and decision in made.stdout
    # An inspector's token that may not recall is refused by the service, in words.
    refused = cli(
        "recall",
        paddy["code"],
        "--reason",
        "Thử",
        "--severity",
        "class_3",
        server=server,
        TRACE_LANG="en",
        TRACE_PUBLIC_URL=server.url,
        TRACE_TOKEN=inspector.token,
    )
    assert refused.returncode == 1 and "HTTP 403" in refused.stderr, refused.stderr
    recall_id = made.stdout.split()[1]
    reach = inspector.json("reach", recall_id)
    assert [b["recalled"] for b in reach["batches"]] == [True] * len(reach["batches"])
    assert reach["batches"][0]["code"] == paddy["code"] and len(reach["batches"]) >= 2
    holders = {b["holder"]["shown"] for b in reach["batches"]}
    for lang, recalled_word, depth_word in (
        ("vi", "bị thu hồi", "Bậc"),
        ("en", "recalled", "Depth"),
    ):
        table = inspector.run("reach", recall_id, lang=lang)
        assert table.returncode == 0, table.stderr
        lines = table.stdout.splitlines()
        assert lines[1].split()[0] == depth_word
        rows = {line.split()[1]: line for line in lines[3 : 3 + len(reach["batches"])]}
        assert set(rows) == {b["code"] for b in reach["batches"]}
        assert all(row.rstrip().endswith(recalled_word) for row in rows.values()), rows
        assert all(holder in table.stdout for holder in holders)
    assert "Gạo ST25 Hưng Yên" in table.stdout
    spreadsheet = inspector.run("reach", recall_id, "--csv", lang="en")
    assert spreadsheet.stdout.startswith("\ufeffDepth,Code,")
    assert paddy["code"] in spreadsheet.stdout and ",yes," in spreadsheet.stdout
    document = server.data_dir / "reach.pdf"
    printed = inspector.run("reach", recall_id, "--pdf", str(document))
    assert printed.returncode == 0 and str(document) in printed.stdout, printed.stderr
    pdf = pypdfium2.PdfDocument(document.read_bytes())
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    pdf.close()
    assert decision in text and "Cấp 1: có thể gây hại nghiêm trọng" in text
    assert all(b["code"] in text for b in reach["batches"])
    listed = cli("recalls", "--severity", "class_1", server=server, TRACE_LANG="vi", **as_officer)
    assert listed.returncode == 0, listed.stderr
    assert decision in listed.stdout and "Cấp 1: có thể gây hại nghiêm trọng" in listed.stdout
    assert "Chi cục Quản lý" in listed.stdout and paddy["code"] in listed.stdout
    assert "đã ban hành" in listed.stdout  # the recall's state, in words
    for lang, words in (
        ("vi", ("Đăng ký lô hàng", "Tên sản phẩm: Thóc ST25", "Thu hồi", "Lý do", "3.000 kg")),
        ("en", ("Batch registered", "Product name: Thóc ST25", "Recalled", "Reason", "3,000 kg")),
    ):
        history = inspector.run("history", paddy["code"], lang=lang)
        assert history.returncode == 0, history.stderr
        assert all(word in history.stdout for word in words), (lang, history.stdout)
        assert "Công ty Cổ phần Lương thực Hưng Yên" in history.stdout
        assert authority["name"] in history.stdout
        # The household that grew the paddy is named by its commune and province only.
        assert "Hộ " not in history.stdout and "Hưng Yên" in history.stdout
        assert not {"harvested", "shipped", "recalled", "class_1"} & set(history.stdout.split())
        assert "Xã Tiên Lữ, Hưng Yên" in history.stdout
        assert f"Thóc ST25, {'số lô' if lang == 'vi' else 'lot'} THOC-" in history.stdout
