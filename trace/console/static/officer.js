// The officers' screens: search, a batch's history in words with its genealogy, the forms
// of an inspection, a certificate and a recall, the recalls and each recall's reach. Chosen
// by app.js for a person of an authority or a certifier (or a token with the inspect scope).

import { call, Unreachable } from "./api.js";
import { h, show, t, words } from "./dom.js";
import { certificationForm, inspectionForm, recallForm } from "./officer_forms.js";
import { authorityActions, stepsSection, withdrawalsOf } from "./recall_steps.js";
import { linkReport, reportsScreen } from "./reports.js";

const INSPECTING = ["authority", "certifier", "operator"];

/** Whether the session's person gets the officers' screens. */
export function isOfficer(me) {
  return Boolean(me) && (INSPECTING.includes(me.agency_kind) || (me.scopes || []).includes("inspect"));
}

function mayRecall(me) {
  const scopes = me.scopes || [];
  return me.agency_kind === "authority" && (scopes.includes("recall") || scopes.includes("record"));
}

function lang() {
  return document.documentElement.lang || "vi";
}

function nav(me, signOut) {
  const here = location.hash || "#/search";
  const current = (prefix) => (here.startsWith(prefix) ? "page" : null);
  return h("nav", { class: "officer-nav", "aria-label": t("officer_menu") },
    h("p", { class: "who" }, t("signed_in_as", { person: me.person || "", agency: me.agency_name || "" })),
    h("a", { class: "button", href: "#/search", id: "nav-search", "aria-current": current("#/search") }, t("officer_search")),
    h("a", { class: "button", href: "#/recalls", id: "nav-recalls", "aria-current": current("#/recalls") }, t("recalls_title")),
    h("a", { class: "button", href: "#/reports", id: "nav-reports", "aria-current": current("#/reports") }, t("reports_title")),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, t("sign_out")));
}

function failure(answer) {
  return h("p", { class: "error-summary", role: "alert" }, (answer.problem && answer.problem.detail) || String(answer.status));
}

async function ask(path, options) {
  try {
    return await call("GET", path, options);
  } catch (error) {
    if (error instanceof Unreachable) return { ok: false, status: 0, problem: { detail: t("network_error") } };
    throw error;
  }
}

let provinces = null;
async function provinceOptions() {
  if (!provinces) {
    const answer = await ask("/api/v1/places/provinces");
    provinces = answer.ok ? answer.data : [];
  }
  return provinces.map((p) => ({ value: p.code, label: lang() === "vi" ? p.name_vi : p.name_en }));
}

// The search: its filters live in the address (#/search?q=...), so back returns to the list.
const FILTERS = ["q", "province", "producer", "occurred_from", "occurred_to", "kind", "disposition", "ocop_stars", "certification"];

function select(id, name, label, entries, chosen) {
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h("select", { id, name }, h("option", { value: "" }, t("any")),
      entries.map(({ value, label: text }) => h("option", { value, selected: String(value) === chosen }, text))));
}

function mapEntries(map) {
  return Object.entries(map).map(([value, label]) => ({ value, label }));
}

