"""GS1's own reading of a URL: `digital-link.js`, the library GS1 publishes on npm.

scripts/setup-system fetches it into var/test-tools/ (pinned there) and node comes with npm.
Without them the tests that need it skip, naming them, unless TRACE_REQUIRE_TOOLS=1 (CI),
which makes them fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT

REQUIRE_TOOLS = os.environ.get("TRACE_REQUIRE_TOOLS") == "1"
PACKAGE = ROOT / "var" / "test-tools" / "node_modules" / "digital-link.js"

# Reads a JSON list of URLs on stdin; for each, whether DigitalLink(url).isValid(), or the
# error the library throws while reading it.
_CHECK = """
const { DigitalLink } = require(process.argv[1]);
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const verdicts = JSON.parse(input).map((url) => {
    try {
      return { url, valid: DigitalLink(url).isValid(), error: null };
    } catch (error) {
      return { url, valid: false, error: String(error.message) };
    }
  });
  process.stdout.write(JSON.stringify(verdicts));
});
"""


@dataclass(frozen=True)
class Verdict:
    """What digital-link.js says of one URL."""

    url: str
    valid: bool
    error: str | None


def digital_link_verdicts(urls: list[str]) -> list[Verdict]:
    """GS1 digital-link.js's verdict on each of ``urls``, in order."""
    node = shutil.which("node")
    if node is None or not (PACKAGE / "src" / "index.js").is_file():
        message = (
            "node and digital-link.js are needed (bash scripts/setup-system fetches "
            "digital-link.js from the npm registry into var/test-tools)"
        )
        if REQUIRE_TOOLS:
            pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    done = subprocess.run(
        [str(node), "-e", _CHECK, str(PACKAGE)],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [Verdict(**item) for item in json.loads(done.stdout)]
