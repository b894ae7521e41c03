"""`python -m trace batch|event|labels` as a producer runs them against the real service.

The service runs as a person runs it (``serve --demo``), once on its embedded SQLite file and
once on PostgreSQL; the commands run in child processes with a producer's token, as in a
shell. What the service answers is read back through its public API.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import LiveServer, free_port, running_server
from tests.conftest import REQUIRE_POSTGRES, ROOT
from tests.labels.reading import decode, pdf_pages
from trace.cli.producer import REPLAYED
from trace.domain.quantity import Unit
from trace.labels.qr import label_url
from trace.labels.runs import serials_digest
from trace.translation import say

GTIN = "8936047000128"
WHEN = "2026-09-01T07:30:00+07:00"
_lots = itertools.count(1)


@dataclass
class Site:
    """The running service, the settings its own commands need, and two tokens for it."""

    server: LiveServer
    settings: dict[str, str]
    producer: str = ""
    inspector: str = ""

    def admin(self, command: str) -> str:
        """An operator's command run against the service's database; its output."""
        done = run_cli(*shlex.split(command), env=self.settings)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def run(
        self, command: str, *more: str, lang: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """A producer's command line against the service (TRACE_URL and TRACE_TOKEN set, no
        database), in TRACE_LANG ``lang`` when one is given."""
        chosen = {"TRACE_LANG": lang} if lang else {}
        settings = {"TRACE_URL": self.server.url, "TRACE_TOKEN": self.producer, **chosen}
        return run_cli(*shlex.split(command), *more, env={**settings, **env})

    def json(self, command: str, *more: str) -> Any:
        done = self.run(command, *more, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def get(self, path: str, token: str | None = None) -> Any:
        """``GET path`` of the service's API (with ``token``, when given)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(self.server.url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def log_size(self) -> int:
        return int(self.get("/healthz")["log_size"])

    def problem(self, path: str, body: Any, token: str, lang: str) -> dict[str, Any]:
        """What the service answers to ``body`` sent by hand: its problem+json."""
        request = urllib.request.Request(
            self.server.url + path,
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept-Language": lang,
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        problem: dict[str, Any] = json.loads(refused.value.read())
        refused.value.close()
        return problem


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m trace ARGS`` with only the ``TRACE_*`` settings given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    return subprocess.run(
        [sys.executable, "-m", "trace", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**base, "LANG": "C.UTF-8", **env},
        timeout=120,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp(f"producer-{request.param}") / "var"
    data_dir.mkdir()
    settings = {"TRACE_DATA_DIR": str(data_dir)}
    database = None
    if request.param == "postgres":
        postgres = request.getfixturevalue("postgres")
        if postgres.error is not None:
            if REQUIRE_POSTGRES:
                pytest.fail(postgres.error + " (TRACE_REQUIRE_POSTGRES=1)")
            pytest.skip(postgres.error)
        database = asyncio.run(postgres.create())
        settings["TRACE_DATABASE_URL"] = database
        settings["TRACE_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        with running_server(data_dir, env=settings) as server:
            site = Site(server, settings)
            made = site.admin("agency add --name 'HTX Rau Mộc Châu' --kind producer --json")
            site.producer = json.loads(made)["token"]
            made = site.admin("agency add --name 'Chi cục QLCL' --kind authority --json")
            authority = json.loads(made)["id"]
            made = site.admin(f"token add {authority} --person 'Thanh tra' --scopes inspect")
            site.inspector = made.strip()
            yield site
    finally:
        if database is not None:
            asyncio.run(postgres.drop(database))


def new_lot() -> str:
    """A lot no other test registered (a GTIN and lot are registered once)."""
    return f"MC-{next(_lots):04d}"


def records(site: Site, code: str) -> list[dict[str, Any]]:
    page = site.get(f"/api/v1/batches/{code}/records?proofs=false&limit=500")
    found: list[dict[str, Any]] = page["records"]
    return found


def test_a_producer_registers_a_batch_records_harvest_and_packing_and_prints_a_label_run(
    site: Site, tmp_path: Path
) -> None:
    made = site.json(
        f"batch register --product 'Cải bó xôi Mộc Châu' --lot {new_lot()} --province 14"
        f" --gtin {GTIN} --quantity 1200.5 --unit KGM --production-date 2026-08-30"
        " --brand 'Rau Mộc Châu' --pack-size 0.5 --pack-unit KGM"
        " --standards 'VietGAP; TCVN 11041-2:2017' --storage 'Bảo quản lạnh 2–6 °C'"
        f" --occurred-at {WHEN}"
    )
    batch = made["batch"]
    assert made["replayed"] is False and made["record"]["seq"] == 1
    assert made["page_url"] == site.server.url + batch["public_path"]
    body = made["record"]["body"]
    assert body["quantity"] == {"value": "1200.5", "unit": "KGM"}
    assert body["pack_size"] == {"value": "0.5", "unit": "KGM"} and body["brand"] == "Rau Mộc Châu"
    assert body["standards"] == ["VietGAP", "TCVN 11041-2:2017"]
    assert body["storage"] == "Bảo quản lạnh 2–6 °C"

    harvest = site.run(
        f"event record harvested {batch['code']} --quantity 1180 --unit KGM --area MC-A1"
        " --note 'Thu hái buổi sáng'"
    )
    assert harvest.returncode == 0, harvest.stderr
    assert harvest.stdout.startswith("Đã ghi sự kiện: Thu hoạch.\n")
    assert batch["code"] in harvest.stdout and "Bản ghi số 2 của lô" in harvest.stdout
    packing = site.run(
        f"event record packed {batch['id']} --package-type 'Túi 500 g' --count 2360"
        " --quantity 1180 --unit KGM --expected-version 2",
        lang="en",
    )
    assert packing.returncode == 0, packing.stderr
    assert packing.stdout.startswith("The event is recorded: Packed.\n")
    assert "Record 3 of the batch" in packing.stdout

    history = records(site, batch["code"])
    assert [r["kind"] for r in history] == ["registered", "harvested", "packed"]
    assert history[1]["body"] == {
        "quantity": {"value": "1180", "unit": "KGM"},
        "area": "MC-A1",
        "note": "Thu hái buổi sáng",
    }
    assert history[2]["body"]["count"] == 2360 and history[2]["occurred_at"].endswith("+07:00")

    out = tmp_path / "nhan.pdf"
    printed = site.run(
        f"labels {batch['code']} --serialised --count 3 --template roll-40x25-300 --out {out}"
    )
    assert printed.returncode == 0, printed.stderr
    assert f"Đã ghi 3 nhãn vào {out}" in printed.stdout and "--idempotency-key" in printed.stderr
    (run,) = site.get(f"/api/v1/batches/{batch['code']}/label-runs", token=site.producer)
    assert run["id"] in printed.stdout and run["count"] == 3
    symbols = [decode(page) for page in pdf_pages(out.read_bytes(), 300)]
    item = label_url(site.server.url, f"{batch['public_path']}/21/")
    assert len(symbols) == 3
    assert all(len(found) == 1 and found[0].startswith(item) for found in symbols)
    serials = [found[0].removeprefix(item) for found in symbols]
    # The labels carry the run's own serials, in the order its record commits to.
    assert serials_digest(serials).hex() == run["serials_sha256"]


def test_a_registration_repeated_with_the_printed_options_gets_the_same_batch_back(
    site: Site,
) -> None:
    command = f"batch register --product 'Cải bó xôi' --lot {new_lot()} --province 14 --gtin {GTIN}"
    first = site.run(command)
    assert first.returncode == 0, first.stderr
    # Printed before the request left: what repeats it (its key, and the time chosen for it).
    said = re.search(r"--idempotency-key \S+ --occurred-at \S+", first.stderr)
    assert said, first.stderr
    size = site.log_size()

    again = site.run(f"{command} {said.group()}")
    assert again.returncode == 0, again.stderr
    # The first answer again, marked as a repeat.
    shown = again.stdout.splitlines()
    assert shown[1] == say(REPLAYED, "vi")
    assert shown[:1] + shown[2:] == first.stdout.splitlines()
    batch_id = re.search(r"id: +(\S+)", first.stdout)
    assert batch_id
    as_json = site.json(f"{command} {said.group()}")
    assert as_json["replayed"] is True and as_json["batch"]["id"] == batch_id.group(1)
    assert site.log_size() == size


def test_a_unit_the_ledger_does_not_know_is_refused_before_anything_is_sent(site: Site) -> None:
    made = site.json(f"batch register --product Chè --lot {new_lot()} --province 14")
    code = made["batch"]["code"]
    size, seen = site.log_size(), len(records(site, code))
    harvest = f"event record harvested {code} --quantity 12 --unit kg --occurred-at {WHEN}"

    refused = site.run(harvest)
    assert refused.returncode == 2 and refused.stdout == ""
    # The service's own words for the same request, then every unit it accepts.
    request = {
        "kind": "harvested",
        "occurred_at": WHEN,
        "body": {"quantity": {"value": "12", "unit": "kg"}},
    }
    problem = site.problem(f"/api/v1/batches/{code}/events", request, site.producer, "vi")
    assert problem["status"] == 422 and problem["detail"] in refused.stderr
    assert "- Số lượng › Đơn vị phải là một trong các giá trị: KGM (kg), GRM (g)," in refused.stderr
    for unit in Unit:
        assert unit.value in refused.stderr
    assert "Chưa gửi gì đến dịch vụ" in refused.stderr
    assert site.log_size() == size and len(records(site, code)) == seen

    # No round trip: with no service at all to ask, the answer is the same.
    nowhere = site.run(harvest, "--url", f"http://127.0.0.1:{free_port()}", lang="en")
    assert nowhere.returncode == 2
    assert "- Quantity › Unit must be one of: KGM (kg), GRM (g)," in nowhere.stderr


def test_a_time_outside_the_window_is_refused_locally_in_the_services_words(site: Site) -> None:
    size = site.log_size()
    early = "1969-12-31T23:00:00+07:00"
    request = {
        "occurred_at": early,
        "body": {"product": "Cải", "lot": "MC-1969", "origin": {"province": "14"}},
    }
    for lang in ("vi", "en"):
        refused = site.run(
            f"batch register --product Cải --lot MC-1969 --province 14 --occurred-at {early}",
            lang=lang,
        )
        assert refused.returncode == 2
        problem = site.problem("/api/v1/batches", request, site.producer, lang)
        assert problem["code"] == "time_out_of_range" and problem["detail"] in refused.stderr
    assert "1970-01-01" in refused.stderr and "Nothing was sent to the service" in refused.stderr
    assert site.log_size() == size


def test_an_inspectors_token_is_refused_by_the_service_in_its_words(site: Site) -> None:
    size = site.log_size()
    command = f"batch register --product Cải --lot MC-TT --province 14 --occurred-at {WHEN}"
    request = {
        "occurred_at": WHEN,
        "body": {"product": "Cải", "lot": "MC-TT", "origin": {"province": "14"}},
    }
    vi = site.run(command, TRACE_TOKEN=site.inspector)
    assert vi.returncode == 1 and vi.stdout == ""
    detail = site.problem("/api/v1/batches", request, site.inspector, "vi")["detail"]
    assert f"Dịch vụ từ chối (HTTP 403): {detail}" in vi.stderr and "quyền ghi" in detail
    en = site.run(command, lang="en", TRACE_TOKEN=site.inspector)
    assert en.returncode == 1
    detail = site.problem("/api/v1/batches", request, site.inspector, "en")["detail"]
    assert f"The service refused (HTTP 403): {detail}" in en.stderr and "'record' scope" in detail
    assert site.log_size() == size


def test_a_service_that_cannot_be_reached_is_named_with_exit_status_3(
    site: Site, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    gone = site.run(
        f"event record harvested SOME-CODE --quantity 1 --unit KGM --url {url}", lang="en"
    )
    assert gone.returncode == 3
    assert f"No answer from the service at {url}" in gone.stderr
    assert "--idempotency-key" in gone.stderr
    labels = site.run(f"labels SOME-CODE --out {tmp_path / 'nhan.pdf'} --url {url}")
    assert labels.returncode == 3 and f"Không liên lạc được dịch vụ tại {url}" in labels.stderr


def test_help_states_the_exit_statuses_in_both_languages() -> None:
    for command in (("batch", "register"), ("event", "record"), ("labels",)):
        done = run_cli(*command, "--help", env={})
        assert done.returncode == 0, done.stderr
        for words in ("Mã thoát", "Exit status", "TRACE_TOKEN", "  3  "):
            assert words in done.stdout, (command, words)
