// The console: sign in, the batches this phone knows, one batch, the forms, the queue and
// labels. Screens are chosen by the address's fragment (#/batches, #/batch/ID, ...), so the
// back button works and the shell, cached by the service worker, opens offline.

import { call, fieldErrors, session, Unreachable } from "./api.js";
import { h, moment, show, t, tn, words } from "./dom.js";
import { FORMS, renderForm, summaryOf } from "./forms.js";
import { deviceKey, ed25519Supported, fromBase64, newUuid, sha256, signStatement, statementOf, toBase64, toHex } from "./signing.js";
import * as store from "./store.js";
import { drain, enqueue, waiting } from "./sync.js";
import { canonicalBytes } from "./canonical.js";
import { localNow, PHONE, textOk, WEBSITE, withOffset } from "./checks.js";
import { isOfficer, officerRoute } from "./officer.js";
import { noticeBanner, noticesScreen } from "./notices.js";
import { reportsScreen } from "./reports.js";

const lang = document.documentElement.lang || "vi";
session.lang = lang;
const state = { me: null, canSign: false, provinces: null, drafts: {} };
const status = document.getElementById("status");

// The session: the service's answer when it can be asked, else the one kept on the phone.
async function loadSession() {
  try {
    const answer = await call("GET", "/api/v1/console/session");
    if (answer.ok) {
      await store.put("meta", { id: "session", ...answer.data });
      return answer.data;
    }
    if (answer.status === 401 || answer.status === 404) {
      await store.remove("meta", "session");
      return null;
    }
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
  const kept = await store.get("meta", "session");
  return kept || null;
}

function adopt(me) {
  state.me = me;
  session.csrf = me ? me.csrf : null;
  // An officer's console is named for them; a producer's keeps the shell's name.
  const officer = isOfficer(me);
  document.body.classList.toggle("officer", officer);
  document.querySelector(".brand").textContent = t(officer ? "officer_app_name" : "app_name");
}

async function registerDeviceKey() {
  // Officers' records are signed by the service with their agency's key.
  if (!state.me || !state.canSign || isOfficer(state.me)) return null;
  const key = await deviceKey(state.me.agency_id);
  if (key.keyId) return key;
  try {
    const answer = await call("POST", "/api/v1/console/device-keys", {
      json: { public_key: toBase64(key.publicRaw), device_name: state.me.device || navigator.userAgent.slice(0, 60) },
    });
    if (answer.ok) {
      const registered = { ...key, keyId: answer.data.key_id };
      await store.put("keys", registered);
      return registered;
    }
    banner("key", t("key_failed", { detail: (answer.problem && answer.problem.detail) || answer.status }), "alert");
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
  return null;
}

// The lines above every screen: offline, no Ed25519, what waits to be sent.
const banners = {};
function banner(name, text, role = "status") {
  if (!text) {
    if (banners[name]) banners[name].remove();
    delete banners[name];
    return;
  }
  if (!banners[name]) {
    banners[name] = h("p", { class: `banner banner-${name}` });
    status.append(banners[name]);
  }
  banners[name].setAttribute("role", role);
  banners[name].textContent = text;
}

async function refreshQueueBanner() {
  const entries = await waiting();
  const refused = entries.filter((e) => e.state === "refused").length;
  const pending = entries.length - refused;
  if (!banners.queue) {
    banners.queue = h("a", { class: "banner banner-queue", href: "#/queue", id: "queue-count" });
    status.append(banners.queue);
  }
  const parts = [];
  if (pending) parts.push(tn("queue_count", pending));
  if (refused) parts.push(tn("refused_count", refused));
  banners.queue.textContent = parts.join(" · ");
  banners.queue.hidden = !parts.length;
  banners.queue.dataset.count = String(entries.length);
}

function onlineBanner() {
  banner("offline", navigator.onLine ? "" : t("offline"));
}

async function sync() {
  if (!state.me) return;
  await drain();
  await refreshQueueBanner();
}

// Screens.

function signInScreen(message) {
  const token = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-hint token-error" });
  const device = h("input", { id: "device", name: "device", type: "text", autocomplete: "off", "aria-describedby": "device-hint" });
  const error = h("p", { class: "field-error", id: "token-error", hidden: !message }, message || "");
  const submit = async (event) => {
    event.preventDefault();
    if (!token.value.trim()) {
      error.textContent = t("required", { field: t("token") });
      error.hidden = false;
      token.focus();
      return;
    }
    await startSession("/api/v1/console/session", { token: token.value.trim(), device: device.value.trim() }, error);
  };
  show(
    t("sign_in"),
    h("p", {}, t("sign_in_intro")),
    h("form", { novalidate: true, onsubmit: submit },
      h("div", { class: "field" }, h("label", { for: "token" }, t("token")), h("p", { class: "hint", id: "token-hint" }, t("token_hint")), token, error),
      h("div", { class: "field" }, h("label", { for: "device" }, t("device")), h("p", { class: "hint", id: "device-hint" }, t("device_hint")), device),
      h("button", { type: "submit", class: "primary" }, t("sign_in"))),
  );
}

async function startSession(path, json, errorEl) {
  let answer;
  try {
    answer = await call("POST", path, { json });
  } catch (error) {
    errorEl.textContent = t("network_error");
    errorEl.hidden = false;
    return;
  }
  if (!answer.ok) {
    const fields = fieldErrors(answer.problem);
    errorEl.textContent = fields.token || fields.code || (answer.problem && answer.problem.detail) || String(answer.status);
    errorEl.hidden = false;
    return;
  }
  await store.put("meta", { id: "session", device: json.device, ...answer.data });
  adopt({ device: json.device, ...answer.data });
  await registerDeviceKey();
  location.hash = isOfficer(state.me) ? "#/search" : "#/batches";
  await route();
}

async function pairScreen(code) {
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  show(t("sign_in"), h("p", {}, t("pairing")), error);
  await startSession("/api/v1/console/session/pair", { code, device: navigator.userAgent.slice(0, 60) }, error);
}

function header() {
  const who = h("p", { class: "who" }, t("signed_in_as", { person: state.me.person || "", agency: state.me.agency_name || "" }));
  return who;
}

async function batchesScreen() {
  const known = (await store.all("batches")).sort((a, b) => String(b.seen_at).localeCompare(String(a.seen_at)));
  const pending = await waiting();
  const search = h("input", { id: "search", type: "search", "aria-label": t("search"), placeholder: t("search") });
  const list = h("ul", { class: "batches", id: "batch-list" });
  const draw = () => {
    const q = search.value.trim().toLowerCase().normalize("NFC");
    list.replaceChildren();
    for (const b of known) {
      const text = `${b.product} ${b.lot} ${b.code || ""}`.toLowerCase().normalize("NFC");
      if (q && !text.includes(q)) continue;
      const waits = pending.filter((e) => e.batch === b.id).length;
      list.append(h("li", {}, h("a", { href: `#/batch/${b.id}`, class: "card" },
        h("b", {}, b.product), h("span", {}, t("lot_of", { lot: b.lot })), b.code ? h("span", { class: "code" }, b.code) : null,
        waits ? h("span", { class: "tag" }, tn("queue_count", waits)) : null)));
    }
    if (!list.children.length) list.append(h("li", { class: "empty" }, t("no_batches")));
  };
  search.addEventListener("input", draw);
  draw();
  const code = h("input", { id: "code", type: "text", autocomplete: "off", autocapitalize: "characters" });
  const codeError = h("p", { class: "field-error", id: "code-error", hidden: true });
  const open = async (event) => {
    event.preventDefault();
    const ref = code.value.trim().toUpperCase().replace(/[\s-]/g, "");
    if (!ref) return;
    try {
      const answer = await call("GET", `/api/v1/batches/${encodeURIComponent(ref)}`);
      if (!answer.ok) throw new Error((answer.problem && answer.problem.detail) || t("not_found"));
      await store.put("batches", { ...answer.data, seen_at: new Date().toISOString() });
      location.hash = `#/batch/${answer.data.id}`;
    } catch (error) {
      codeError.textContent = error instanceof Unreachable ? t("network_error") : error.message;
      codeError.hidden = false;
    }
  };
  const notices = h("div", { id: "notices-place" });
  show(
    t("batches"),
    header(),
    notices,
    h("a", { class: "button primary", href: "#/new/registered", id: "register" }, t("register_new")),
    search,
    list,
    h("form", { class: "open-code", onsubmit: open, novalidate: true },
      h("label", { for: "code" }, t("open_code")), code, codeError, h("button", { type: "submit" }, t("open"))),
    h("a", { class: "button", href: "#/queue" }, t("queue_link")),
    h("a", { class: "button", href: "#/notices", id: "notices-link" }, t("notices_link")),
    h("a", { class: "button", href: "#/reports", id: "reports-link" }, t("reports_link")),
    h("a", { class: "button", href: "#/devices", id: "devices-link" }, t("devices_link")),
    h("a", { class: "button", href: "#/contact", id: "contact-link" }, t("contact_link")),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, t("sign_out")),
  );
  // A recall reaching the agency's goods, not yet acknowledged, is said first (online only).
  try {
    const shown = await noticeBanner();
    if (shown && notices.isConnected) notices.replaceChildren(shown);
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
}

async function signOut() {
  try {
    await call("DELETE", "/api/v1/console/session");
  } catch (error) {
    // Offline: the cookie ends on the service's side; the phone forgets the session now.
  }
  await store.remove("meta", "session");
  if (self.caches) await caches.delete("console-data");
  adopt(null);
  location.hash = "#/sign-in";
}

function decodeRecord(record) {
  try {
    const statement = JSON.parse(new TextDecoder().decode(fromBase64(record.statement)));
    return { ...record, kind: statement.kind, occurred_at: statement.occurred_at, body: statement.body };
  } catch (error) {
    return { ...record, kind: "", occurred_at: "", body: null };
  }
}

async function batchData(id) {
  let batch = await store.get("batches", id);
  let records = [];
  try {
    const answer = await call("GET", `/api/v1/batches/${id}`);
    if (answer.ok) {
      batch = { ...answer.data, seen_at: new Date().toISOString() };
      await store.put("batches", batch);
      const page = await call("GET", `/api/v1/batches/${id}/records?proofs=false&limit=500`);
      if (page.ok) records = page.data.records.map(decodeRecord);
    }
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
  }
  return { batch, records };
}

async function batchScreen(id) {
  const { batch, records } = await batchData(id);
  if (!batch) {
    show(t("not_found"), h("a", { class: "button", href: "#/batches" }, t("back")));
    return;
  }
  const pending = (await waiting()).filter((e) => e.batch === id);
  const timeline = h("ol", { class: "timeline", id: "timeline" },
    records.map((r) => h("li", {}, h("b", {}, words.kinds[r.kind] || r.kind),
      h("span", {}, `${t("occurred", { when: moment(r.occurred_at, lang) })}, ${t("recorded", { when: moment(r.recorded_at, lang) })}`))),
    pending.map((e) => h("li", { class: e.state === "refused" ? "refused" : "pending" }, h("b", {}, words.kinds[e.kind] || e.kind),
      h("span", {}, e.state === "refused" ? t("refused") : t("pending_here")))));
  const actions = ["planted", "input_applied", "harvested", "processed", "packed", "shipped", "received", "sold", "corrected"];
  show(
    batch.product,
    h("p", {}, t("lot_of", { lot: batch.lot }), batch.code ? ` · ${batch.code}` : ""),
    batch.public_path ? h("a", { class: "button", href: `${batch.public_path}${lang === "vi" ? "" : "?lang=" + lang}` }, t("public_page")) : null,
    batch.code ? h("a", { class: "button", href: `#/batch/${id}/labels` }, t("labels")) : null,
    h("h2", {}, t("record_more")),
    h("ul", { class: "actions" }, actions.map((kind) => h("li", {}, h("a", { class: "button", href: `#/batch/${id}/new/${kind}` }, t(`form_${kind}`))))),
    h("h2", {}, t("timeline")),
    timeline,
    h("a", { class: "button", href: "#/batches" }, t("back")),
  );
  state.records = records;
}

async function provinces() {
  if (!state.provinces) {
    try {
      const answer = await call("GET", "/api/v1/places/provinces");
      state.provinces = answer.ok ? answer.data : [];
    } catch (error) {
      return [];
    }
  }
  return state.provinces;
}

async function formScreen(kind, batchId, fix) {
  const batch = batchId ? await store.get("batches", batchId) : null;
  const records = batchId ? (await batchData(batchId)).records : [];
  const ctx = { lang, provinces: await provinces(), records, values: fix ? fix.values : null, problem: fix ? fix.problem : null };
  const title = t(`form_${kind}`);
  show(title, ...renderForm(kind, ctx, (values, body, occurredAt) => reviewScreen(kind, batchId, batch, values, body, occurredAt, ctx, fix)));
}

function reviewScreen(kind, batchId, batch, values, body, occurredAt, ctx, fix) {
  const lines = summaryOf(kind, values, ctx);
  const sign = async (event) => {
    event.target.disabled = true;
    const id = batchId || (fix && fix.batch) || newUuid();
    await signAndKeep(kind, id, values, body, occurredAt, fix);
    if (kind === "registered") {
      await store.put("batches", { id, product: body.product, lot: body.lot, code: "", public_path: "", seen_at: new Date().toISOString(), pending: true });
    }
    location.hash = `#/batch/${id}`;
  };
  show(
    t("will_sign"),
    h("p", {}, t("will_sign_intro")),
    h("dl", { class: "summary", id: "summary" },
      h("dt", {}, t("kind")), h("dd", {}, words.kinds[kind]),
      h("dt", {}, t("batch_of")), h("dd", {}, batch ? `${batch.product} · ${batch.lot}` : t("new_batch")),
      lines.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
    h("button", { type: "button", class: "primary", id: "sign", onclick: sign }, t("sign_and_save")),
    h("button", { type: "button", onclick: () => formScreen(kind, batchId, { ...(fix || {}), values, problem: null }) }, t("edit")),
  );
}

async function signAndKeep(kind, batch, values, body, occurredAt, fix) {
  const agency = state.me.agency_id;
  const key = state.canSign ? await registerDeviceKey() : null;
  let entry;
  if (key && key.keyId) {
    const statement = statementOf({ batch, agency, key: key.keyId, kind, occurredAt, body });
    const signed = await signStatement(statement, key.privateKey);
    entry = { hash: signed.hash, statement: signed.statement, signature: signed.signature, key_id: signed.key_id };
  } else {
    // No key on the phone (no Ed25519, or not registered yet): the server signs, online.
    const bytes = canonicalBytes({ batch, kind, occurred_at: occurredAt, body, nonce: newUuid() });
    entry = { hash: toHex(await sha256(bytes)), statement: null, signature: null, key_id: null };
  }
  if (fix && fix.hash) await store.remove("queue", fix.hash);
  await enqueue({ ...entry, batch, kind, occurred_at: occurredAt, body, values, photo: values.photo || null, signed_at: new Date().toISOString() });
  banner("done", t("signed_saved"));
  await sync();
}

async function queueScreen() {
  const entries = await waiting();
  const list = h("ul", { class: "queue", id: "queue" }, entries.map((e) => h("li", { class: e.state, "data-hash": e.hash },
    h("b", {}, words.kinds[e.kind] || e.kind),
    h("span", {}, t("signed_at", { when: moment(e.signed_at, lang) })),
    e.signature ? null : h("span", {}, t("unsigned_wait")),
    e.state === "refused"
      ? [h("p", { class: "problem", role: "alert" }, (e.problem && e.problem.detail) || t("refused")),
         h("a", { class: "button primary", href: `#/fix/${e.hash}` }, t("fix"))]
      : h("span", { class: "tag" }, t("waiting")))));
  show(
    t("queue_title"),
    entries.length ? list : h("p", { class: "empty" }, t("queue_empty")),
    h("button", { type: "button", class: "primary", id: "send-now", onclick: async () => { await sync(); await queueScreen(); } }, t("send_now")),
    h("a", { class: "button", href: "#/batches" }, t("back")),
  );
}

async function fixScreen(hash) {
  const entry = await store.get("queue", hash);
  if (!entry) {
    location.hash = "#/queue";
    return;
  }
  await formScreen(entry.kind, entry.kind === "registered" ? null : entry.batch, { hash, batch: entry.batch, values: entry.values, problem: entry.problem });
}

async function labelsScreen(id) {
  const batch = await store.get("batches", id);
  let templates = [];
  try {
    const answer = await call("GET", "/api/v1/label-templates");
    templates = answer.ok ? answer.data : [];
  } catch (error) {
    templates = [];
  }
  const template = h("select", { id: "template" }, templates.map((tp) => h("option", { value: tp.name }, `${tp.name} (${tp.label_width_mm}×${tp.label_height_mm} mm)`)));
  const count = h("input", { id: "label-count", type: "text", inputmode: "numeric", value: "1" });
  const link = h("a", { class: "button primary", id: "pdf", target: "_blank", rel: "noopener" }, t("open_pdf"));
  const preview = h("img", { id: "qr", alt: t("qr_alt", { code: batch ? batch.code : "" }), width: 236, height: 142 });
  const update = () => {
    const n = /^[1-9][0-9]{0,4}$/.test(count.value) ? count.value : "1";
    const q = `template=${encodeURIComponent(template.value)}&lang=${lang}`;
    link.href = `/api/v1/batches/${id}/labels?${q}&format=pdf&count=${n}`;
    preview.src = `/api/v1/batches/${id}/labels?${q}&format=png&count=1`;
  };
  template.addEventListener("change", update);
  count.addEventListener("input", update);
  update();
  show(
    t("labels_title", { code: batch ? batch.code : "" }),
    h("div", { class: "field" }, h("label", { for: "template" }, t("template")), template),
    h("div", { class: "field" }, h("label", { for: "label-count" }, t("label_count")), count),
    preview,
    link,
    h("a", { class: "button", href: `#/batch/${id}` }, t("back")),
  );
}

function revokeControls(key, revoke) {
  const id = `lost-${key.key_id}`;
  const since = h("input", { id, type: "datetime-local", step: 1, value: localNow() });
  return h("div", { class: "field" },
    h("label", { for: id }, t("device_lost_since")), since,
    h("button", { type: "button", class: "danger", onclick: () => revoke(key, since) }, t("device_revoke")));
}

async function devicesScreen() {
  const admin = (state.me.scopes || []).includes("admin");
  const notice = h("p", { class: "field-error", role: "alert", id: "devices-error", hidden: true });
  let keys = [];
  try {
    const answer = await call("GET", "/api/v1/console/device-keys");
    keys = answer.ok ? answer.data : [];
  } catch (error) {
    notice.textContent = t("network_error");
    notice.hidden = false;
  }
  const mine = (await store.all("keys")).map((k) => k.keyId);
  const revoke = async (key, since) => {
    if (!window.confirm(t("device_revoke_confirm", { device: key.device_name }))) return;
    const path = `/api/v1/agencies/${state.me.agency_id}/keys/${key.key_id}/revoke`;
    const json = { reason: t("device_lost_reason"), revoked_from: withOffset(since.value || localNow()) };
    try {
      const answer = await call("POST", path, { json });
      if (!answer.ok) throw new Error((answer.problem && answer.problem.detail) || t("refused"));
      banner("done", t("device_revoked_done", { device: key.device_name }));
      await devicesScreen();
    } catch (error) {
      notice.textContent = error instanceof Unreachable ? t("network_error") : error.message;
      notice.hidden = false;
    }
  };
  const list = h("ul", { class: "devices", id: "device-list" }, keys.map((key) => h("li", { "data-key": key.key_id },
    h("b", {}, key.device_name, mine.includes(key.key_id) ? ` · ${t("device_this")}` : ""),
    h("span", {}, t("device_by", { person: key.person || "", when: moment(key.created_at, lang) })),
    key.revoked_at
      ? h("span", { class: "tag revoked" }, t("device_revoked", { when: moment(key.revoked_at, lang), reason: key.revocation_reason || "" }))
      : admin ? revokeControls(key, revoke) : null)));
  const pairing = h("div", { id: "pairing" });
  const pair = async () => {
    try {
      const answer = await call("POST", "/api/v1/console/pairings", { json: {} });
      if (!answer.ok) throw new Error((answer.problem && answer.problem.detail) || t("refused"));
      const svg = btoa(unescape(encodeURIComponent(answer.data.qr_svg)));
      pairing.replaceChildren(
        h("p", {}, t("pair_intro")),
        h("img", { id: "pair-qr", src: `data:image/svg+xml;base64,${svg}`, alt: t("pair_alt"), width: 240, height: 240 }),
      );
    } catch (error) {
      notice.textContent = error instanceof Unreachable ? t("network_error") : error.message;
      notice.hidden = false;
    }
  };
  show(
    t("devices_title"),
    h("p", {}, t("devices_intro")),
    notice,
    keys.length ? list : h("p", { class: "empty" }, t("devices_none")),
    admin ? null : h("p", {}, t("devices_admin_only")),
    h("button", { type: "button", class: "primary", id: "pair", onclick: pair }, t("pair_new")),
    pairing,
    h("a", { class: "button", href: "#/batches" }, t("back")),
  );
}

// The contact's fields: each checked as the service checks it (trace/domain/contact.py).
const CONTACT_FIELDS = [
  { name: "phone", type: "tel", problem: (v) => (PHONE.test(v) && v.length <= 25 ? null : t("phone_form")) },
  { name: "address", type: "text", problem: (v) => (textOk(v) && v.length <= 500 ? null : t("required", { field: t("address") })) },
  { name: "website", type: "url", problem: (v) => (WEBSITE.test(v) && v.length <= 200 ? null : t("website_form")) },
];

async function contactScreen() {
  const admin = (state.me.scopes || []).includes("admin");
  const notice = h("p", { class: "field-error", role: "alert", id: "contact-error", hidden: true });
  const fail = (text) => { notice.textContent = text; notice.hidden = false; };
  let agency = {};
  try {
    const answer = await call("GET", `/api/v1/agencies/${state.me.agency_id}`);
    if (answer.ok) agency = answer.data.agency;
  } catch (error) {
    fail(t("network_error"));
  }
  const inputs = {};
  const messages = {};
  const rows = CONTACT_FIELDS.map((field) => {
    const id = `contact-${field.name}`;
    inputs[field.name] = h("input", { id, name: field.name, type: field.type, value: agency[field.name] || "", autocomplete: "off", disabled: !admin, "aria-describedby": `${id}-hint ${id}-error` });
    messages[field.name] = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    return h("div", { class: "field" }, h("label", { for: id }, t(field.name)), h("p", { class: "hint", id: `${id}-hint` }, t(`${field.name}_hint`)), inputs[field.name], messages[field.name]);
  });
  const showErrors = (errors) => {
    for (const field of CONTACT_FIELDS) {
      messages[field.name].textContent = errors[field.name] || "";
      messages[field.name].hidden = !errors[field.name];
      inputs[field.name].setAttribute("aria-invalid", errors[field.name] ? "true" : "false");
    }
  };
  const save = async (event) => {
    event.preventDefault();
    notice.hidden = true;
    const json = {};
    const errors = {};
    for (const field of CONTACT_FIELDS) {
      const value = inputs[field.name].value.trim();
      if (!value) continue;
      json[field.name] = value;
      const problem = field.problem(value);
      if (problem) errors[field.name] = problem;
    }
    showErrors(errors);
    if (Object.keys(errors).length) return inputs[Object.keys(errors)[0]].focus();
    try {
      const answer = await call("PUT", `/api/v1/agencies/${state.me.agency_id}/contact`, { json });
      if (!answer.ok) {
        showErrors(fieldErrors(answer.problem));
        return fail((answer.problem && answer.problem.detail) || t("refused"));
      }
      banner("done", t("contact_saved"));
    } catch (error) {
      fail(error instanceof Unreachable ? t("network_error") : error.message);
    }
  };
  show(
    t("contact_title"),
    h("p", {}, t("contact_intro")),
    agency.household ? h("p", { class: "warning" }, t("contact_household")) : null,
    notice,
    h("form", { id: "contact-form", novalidate: true, onsubmit: save }, rows,
      admin ? h("button", { type: "submit", class: "primary", id: "contact-save" }, t("contact_save")) : h("p", {}, t("contact_admin_only"))),
    h("a", { class: "button", href: "#/batches" }, t("back")),
  );
}

function home() {
  return h("a", { class: "button", href: "#/batches" }, t("back"));
}

async function route() {
  const hash = location.hash || "";
  banner("done", "");
  const pair = hash.match(/^#pair=([\w-]+)/);
  if (pair) return pairScreen(pair[1]);
  if (!state.me) return signInScreen();
  if (isOfficer(state.me)) return officerRoute(state.me, signOut);
  let m;
  if ((m = hash.match(/^#\/batch\/([\w-]+)\/new\/(\w+)$/)) && FORMS[m[2]]) return formScreen(m[2], m[1]);
  if ((m = hash.match(/^#\/new\/registered$/))) return formScreen("registered", null);
  if ((m = hash.match(/^#\/batch\/([\w-]+)\/labels$/))) return labelsScreen(m[1]);
  if ((m = hash.match(/^#\/batch\/([\w-]+)$/))) return batchScreen(m[1]);
  if ((m = hash.match(/^#\/fix\/(\w+)$/))) return fixScreen(m[1]);
  if (hash === "#/queue") return queueScreen();
  if (hash === "#/devices") return devicesScreen();
  if (hash === "#/contact") return contactScreen();
  if (hash === "#/notices") return noticesScreen(home);
  if ((m = hash.match(/^#\/reports(?:\?(.*))?$/))) return reportsScreen(m[1], { back: home, officer: false });
  return batchesScreen();
}

function keepLanguageLink() {
  for (const link of document.querySelectorAll("a.lang")) {
    const base = link.getAttribute("href").split("#")[0];
    link.setAttribute("href", base + location.hash);
  }
}

async function start() {
  state.canSign = await ed25519Supported();
  if (!state.canSign) banner("ed25519", t("no_ed25519"), "alert");
  onlineBanner();
  window.addEventListener("online", () => { onlineBanner(); sync(); });
  window.addEventListener("offline", onlineBanner);
  window.addEventListener("hashchange", () => { keepLanguageLink(); route(); });
  keepLanguageLink();
  adopt(await loadSession());
  if (state.me) await registerDeviceKey();
  await refreshQueueBanner();
  await route();
  document.body.dataset.ready = "true";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/console/sw.js", { scope: "/console/", type: "module", updateViaCache: "all" }).then(async (reg) => {
      if (reg.sync) {
        try { await reg.sync.register("trace-queue"); } catch (error) { /* no Background Sync: online and open drain */ }
      }
    }).catch(() => {});
  }
  sync();
}

start();
