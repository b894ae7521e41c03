"""The command line as a person runs it: `python -m trace ...` from the project root."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import POSTGRES_URL, ROOT
from tests.labels.gs1 import digital_link_verdicts
from tests.labels.reading import decode_labels, pdf_pages
from trace.labels.qr import label_url
from trace.labels.templates import TEMPLATES


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with the given environment added to ours."""
    return subprocess.run(
        [sys.executable, "-m", "trace", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_help_reaches_our_cli_not_the_standard_library_trace() -> None:
    done = run("--help")
    assert done.returncode == 0, done.stderr
    for command in ("serve", "migrate", "demo", "verify", "agency", "key", "token", "sign"):
        assert command in done.stdout
    assert "sổ cái" in done.stdout and "ledger" in done.stdout
    assert "--ignore-module" not in done.stdout  # the standard library's trace has this option


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """The demo, run once for the tests of this module: its environment and its output."""
    env = {"TRACE_DATA_DIR": str(tmp_path_factory.mktemp("demo") / "var")}
    return env, run("demo", env=env)


def test_demo_is_idempotent_and_verifies(
    demo: tuple[dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    env, first = demo
    assert first.returncode == 0, first.stderr
    assert "/01/08936047000128/10/BD-2026-09" in first.stdout
    second = run("demo", env=env)
    assert second.returncode == 0 and "already present" in second.stdout
    # The console's sign-in token is new on each run (a token is shown once); the rest is
    # the same.
    tokens = [line.strip() for line in first.stdout.splitlines() if line.startswith("  trc_")]
    assert len(tokens) == 1 and "http://127.0.0.1:8000/console/" in first.stdout

    def same(out: str) -> list[str]:
        return [line for line in out.splitlines()[2:] if not line.startswith("  trc_")]

    assert same(first.stdout) == same(second.stdout)
    verified = run("verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert "Intact: 6 batches, 30 records" in verified.stdout
    assert (Path(env["TRACE_DATA_DIR"]) / "master.key").stat().st_mode & 0o777 == 0o600
    # The demo's label sheet: its path alone on the last line, a row of labels per batch.
    sheet = Path(first.stdout.splitlines()[-1])
    assert sheet.name == "demo-labels.pdf" and sheet.is_file()
    urls = [line.strip() for line in first.stdout.splitlines() if "/api/" not in line]
    pages = [
        u
        for u in urls
        if u.startswith("http://127.0.0.1:8000/") and "/21/" not in u and "/console/" not in u
    ]
    found = decode_labels(pdf_pages(sheet.read_bytes(), 300)[0], TEMPLATES["a4-3x8"], 300)
    # The host is an address: in capitals it is the same.
    assert found == [url for url in pages for _ in range(3)]


def test_gs1_digital_link_js_accepts_every_gs1_url_of_the_demo_labels(
    demo: tuple[dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    _, done = demo
    sheet = Path(done.stdout.splitlines()[-1])
    page = pdf_pages(sheet.read_bytes(), 300)[0]
    found = sorted(set(decode_labels(page, TEMPLATES["a4-3x8"], 300)))
    # Every demo lot carries a GTIN: every label on the sheet is a GS1 Digital Link.
    links = list(found)
    assert all(urlsplit(url).path.startswith("/01/") for url in links)
    # The gift boxes' serialised labels: the demo prints the page of one.
    [item] = [line.strip() for line in done.stdout.splitlines() if "/21/" in line]
    links.append(label_url("http://127.0.0.1:8000", urlsplit(item).path))
    assert len(links) == 7  # pomelo, three paddies, milled rice, vegetables, a gift box
    verdicts = digital_link_verdicts(links)
    assert [(v.url, v.valid, v.error) for v in verdicts] == [(url, True, None) for url in links]
    # What the labels held before issue 15, the scheme in capitals: digital-link.js refuses it.
    before = digital_link_verdicts([url.replace("http://", "HTTP://") for url in links])
    assert {(v.valid, v.error) for v in before} == {
        (False, "String input must contain http(s) protocol")
    }


def test_agency_add_json_prints_id_key_and_token(tmp_path: Path) -> None:
    env = {"TRACE_DATA_DIR": str(tmp_path / "var")}
    assert run("migrate", env=env).returncode == 0
    done = run("agency", "add", "--name", "HTX Rau Sạch", "--kind", "producer", "--json", env=env)
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert set(made) >= {"id", "key_id", "token"} and made["token"].startswith("trc_")


def test_agency_add_takes_a_contact_and_refuses_a_malformed_one_in_both_languages(
    tmp_path: Path,
) -> None:
    # `agency add` migrates the embedded database itself; a refused contact never opens it.
    env = {"TRACE_DATA_DIR": str(tmp_path / "var")}
    name = ("agency", "add", "--name", "HTX Bưởi", "--kind", "producer", "--json")
    refused = run(*name, "--phone", "0912-345-678", "--website", "htx.example", env=env)
    assert refused.returncode == 2 and not refused.stdout
    assert "phone phải là một số điện thoại: chữ số và dấu cách" in refused.stderr
    assert "phone must be a phone number: digits and spaces" in refused.stderr
    assert "website must be a web address that starts with http:// or https://" in refused.stderr
    assert not (tmp_path / "var" / "trace.sqlite3").exists()
    contact = ("--phone", "+84 24 3999 0412", "--address", "Phường Phú Thượng, Hà Nội")
    done = run(*name, *contact, "--website", "https://htx.example", env=env)
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)["id"]

    async def shown() -> tuple[str | None, str | None, str | None]:
        from trace.config import load_settings
        from trace.store.agencies import get_agency
        from trace.store.database import read_transaction
        from trace.store.ledger import open_ledger

        ledger = open_ledger(load_settings({**os.environ, **env}))
        try:
            async with read_transaction(ledger.engine) as conn:
                contact = (await get_agency(conn, made)).contact
            return contact.phone, contact.address, contact.website
        finally:
            await ledger.close()

    assert asyncio.run(shown()) == (
        "+84 24 3999 0412",
        "Phường Phú Thượng, Hà Nội",
        "https://htx.example",
    )


def test_an_inspector_token_from_the_cli_holds_only_its_scopes(tmp_path: Path) -> None:
    env = {"TRACE_DATA_DIR": str(tmp_path / "var")}
    assert run("migrate", env=env).returncode == 0
    done = run("agency", "add", "--name", "Chi cục", "--kind", "authority", "--json", env=env)
    authority = json.loads(done.stdout)["id"]
    made = run(
        "token", "add", authority, "--person", "Thanh tra A", "--scopes", "inspect,recall", env=env
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("trc_")

    async def scopes() -> frozenset[str]:
        from trace.config import load_settings
        from trace.store.agencies import authenticate
        from trace.store.ledger import open_ledger

        ledger = open_ledger(load_settings({**os.environ, **env}))
        try:
            return frozenset(s.value for s in (await authenticate(ledger, token)).scopes)
        finally:
            await ledger.close()

    assert asyncio.run(scopes()) == {"inspect", "recall"}
    wrong = run("token", "add", authority, "--person", "B", "--scopes", "inspect,fly", env=env)
    assert wrong.returncode == 2 and "'inspect,fly'" in wrong.stderr and "recall" in wrong.stderr
    producer = json.loads(
        run("agency", "add", "--name", "HTX", "--kind", "producer", "--json", env=env).stdout
    )["id"]
    refused = run("token", "add", producer, "--person", "C", "--scopes", "inspect", env=env)
    assert refused.returncode == 2 and "inspect" in refused.stderr


def test_serve_refuses_a_port_something_else_listens_on(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("serve", "--port", str(port), env={"TRACE_DATA_DIR": str(tmp_path / "var")})
    assert done.returncode == 2
    assert f"Cổng {port} trên 127.0.0.1" in done.stderr and f"port {port} of" in done.stderr


def test_bad_kind_is_refused_by_the_cli(tmp_path: Path) -> None:
    done = run(
        "agency", "add", "--name", "X", "--kind", "wizard", env={"TRACE_DATA_DIR": str(tmp_path)}
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_an_unmigrated_postgresql(postgres: object, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    if getattr(postgres, "error", None):
        pytest.skip(str(postgres.error))  # type: ignore[attr-defined]
    name = f"trace_unmigrated_{os.getpid()}"

    async def create(sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(
            make_url(POSTGRES_URL)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(create(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        env = {
            "TRACE_DATABASE_URL": url,
            "TRACE_DATA_DIR": str(tmp_path),
            "TRACE_MASTER_KEY": "A" * 43 + "=",
        }
        done = run("serve", "--port", str(_free_port()), env=env)
        assert done.returncode == 2
        assert "python -m trace migrate" in done.stderr
    finally:
        asyncio.run(create(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_serve_starts_migrates_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TRACE_DATA_DIR": str(tmp_path / "var")}
    server = subprocess.Popen(
        [sys.executable, "-m", "trace", "serve", "--port", str(port), "--demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None, "the server never answered"
        assert body["status"] == "ok" and body["log_size"] == 30
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in out
