"""The style gates STYLE.md asks for run with the tests: ruff (lint, format), mypy --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint_is_clean() -> None:
    done = _run("ruff", "check", "trace", "tests", "migrations", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = _run("ruff", "format", "--check", "trace", "tests", "migrations", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_whole_package_is_mypy_strict_clean() -> None:
    done = _run("mypy", "--strict", "trace")
    assert done.returncode == 0, done.stdout + done.stderr


def test_domain_imports_nothing_else_of_ours() -> None:
    for path in (ROOT / "trace" / "domain").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("from trace", "import trace")):
                assert line.startswith("from trace.domain"), f"{path.name}: {line}"


def test_no_machine_paths_in_the_project() -> None:
    git = shutil.which("git")
    if git is None:
        return
    done = subprocess.run(
        [git, "grep", "-nE", "/(work|root)/", "--", ".", ":!tests/test_code_quality.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout == "", done.stdout


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = readme.split("# 2.", 1)[1].splitlines()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI adds only pip's -q, to keep its log readable.
    assert command in ci.replace("pip install -q ", "pip install ")
