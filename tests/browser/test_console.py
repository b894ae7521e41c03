"""The console at /console/ on a 360×640 phone: served under a strict CSP, in Vietnamese and
English, accessible, signing byte for byte as the ledger does, and opening offline.

The session endpoints are another branch's (issue 14): here the app's one request for the
current session is answered in the page (tests/browser/console_phone.py, ``session_stub``),
and the 404s of the endpoints this branch lacks are the only browser errors allowed.
The full flow against those endpoints is tests/browser/test_console_flow.py.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import time
import unicodedata
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tests.browser.console_phone import (
    as_phone,
    console_errors,
    open_console,
    page_errors,
    phone_size,
    run_module,
    session_stub,
    shoot,
)
from tests.browser.harness import LiveServer, axe_audit, format_violations
from trace.domain.canonical import canonical_bytes
from trace.domain.statement import key_id, parse_statement, statement_hash, verify_signature

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

# Endpoints another branch adds (404 here), and the label preview, which needs the session
# cookie that branch makes every /api/v1 route accept (401 here).
ABSENT = (
    "/api/v1/console/session",
    "/api/v1/console/device-keys",
    "/api/v1/records/bulk",
    "/labels?template=",
    # The contact screen reads the agency, which needs the cookie the stub session lacks.
    "/api/v1/agencies/",
    # So does the home screen's look for recall notices reaching the agency's goods.
    "/api/v1/recalls/notices",
)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def _words(server: LiveServer, lang: str) -> dict[str, Any]:
    _, _, html = _get(f"{server.url}/console/?lang={lang}")
    text = html.decode()
    start = text.index('id="words">') + len('id="words">')
    return dict(json.loads(text[start : text.index("</script>", start)]))


def _texts(words: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for value in words.values():
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            found |= {v for v in value.values() if isinstance(v, str)}
        elif isinstance(value, list):
            found |= set(value)
    return found


@pytest.fixture(scope="module")
def demo_batch(live_server: LiveServer) -> dict[str, Any]:
    _, _, body = _get(live_server.batches[0].api_url)
    return dict(json.loads(body))


# 1. Serving.


def test_shell_is_served_in_the_asked_language_with_csp_etag_and_gzip(
    live_server: LiveServer,
) -> None:
    status, headers, body = _get(f"{live_server.url}/console/", {"Accept-Language": "en"})
    assert status == 200 and b'<html lang="en">' in body
    _, _, vi = _get(f"{live_server.url}/console/")
    assert b'<html lang="vi">' in vi and "Trace – Nhà sản xuất".encode() in vi
    _, _, asked = _get(f"{live_server.url}/console/?lang=vi", {"Accept-Language": "en"})
    assert b'<html lang="vi">' in asked
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe" not in csp and "default-src 'none'" in csp
    assert b'<script type="application/json" id="words">' in body
    # No inline script, style or event handler: nothing the CSP would have to allow.
    assert b"<script>" not in body and b"<style" not in body
    assert re.search(rb"<[^>]+\s(?:style|on[a-z]+)=", body) is None
    status, headers, packed = _get(
        f"{live_server.url}/console/static/forms.js", {"Accept-Encoding": "gzip"}
    )
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"renderForm" in gzip.decompress(packed)
    status, _, _ = _get(
        f"{live_server.url}/console/static/forms.js",
        {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]},
    )
    assert status == 304


def test_manifest_icons_and_worker_make_an_installable_app(live_server: LiveServer) -> None:
    _, _, body = _get(f"{live_server.url}/console/manifest.webmanifest")
    manifest = json.loads(body)
    assert manifest["name"] == "Trace – Nhà sản xuất"
    assert manifest["start_url"] == "/console/" and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        status, headers, png = _get(live_server.url + icon["src"])
        assert status == 200 and headers["content-type"] == "image/png"
        sizes.add(Image.open(io.BytesIO(png)).size)
    assert sizes == {(192, 192), (512, 512)}
    status, headers, worker = _get(f"{live_server.url}/console/sw.js")
    assert status == 200 and headers["service-worker-allowed"] == "/console/"
    assert b"__VERSION__" not in worker and b'"/console/?lang=en"' in worker
    status, _, _ = _get(f"{live_server.url}/console/static/nothing.js")
    assert status == 404


# 2. The shell in the browser.


def test_shell_loads_without_csp_violation_or_error_and_switches_language(
    live_server: LiveServer, browser: WebDriver
) -> None:
    as_phone(browser)
    open_console(browser, f"{live_server.url}/console/")
    assert browser.execute_script("return document.documentElement.lang") == "vi"
    assert browser.find_element("css selector", "h1").text == "Đăng nhập"
    assert browser.execute_script("return window.innerWidth") == 360
    shoot(browser, "sign-in-vi")
    browser.find_element("id", "lang-switch").click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if browser.execute_script("return document.body && document.body.dataset.ready"):
            break
        time.sleep(0.1)
    phone_size(browser)
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert browser.find_element("css selector", "h1").text == "Sign in"
    shoot(browser, "sign-in-en")
    assert page_errors(browser) == {"violations": [], "errors": []}
    assert console_errors(browser, ABSENT) == []


def _screens(batch_id: str) -> list[tuple[str, str]]:
    kinds = [
        "planted",
        "input_applied",
        "harvested",
        "processed",
        "packed",
        "shipped",
        "received",
        "sold",
    ]
    return [
        ("batches", "#/batches"),
        ("register", "#/new/registered"),
        ("batch", f"#/batch/{batch_id}"),
        *((f"form-{kind}", f"#/batch/{batch_id}/new/{kind}") for kind in kinds),
        ("form-corrected", f"#/batch/{batch_id}/new/corrected"),
        ("labels", f"#/batch/{batch_id}/labels"),
        ("queue", "#/queue"),
        ("devices", "#/devices"),
        ("contact", "#/contact"),
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_screen_renders_in_its_language_and_passes_axe(
    live_server: LiveServer,
    chromium: Callable[..., WebDriver],
    demo_batch: dict[str, Any],
    lang: str,
) -> None:
    driver = chromium(lang)
    as_phone(driver, session_stub(demo_batch["producer_id"]))
    other = "en" if lang == "vi" else "vi"
    mine, theirs = _texts(_words(live_server, lang)), _texts(_words(live_server, other))
    # Texts of the other language only, long enough not to be a word both share.
    foreign = {text for text in theirs - mine if len(text) >= 8}
    base = f"{live_server.url}/console/?lang={lang}"
    open_console(driver, base + "#/batch/" + demo_batch["id"])  # the batch is now known
    for name, fragment in _screens(demo_batch["id"]):
        open_console(driver, base + fragment)
        assert driver.execute_script("return document.documentElement.lang") == lang
        shown = driver.execute_script("return document.getElementById('main').innerText")
        lines = {line.strip() for line in shown.splitlines() if line.strip()}
        assert not lines & foreign, f"{name}: {lines & foreign}"
        assert "?" not in {line[-1:] for line in lines if "{" in line}, name
        violations = axe_audit(driver)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}: {format_violations(serious)}"
        small = driver.execute_script(
            "return [...document.querySelectorAll('#main button, #main .button, #main input,"
            " #main select')].filter((e) => e.offsetParent && e.type !== 'checkbox'"
            " && e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80))"
        )
        assert small == [], f"{name}: targets under 44 px: {small}"
        shoot(driver, f"{name}-{lang}")
    assert page_errors(driver) == {"violations": [], "errors": []}
    assert console_errors(driver, ABSENT) == []


def test_form_checks_gtin_and_lot_as_typed_and_summarises_before_signing(
    live_server: LiveServer, browser: WebDriver, demo_batch: dict[str, Any]
) -> None:
    as_phone(browser, session_stub(demo_batch["producer_id"]))
    open_console(browser, f"{live_server.url}/console/?lang=en#/new/registered")
    gtin = browser.find_element("id", "f-gtin")
    gtin.send_keys("08936047000129")
    error = browser.find_element("id", "f-gtin-error")
    assert error.text == "The last digit of this GTIN should be 8: check the number."
    gtin.clear()
    gtin.send_keys("08936047000128")
    assert error.text == "The GTIN's check digit is right."
    browser.find_element("id", "f-lot").send_keys("Lô 1")
    browser.find_element("css selector", "form button[type=submit]").click()
    summary = browser.find_element("css selector", ".error-summary:not([hidden])")
    assert "Enter Product." in summary.text and "A lot has 1 to 20 characters" in summary.text
    shoot(browser, "register-errors-en")
    browser.find_element("id", "f-product").send_keys("Bưởi Diễn")
    lot = browser.find_element("id", "f-lot")
    lot.clear()
    lot.send_keys("L2026-03")
    browser.find_element("id", "f-quantity").send_keys("12,5")
    browser.execute_script(
        "const p = document.getElementById('f-province'); p.value = '40';"
        "p.dispatchEvent(new Event('change'));"
    )
    # What Circular 02 asks besides: a pack larger than the batch and a standard listed
    # twice are caught as the ledger would refuse them.
    browser.find_element("id", "f-brand").send_keys("Bưởi Phú Thượng")
    browser.find_element("id", "f-pack").send_keys("20")
    standards = browser.find_element("id", "f-standards")
    standards.send_keys("VietGAP\n vietgap")
    browser.find_element("id", "f-storage").send_keys("Nơi khô ráo, thoáng mát")
    browser.find_element("css selector", "form button[type=submit]").click()
    summary = browser.find_element("css selector", ".error-summary:not([hidden])").text
    assert "One pack cannot hold more than the whole batch" in summary
    assert "vietgap is listed twice: list each standard once." in summary
    pack = browser.find_element("id", "f-pack")
    pack.clear()
    pack.send_keys("1,5")
    standards.clear()
    standards.send_keys("VietGAP\nTCVN 11041-2:2017")
    browser.find_element("css selector", "form button[type=submit]").click()
    summary = browser.find_element("id", "summary").text
    assert "Bưởi Diễn" in summary and "12.5 kg" in summary and "L2026-03" in summary
    assert "Bưởi Phú Thượng" in summary and "1.5 kg" in summary
    assert "VietGAP · TCVN 11041-2:2017" in summary and "Nơi khô ráo, thoáng mát" in summary
    shoot(browser, "register-review-en")


def test_a_refused_statement_stays_with_its_reason_and_opens_filled_in_to_correct(
    live_server: LiveServer, browser: WebDriver, demo_batch: dict[str, Any]
) -> None:
    as_phone(browser, session_stub(demo_batch["producer_id"]))
    open_console(browser, f"{live_server.url}/console/?lang=vi#/queue")
    run_module(
        browser,
        """
        const store = await import('/console/static/store.js');
        await store.put('queue', {hash: 'ab'.repeat(32), state: 'refused', kind: 'harvested',
          batch: args[0], occurred_at: '2026-03-02T07:30:00+07:00',
          signed_at: '2026-03-02T00:31:00Z',
          statement: 'e30=', signature: 'AA==', key_id: '0011223344556677',
          body: {quantity: {value: '30', unit: 'KGM'}},
          values: {occurred_at: '2026-03-02T07:30', quantity: '30', unit: 'KGM', area: 'Thửa 12'},
          problem: {status: 422, detail: 'Lượng thu hoạch phải lớn hơn 0.',
                    errors: [{field: 'body.quantity.value',
                              detail: 'Hãy nhập một số lớn hơn 0.'}]}});
        """,
        demo_batch["id"],
    )
    open_console(browser, f"{live_server.url}/console/?lang=vi#/queue")
    item = browser.find_element("css selector", "#queue li.refused")
    assert "Lượng thu hoạch phải lớn hơn 0." in item.text
    assert browser.find_element("id", "queue-count").text == "1 bản ghi bị từ chối"
    shoot(browser, "queue-refused-vi")
    item.find_element("css selector", "a.button").click()
    time.sleep(1)
    assert browser.find_element("id", "f-area").get_attribute("value") == "Thửa 12"
    assert browser.find_element("id", "f-quantity-error").text == "Hãy nhập một số lớn hơn 0."
    shoot(browser, "fix-refused-vi")


# 3. Signing in the browser, checked by the ledger's own code.

TRICKY_BODIES: list[Any] = [
    {"product": unicodedata.normalize("NFD", "Bưởi Diễn Phú Thượng"), "lot": "BD-2026/09"},
    {"\U0001f600": 1, "\uffff": 2, "z": 3, "é": 4, "\U00010000": 5, "\ue000": 6, "a": 7},
    {"note": "tab\there\nline\r\u0000\u0001\u001f\u007f \u2028\u2029 end", "q": 'say "hi" \\ /'},
    {"nested": {"b": [1, -2, 0, 9007199254740991, -9007199254740991], "a": {"y": None, "x": True}}},
    {
        unicodedata.normalize("NFD", "Tiếng Việt"): unicodedata.normalize("NFD", "Hà Nội"),
        "k": False,
    },
    {"quantity": {"value": "1200.5", "unit": "KGM"}, "emoji": "🍊🌾", "empty": "", "list": []},
]


def test_statements_signed_in_chromium_are_canonical_and_verify_in_python(
    live_server: LiveServer, browser: WebDriver
) -> None:
    as_phone(browser)
    open_console(browser, f"{live_server.url}/console/")
    signed = run_module(
        browser,
        """
        const canonical = await import('/console/static/canonical.js');
        const signing = await import('/console/static/signing.js');
        const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
        const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
        const kid = await signing.keyId(raw);
        const out = [];
        for (const body of JSON.parse(args[0])) {
          const statement = signing.statementOf({batch: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
            agency: '2b4e28ba-2fa1-11d2-883f-0016d3cca427', key: kid, kind: 'registered',
            occurredAt: '2026-03-02T07:30:00+07:00', body});
          const s = await signing.signStatement(statement, pair.privateKey);
          out.push({statement: s.statement, signature: s.signature, hash: s.hash,
                    text: canonical.canonicalText(statement)});
        }
        return {public_key: signing.toBase64(raw), key_id: kid,
                extractable: pair.privateKey.extractable, out};
        """,
        json.dumps(TRICKY_BODIES),
    )
    public = base64.b64decode(signed["public_key"])
    assert signed["key_id"] == key_id(public) and signed["extractable"] is False
    for body, made in zip(TRICKY_BODIES, signed["out"], strict=True):
        data = base64.b64decode(made["statement"])
        assert made["text"].encode() == data
        statement = parse_statement(data)  # canonical, or it raises
        expected = canonical_bytes(
            {
                "v": 1,
                "batch": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "agency": "2b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "key": signed["key_id"],
                "kind": "registered",
                "occurred_at": "2026-03-02T07:30:00+07:00",
                "nonce": statement.nonce,
                "body": body,
            }
        )
        assert data == expected
        assert len(statement.nonce) == 32 and int(statement.nonce, 16) >= 0
        digest = statement_hash(data)
        assert made["hash"] == digest.hex()
        verify_signature(public, digest, base64.b64decode(made["signature"]))


def test_floats_big_integers_and_lone_surrogates_are_refused_as_python_refuses_them(
    live_server: LiveServer, browser: WebDriver
) -> None:
    as_phone(browser)
    open_console(browser, f"{live_server.url}/console/")
    refused = run_module(
        browser,
        """
        const {canonicalText} = await import('/console/static/canonical.js');
        const tries = [{a: 1.5}, {a: 2 ** 53}, {a: '\\ud800'}, {['e\\u0301']: 1, ['\\u00e9']: 2}];
        return tries.map((t) => { try { canonicalText(t); return false; } catch (e) {
          return e.name === 'Error' || e.constructor.name === 'NotCanonical'; } });
        """,
    )
    assert refused == [True, True, True, True]


# 4. Offline.


def test_the_service_worker_opens_the_shell_and_the_signed_in_screen_offline(
    live_server: LiveServer, browser: WebDriver, demo_batch: dict[str, Any]
) -> None:
    as_phone(browser, session_stub(demo_batch["producer_id"]))
    # Opened once online: the phone now knows the batch and the worker kept its answers.
    open_console(browser, f"{live_server.url}/console/?lang=vi#/batch/{demo_batch['id']}")
    ready = run_module(
        browser,
        """
        const reg = await navigator.serviceWorker.ready;
        for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i += 1) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const names = await caches.keys();
        return {active: Boolean(reg.active),
                controlled: Boolean(navigator.serviceWorker.controller), names};
        """,
    )
    assert ready["active"] and any(name.startswith("console-shell-") for name in ready["names"])
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        open_console(browser, f"{live_server.url}/console/?lang=vi#/batches")
        assert browser.find_element("css selector", "h1").text == "Lô hàng của bạn"
        assert demo_batch["product"] in browser.find_element("id", "batch-list").text
        banner = browser.find_element("css selector", ".banner-offline").text
        assert banner.startswith("Bạn đang không có mạng.")
        assert page_errors(browser)["violations"] == []
        shoot(browser, "offline-batches-vi")
        open_console(browser, f"{live_server.url}/console/?lang=vi#/batch/{demo_batch['id']}")
        assert browser.find_element("css selector", "h1").text == demo_batch["product"]
        assert browser.find_elements("css selector", "#timeline li")
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
