"""The API guide's commands (docs/api.vi.md) work as written against the demo service.

Every ``sh`` block of the guide runs, in order, as one bash script against
``python -m trace serve --demo`` (its address in place of the guide's
``http://127.0.0.1:8000``), with the project's interpreter as ``python``. The blocks
marked ``console`` are what a person runs beside them (the service itself, the generator).
The script must finish without error, and what it prints must hold what the guide shows:
each problem's ``code``, the replayed retry, the records of the batch, an intact chain and
two PDF files of labels. The guide's commands need curl and jq.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.browser.harness import ROOT, missing_tool, running_server

GUIDE = ROOT / "docs" / "api.vi.md"
GUIDE_URL = "http://127.0.0.1:8000"
_BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    """The guide's fenced blocks of ``kind`` (``sh``, ``json``...), in order, dedented."""
    text = GUIDE.read_text(encoding="utf-8")
    return [textwrap.dedent(body) for _, lang, body in _BLOCK.findall(text) if lang == kind]


def test_the_api_guide_runs_against_the_demo_service_as_written(tmp_path: Path) -> None:
    absent = [tool for tool in ("curl", "jq", "bash") if shutil.which(tool) is None]
    if absent:
        missing_tool(f"the API guide's commands need {', '.join(absent)} (Debian packages)")
    script = "set -euo pipefail\n" + "\n".join(blocks("sh"))
    base = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    with running_server(tmp_path / "service") as server:
        work = tmp_path / "work"
        work.mkdir()
        done = subprocess.run(
            ["bash", "-c", script.replace(GUIDE_URL, server.url)],
            cwd=work,
            env={
                **base,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",
                "PYTHONPATH": str(ROOT),
                "TRACE_DATA_DIR": str(server.data_dir),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    printed = done.stdout
    assert done.returncode == 0, printed + done.stderr
    shown_codes = {
        code for block in blocks("json") for code in re.findall(r'"code": "([a-z_]+)"', block)
    }
    assert shown_codes == {"version_conflict", "time_out_of_range", "invalid_body"}
    for code in shown_codes:
        assert re.search(rf'"code": ?"{code}"', printed), code
    assert re.search(r'"current": ?3,\s*"expected": ?1', printed)
    assert re.search(r"(?im)^idempotent-replayed: true", printed)
    assert re.search(r'"version": 2,\s+"seq": 2,\s+"kind": "harvested"', printed)
    kinds = re.findall(r'"seq":\d+,"kind":"(\w+)"', printed)
    assert kinds[:3] == ["registered", "harvested", "serialised"], printed
    assert re.search(r'"intact": true', printed)
    assert re.search(r'"reason": "window"', printed)
    # Every mistake of the form, as the guide shows it, word for word.
    shown = [line.strip() for block in blocks("json") for line in block.splitlines()]
    details = [line for line in shown if line.startswith('"detail": "') and "›" in line]
    assert len(details) == 2 and '"count": 3' in printed
    for line in details + [line for line in shown if line.startswith('"field": "body.')]:
        assert line in printed, line
    assert re.search(r'"phone": "0210 3999 025",\s+"address": "Xã Đoan Hùng, Phú Thọ"', printed)
    assert "25 Phú Thọ" in printed and '"name_en":"Doan Hung Commune"' in printed
    # A shopper's report, sent as the form sends it, read by the producer's token.
    assert re.search(r"(?m)^303$", printed)
    assert '"problem":"spoiled","text":"Múi bưởi bị khô, mua ở chợ Hôm"' in printed
    assert '"contact":"0912 345 678","photo":null}' in printed
    for pdf in ("tem-lo.pdf", "tem-so-seri.pdf"):
        assert (work / pdf).read_bytes().startswith(b"%PDF-"), pdf