async function searchScreen(me, signOut, query) {
  const params = new URLSearchParams(query || "");
  const got = (name) => params.get(name) || "";
  const input = (id, name, label, type = "text", hint = null) => h("div", { class: "field" }, h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    h("input", { id, name, type, value: got(name), autocomplete: "off", "aria-describedby": hint ? `${id}-hint` : null }));
  const producer = got("producer");
  const form = h("form", { id: "search-form", role: "search", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) wanted.set(el.name, el.value);
    location.hash = `#/search?${wanted.toString()}`;
  } },
    input("s-q", "q", t("search_words"), "search", t("search_words_hint")),
    // The other filters fold away on a phone until wanted; open when one is in use.
    h("details", { class: "more-filters", open: FILTERS.some((name) => name !== "q" && params.get(name)) },
      h("summary", {}, t("more_filters")),
      h("div", { class: "filters" },
        select("s-province", "province", t("province"), await provinceOptions(), got("province")),
        input("s-from", "occurred_from", t("occurred_from"), "date"),
        input("s-to", "occurred_to", t("occurred_to"), "date"),
        select("s-kind", "kind", t("with_kind"), mapEntries(words.kinds), got("kind")),
        select("s-disposition", "disposition", t("disposition"), mapEntries(words.dispositions), got("disposition")),
        select("s-stars", "ocop_stars", t("ocop_at_least"), [3, 4, 5].map((n) => ({ value: n, label: t("stars_n", { n }) })), got("ocop_stars")),
        select("s-certification", "certification", t("certification_valid"), mapEntries(words.schemes), got("certification")))),
    producer ? h("p", { class: "tag", id: "producer-filter" }, t("producer_only"), h("input", { type: "hidden", name: "producer", value: producer })) : null,
    h("button", { type: "submit", class: "primary", id: "search-submit" }, t("search_button")));
  const results = h("section", { id: "results", "aria-live": "polite", "aria-label": t("results") });
  show(t("officer_search"), nav(me, signOut), form, results);
  if (!FILTERS.some((name) => params.get(name))) {
    results.append(h("p", { class: "empty" }, t("search_intro")));
    return;
  }
  const list = h("ul", { class: "batches", id: "found" });
  const more = h("button", { type: "button", id: "more", hidden: true }, t("more"));
  results.replaceChildren(list, more);
  const page = async (cursor) => {
    const asked = new URLSearchParams(params);
    asked.set("lang", lang());
    asked.set("limit", "25");
    if (cursor) asked.set("cursor", cursor);
    const answer = await ask(`/api/v1/console/search?${asked.toString()}`);
    if (!answer.ok) {
      results.prepend(failure(answer));
      return;
    }
    for (const b of answer.data.batches) list.append(foundCard(b, params));
    if (!list.children.length) list.append(h("li", { class: "empty" }, t("found_none")));
    more.hidden = !answer.data.next_cursor;
    more.onclick = () => page(answer.data.next_cursor);
  };
  await page(null);
}

function foundCard(b, params) {
  const only = new URLSearchParams(params);
  only.set("producer", b.producer_id);
  return h("li", { class: "found" },
    h("a", { href: `#/inspect/${b.id}`, class: "card" },
      h("b", {}, b.product),
      h("span", {}, t("lot_of", { lot: b.lot }), " · ", h("span", { class: "code" }, b.code)),
      h("span", {}, t("producer_is", { producer: b.producer })),
      b.province ? h("span", {}, t("province_is", { province: b.province })) : null,
      b.occurred ? h("span", {}, t("registered_on", { day: b.occurred })) : null,
      b.disposition ? h("span", { class: `tag disposition ${b.recalled ? "recalled" : ""}` }, b.disposition) : null,
      b.certificates.map((c) => h("span", { class: "tag" }, c))),
    h("a", { class: "small-link", href: `#/search?${only.toString()}` }, t("same_producer", { producer: b.producer })));
}

// One batch: its history in words, the integrity verdict, the genealogy and the actions.

const BOX = /<g id="batch-([0-9a-f-]{36})"[^>]*>\s*<title>([^<]*)<\/title>\s*<rect class="[^"]*" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g;
const XML_ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&#x27;": "'", "&#39;": "'" };

function unescapeXml(text) {
  return text.replace(/&(?:amp|lt|gt|quot|apos|#x27|#39);/g, (entity) => XML_ENTITIES[entity]);
}

async function genealogy(id, direction) {
  const source = `/api/v1/batches/${id}/trace?direction=${direction}&format=svg&depth=10&lang=${lang()}`;
  const answer = await fetch(source, { credentials: "same-origin" });
  if (!answer.ok) return null;
  const text = await answer.text();
  // The drawing is read as text, not parsed into a document: its own style sheet must never
  // meet this page's CSP. Its format is ours (trace/genealogy/drawing.py): a group per batch.
  const boxes = Array.from(text.matchAll(BOX)).map((m) => ({ id: m[1], label: unescapeXml(m[2]), x: m[3], y: m[4], width: m[5], height: m[6] }));
  if (boxes.length < 2) return null;
  const [, width, height] = (text.match(/viewBox="0 0 ([\d.]+) ([\d.]+)"/) || [0, 0, 0]).map(Number);
  const title = unescapeXml((text.match(/<title>([^<]*)<\/title>/) || ["", ""])[1]);
  // The picture is the API's drawing itself (an image: its style sheet stays inside it);
  // over it, one link per batch box, drawn in the same coordinates, opens that batch here.
  const svgNs = "http://www.w3.org/2000/svg";
  const over = document.createElementNS(svgNs, "svg");
  over.setAttribute("viewBox", `0 0 ${width} ${height}`);
  over.setAttribute("class", "links");
  for (const box of boxes) {
    const link = document.createElementNS(svgNs, "a");
    link.setAttribute("href", `#/inspect/${box.id}`);
    link.setAttribute("aria-label", box.label || box.id);
    const target = document.createElementNS(svgNs, "rect");
    for (const name of ["x", "y", "width", "height"]) target.setAttribute(name, box[name]);
    link.append(target);
    over.append(link);
  }
  // By its address: the session cookie goes with it, as with any request of this origin.
  const picture = h("img", { src: source, alt: title, width: Math.round(width), height: Math.round(height) });
  const frame = h("div", { class: "drawing" }, picture);
  frame.append(over);
  return h("figure", { class: "genealogy", id: `genealogy-${direction}` },
    h("figcaption", {}, t(direction === "downstream" ? "made_into" : "made_from")),
    h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": title }, frame));
}

function fieldList(lines) {
  if (!lines.length) return null;
  return h("dl", { class: "fields" }, lines.map((line) => [
    h("dt", { class: `depth-${Math.min(line.depth, 3)}` }, line.label),
    h("dd", { class: `depth-${Math.min(line.depth, 3)}` }, line.value === null ? "" : line.value),
  ]));
}

function entry(record, bySeq) {
  const corrections = record.corrected_by.map((seq) => bySeq[seq]).filter(Boolean);
  return h("li", { class: `record kind-${record.kind}${corrections.length ? " corrected" : ""}`, id: `record-${record.seq}` },
    h("h3", {}, `${record.seq}. ${record.kind_words}`),
    h("p", { class: "when" }, t("occurred", { when: record.occurred }), ", ", t("recorded", { when: record.recorded || "-" })),
    h("p", { class: "signer" }, t("signed_by", { agency: record.signer })),
    fieldList(record.fields),
    record.corrects ? h("p", { class: "tag" }, t("corrects_record", { seq: record.corrects })) : null,
    corrections.map((c) => h("div", { class: "warning correction" },
      h("p", {}, h("b", {}, t("corrected_by_record", { seq: c.seq, agency: c.signer, when: c.occurred }))),
      fieldList(c.fields.filter((line) => line.depth === 0 && !/^[0-9a-f]{64}$/.test(line.value || ""))))));
}

async function batchScreen(me, signOut, id) {
  const answer = await ask(`/api/v1/console/batches/${id}/history?lang=${lang()}`);
  if (!answer.ok) {
    show(t("not_found"), nav(me, signOut), failure(answer));
    return;
  }
  const { batch, verdict, records } = answer.data;
  const bySeq = Object.fromEntries(records.map((r) => [r.seq, r]));
  const actions = h("div", { class: "actions" },
    h("a", { class: "button", href: `#/inspect/${batch.id}/inspected`, id: "record-inspection" }, t("inspection_new")),
    h("a", { class: "button", href: `#/inspect/${batch.id}/certified`, id: "record-certificate" }, t("certification_new")),
    mayRecall(me) && !batch.recalled ? h("a", { class: "button danger", href: `#/inspect/${batch.id}/recall`, id: "recall" }, t("recall_new")) : null,
    h("a", { class: "button", href: `${batch.public_path}${lang() === "vi" ? "" : "?lang=" + lang()}` }, t("public_page")));
  const facts = h("dl", { class: "summary", id: "batch-facts" },
    h("dt", {}, t("lot")), h("dd", {}, batch.lot),
    h("dt", {}, t("code")), h("dd", { class: "code" }, batch.code),
    batch.gtin ? [h("dt", {}, t("gtin_plain")), h("dd", {}, batch.gtin)] : null,
    h("dt", {}, t("producer")), h("dd", {}, batch.producer),
    batch.province ? [h("dt", {}, t("province")), h("dd", {}, batch.province)] : null,
    h("dt", {}, t("held_by")), h("dd", {}, batch.holder),
    batch.in_transit_to ? [h("dt", {}, t("in_transit_to")), h("dd", {}, batch.in_transit_to)] : null);
  const ancestors = h("div", { id: "recalled-upstream" });
  show(batch.product, nav(me, signOut),
    batch.recalled ? h("p", { class: "warning recalled", id: "recalled-tag" }, t("batch_recalled")) : null,
    ancestors,
    facts,
    h("p", { class: `verdict ${verdict.intact ? "intact" : "broken"}`, id: "verdict" }, verdict.words),
    verdict.faults.length ? h("ul", { class: "faults" }, verdict.faults.map((f) => h("li", {}, f))) : null,
    actions,
    h("h2", {}, t("genealogy")),
    h("div", { id: "genealogy" }, h("p", { class: "loading" }, t("loading"))),
    h("h2", {}, t("history")),
    h("ol", { class: "history", id: "history" }, records.map((r) => entry(r, bySeq))));
  // A recall of a batch this one was made from reaches this one too.
  const upstream = await ask(`/api/v1/batches/${batch.id}/trace?direction=upstream&format=json&depth=50`);
  const recalled = upstream.ok ? upstream.data.batches.filter((b) => b.depth > 0 && b.recalled) : [];
  ancestors.replaceChildren(...recalled.map((b) => h("p", { class: "warning recalled" },
    t("made_from_recalled"), " ", h("a", { href: `#/inspect/${b.id}` }, `${b.product} · ${b.code}`))));
  const drawn = (await Promise.all([genealogy(batch.id, "upstream"), genealogy(batch.id, "downstream")])).filter(Boolean);
  const place = document.getElementById("genealogy");
  if (place) place.replaceChildren(...(drawn.length ? drawn : [h("p", { class: "empty" }, t("genealogy_none"))]));
}

async function formScreen(me, signOut, id, which, report) {
  const answer = await ask(`/api/v1/batches/${id}`);
  if (!answer.ok) {
    show(t("not_found"), nav(me, signOut), failure(answer));
    return;
  }
  const batch = answer.data;
  const back = h("a", { class: "button", href: `#/inspect/${batch.id}` }, t("back"));
  const heading = h("p", { class: "who" }, `${batch.product} · ${t("lot_of", { lot: batch.lot })} · ${batch.code}`);
  const saved = () => { location.hash = `#/inspect/${batch.id}`; };
  // An inspection made to answer a shopper's report is linked to it once recorded.
  const answered = async (appended) => {
    const linked = await linkReport(report, appended.record.position);
    if (linked.ok) location.hash = "#/reports";
    else heading.after(failure(linked)); // the inspection is recorded; the report says why it is not linked
  };
  if (which === "inspected") show(t("inspection_new"), heading, report ? h("p", { class: "tag", id: "answers-report" }, t("report_for", { id: report })) : null, inspectionForm(batch.id, report ? answered : saved), back);
  else if (which === "certified") show(t("certification_new"), heading, certificationForm(batch.id, saved), back);
  else show(t("recall_new"), heading, h("p", {}, t("recall_intro")),
    recallForm(batch.id, (recall) => { location.hash = `#/recall/${recall.id}`; }), back);
}

// Recalls and their reach.

async function recallsScreen(me, signOut, query) {
  const params = new URLSearchParams(query || "");
  const form = h("form", { id: "recall-filters", role: "search", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) wanted.set(el.name, el.value);
    location.hash = `#/recalls?${wanted.toString()}`;
  } },
    h("div", { class: "filters" },
      select("r-severity", "severity", t("severity"), mapEntries(words.severities), params.get("severity") || ""),
      select("r-province", "province", t("province"), await provinceOptions(), params.get("province") || "")),
    h("button", { type: "submit", id: "recall-filter" }, t("search_button")));
  const asked = new URLSearchParams(params);
  asked.set("limit", "50");
  const answer = await ask(`/api/v1/recalls?${asked.toString()}`);
  if (!answer.ok) {
    show(t("recalls_title"), nav(me, signOut), form, failure(answer));
    return;
  }
  const list = h("ul", { class: "batches", id: "recall-list" }, answer.data.recalls.map((r) => h("li", {},
    h("a", { class: "card", href: `#/recall/${r.id}` },
      h("b", {}, r.batch.product),
      h("span", {}, t("lot_of", { lot: r.batch.lot }), " · ", h("span", { class: "code" }, r.batch.code)),
      r.decision_number ? h("span", {}, t("decision_is", { number: r.decision_number })) : null,
      h("span", { class: "tag recalled" }, words.severities[r.severity] || r.severity),
      h("span", {}, r.reason)))));
  if (!answer.data.recalls.length) list.append(h("li", { class: "empty" }, t(params.toString() ? "recalls_none_found" : "recalls_none")));
  show(t("recalls_title"), nav(me, signOut), form, list);
}

async function download(id, type, name, button) {
  button.disabled = true;
  try {
    const answer = await fetch(`/api/v1/recalls/${id}/reach`, { headers: { Accept: type, "Accept-Language": lang() }, credentials: "same-origin" });
    if (!answer.ok) throw new Error(String(answer.status));
    const url = URL.createObjectURL(await answer.blob());
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    button.after(h("p", { class: "field-error", role: "alert" }, t("download_failed")));
  } finally {
    button.disabled = false;
  }
}

function holderWords(holder) {
  return holder ? holder.shown : "-";
}

async function reachScreen(me, signOut, id) {
  const answer = await ask(`/api/v1/recalls/${id}/reach`);
  if (!answer.ok) {
    show(t("not_found"), nav(me, signOut), failure(answer));
    return;
  }
  const { recall, counts, batches, pages, truncated } = answer.data;
  const pdf = h("button", { type: "button", class: "primary", id: "download-pdf", onclick: () => download(id, "application/pdf", `recall-${id}-reach.pdf`, pdf) }, t("download_pdf"));
  const csv = h("button", { type: "button", id: "download-csv", onclick: () => download(id, "text/csv", `recall-${id}-reach.csv`, csv) }, t("download_csv"));
  show(t("reach_title", { product: recall.batch.product }), nav(me, signOut),
    h("dl", { class: "summary", id: "recall-facts" },
      h("dt", {}, t("decision_number")), h("dd", {}, recall.decision_number || "-"),
      h("dt", {}, t("issued_by")), h("dd", {}, recall.authority ? recall.authority.shown : "-"),
      h("dt", {}, t("severity")), h("dd", {}, words.severities[recall.severity] || recall.severity, h("br"), h("span", { class: "hint" }, words.severity_meanings[recall.severity] || "")),
      h("dt", {}, t("recall_reason")), h("dd", {}, recall.reason),
      recall.scope ? [h("dt", {}, t("recall_scope")), h("dd", {}, recall.scope)] : null),
    stepsSection(recall),
    authorityActions(me, recall, () => reachScreen(me, signOut, id)),
    h("p", { id: "reach-counts" }, t("reach_counts", { batches: counts.batches, holders: counts.holders, pages: counts.pages, in_transit: counts.in_transit })),
    truncated ? h("p", { class: "warning" }, t("reach_truncated")) : null,
    pdf, csv,
    h("h2", {}, t("reach_batches")),
    h("ul", { class: "batches reach", id: "reach" }, batches.map((b) => h("li", { class: "card reached", "data-code": b.code },
      h("a", { href: `#/inspect/${b.id}` }, h("b", {}, b.product)),
      h("span", {}, t("lot_of", { lot: b.lot }), " · ", h("span", { class: "code" }, b.code)),
      h("span", {}, b.depth === 0 ? t("depth_recalled") : t("depth_n", { n: b.depth })),
      h("span", { class: "holder" }, t("held_by_is", { holder: holderWords(b.holder) })),
      b.in_transit ? h("span", { class: "transit" }, t("in_transit_to_is", { holder: holderWords(b.in_transit_to) })) : null,
      b.recalled ? h("span", { class: "tag recalled" }, words.dispositions.recalled) : null,
      withdrawalsOf(b),
      h("a", { class: "small-link", href: b.page_url }, t("page_with_banner"))))),
    h("h2", {}, t("reach_pages")),
    h("ul", { class: "pages", id: "reach-pages" }, pages.map((url) => h("li", {}, h("a", { href: url }, url)))));
}

/** The screen the address names, for an officer; false when the address is not theirs. */
export async function officerRoute(me, signOut) {
  const hash = location.hash || "";
  let m;
  if ((m = hash.match(/^#\/inspect\/([\w-]+)\/(inspected|certified|recall)(?:\?report=(\d+))?$/))) return formScreen(me, signOut, m[1], m[2], m[3]);
  if ((m = hash.match(/^#\/inspect\/([\w-]+)$/))) return batchScreen(me, signOut, m[1]);
  if ((m = hash.match(/^#\/recall\/(\d+)$/))) return reachScreen(me, signOut, m[1]);
  if ((m = hash.match(/^#\/recalls(?:\?(.*))?$/))) return recallsScreen(me, signOut, m[1]);
  if ((m = hash.match(/^#\/reports(?:\?(.*))?$/))) return reportsScreen(m[1], { nav: () => nav(me, signOut), officer: true });
  m = hash.match(/^#\/search\?(.*)$/);
  return searchScreen(me, signOut, m ? m[1] : "");
}
