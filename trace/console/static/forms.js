// The forms of each event kind: their fields, the checks made as they are filled, the body
// they make (trace/domain/kinds.py) and the readable summary of what will be signed.

import { call, fieldErrors } from "./api.js";
import { decimalOk, decimalText, gtinProblem, LOT, localNow, textOk, UUID, withOffset } from "./checks.js";
import { h, t, words } from "./dom.js";
import { preparePhoto } from "./photo.js";

const UNITS = ["KGM", ...Object.keys(words.units).filter((u) => u !== "KGM")];
const WHEN = { name: "occurred_at", label: "occurred_at", hint: "occurred_hint", type: "when", required: true };
const NOTE = { name: "note", label: "note", type: "area_text" };
const QUANTITY = (required, label = "quantity") => [
  { name: "quantity", label, hint: "quantity_hint", type: "decimal", required, path: "quantity.value" },
  { name: "unit", label: "unit", type: "select", options: () => optionsOf(words.units), path: "quantity.unit" },
];

function optionsOf(names) {
  return Object.entries(names).map(([value, label]) => ({ value, label }));
}

function quantityOf(v) {
  return v.quantity ? { value: v.quantity, unit: v.unit || UNITS[0] } : undefined;
}

// The standards a product is made to: one a line, as many as a label lists (kinds.py).
const MAX_STANDARDS = 8;

/** The standards typed, one a line, blank lines left out. */
export function standardsOf(text) {
  return String(text || "").split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** The mistake of a list of standards, as the ledger would refuse it, or null. */
function standardsProblem(text) {
  const listed = standardsOf(text);
  if (listed.length > MAX_STANDARDS) return t("standards_too_many", { maximum: MAX_STANDARDS });
  const seen = new Set();
  for (const standard of listed) {
    if (!textOk(standard) || standard.length > 100) return t("standards_line");
    const key = standard.toLocaleLowerCase().split(/\s+/).join(" ");
    if (seen.has(key)) return t("standards_twice", { standard });
    seen.add(key);
  }
  return null;
}

const opt = (value) => (value ? value : undefined);

export const FORMS = {
  registered: {
    fields: [
      WHEN,
      { name: "product", label: "product", hint: "product_hint", type: "text", required: true },
      { name: "gtin", label: "gtin", hint: "gtin_hint", type: "gtin", inputmode: "numeric" },
      { name: "lot", label: "lot", hint: "lot_hint", type: "lot", required: true },
      ...QUANTITY(false),
      { name: "province", label: "province", type: "province", required: true, path: "origin.province" },
      { name: "commune", label: "commune", type: "commune", path: "origin.commune" },
      { name: "area", label: "area", hint: "area_hint", type: "text" },
      { name: "photo", label: "photo", hint: "photo_hint", type: "photo" },
      // What Circular 02/2024/TT-BKHCN asks a shopper be shown besides.
      { name: "brand", label: "brand", hint: "brand_hint", type: "text", section: "for_shoppers" },
      { name: "pack", label: "pack_size", hint: "pack_size_hint", type: "decimal", path: "pack_size.value", unitField: "pack_unit" },
      { name: "pack_unit", label: "pack_unit", type: "select", options: () => optionsOf(words.units), path: "pack_size.unit", unitOf: "pack" },
      { name: "standards", label: "standards", hint: "standards_hint", type: "lines" },
      { name: "storage", label: "storage", hint: "storage_hint", type: "area_text" },
      { name: "production_date", label: "production_date", type: "date" },
      { name: "expiry_date", label: "expiry_date", hint: "expiry_hint", type: "date" },
    ],
    body: (v) => {
      const standards = standardsOf(v.standards);
      return {
        product: v.product,
        lot: v.lot,
        gtin: opt(v.gtin),
        quantity: quantityOf(v),
        origin: { province: v.province, commune: opt(v.commune) },
        area: opt(v.area),
        photo: opt(v.photo),
        brand: opt(v.brand),
        pack_size: v.pack ? { value: v.pack, unit: v.pack_unit || UNITS[0] } : undefined,
        standards: standards.length ? standards : undefined,
        storage: opt(v.storage),
        production_date: opt(v.production_date),
        expiry_date: opt(v.expiry_date),
      };
    },
    check: (v, errors) => {
      if (v.production_date && v.expiry_date && v.expiry_date <= v.production_date) errors.expiry_date = t("expiry_after");
      const sameUnit = (v.unit || UNITS[0]) === (v.pack_unit || UNITS[0]);
      if (v.pack && v.quantity && sameUnit && Number(v.pack) > Number(v.quantity)) errors.pack = t("pack_over_lot");
    },
  },
  planted: {
    fields: [
      WHEN,
      { name: "crop", label: "crop", type: "text", required: true },
      { name: "variety", label: "variety", type: "text" },
      { name: "area", label: "area", hint: "area_hint", type: "text", required: true },
      { name: "photo", label: "photo", hint: "photo_hint", type: "photo" },
      NOTE,
    ],
    body: (v) => ({ crop: v.crop, variety: opt(v.variety), area: v.area, photo: opt(v.photo), note: opt(v.note) }),
  },
  input_applied: {
    fields: [
      WHEN,
      { name: "input_kind", label: "input_kind", type: "select", required: true, options: () => optionsOf(words.input_kinds) },
      { name: "product", label: "input_product", type: "text", required: true },
      { name: "dose", label: "dose", hint: "quantity_hint", type: "decimal", required: true, path: "dose.value" },
      { name: "unit", label: "unit", type: "select", options: () => optionsOf(words.units), path: "dose.unit" },
      { name: "per", label: "dose_per", type: "select", path: "dose.per", options: () => [{ value: "", label: t("dose_total") }, ...optionsOf(words.dose_basis)] },
      { name: "applied_to", label: "applied_to", hint: "area_hint", type: "text", required: true },
      { name: "active_ingredient", label: "active_ingredient", type: "text" },
      { name: "phi", label: "phi_days", hint: "phi_hint", type: "days", path: "pre_harvest_interval_days" },
      NOTE,
    ],
    body: (v) => ({
      input_kind: v.input_kind,
      product: v.product,
      dose: { value: v.dose, unit: v.unit || UNITS[0], per: opt(v.per) },
      applied_to: v.applied_to,
      active_ingredient: opt(v.active_ingredient),
      pre_harvest_interval_days: v.phi === "" || v.phi === undefined ? undefined : Number(v.phi),
      note: opt(v.note),
    }),
    check: (v, errors) => {
      if (v.input_kind === "pesticide") {
        if (!v.active_ingredient) errors.active_ingredient = t("pesticide_needs");
        if (v.phi === "" || v.phi === undefined) errors.phi = t("pesticide_needs");
      }
    },
  },
  harvested: {
    fields: [WHEN, ...QUANTITY(true), { name: "area", label: "area", hint: "area_hint", type: "text" }, { name: "photo", label: "photo", hint: "photo_hint", type: "photo" }, NOTE],
    body: (v) => ({ quantity: quantityOf(v), area: opt(v.area), photo: opt(v.photo), note: opt(v.note) }),
  },
  processed: {
    fields: [
      WHEN,
      { name: "process", label: "process", hint: "process_hint", type: "text", required: true },
      { name: "quantity", label: "output_quantity", hint: "quantity_hint", type: "decimal", path: "output_quantity.value" },
      { name: "unit", label: "unit", type: "select", options: () => optionsOf(words.units), path: "output_quantity.unit" },
      NOTE,
    ],
    body: (v) => ({ process: v.process, output_quantity: quantityOf(v), note: opt(v.note) }),
  },
  packed: {
    fields: [
      WHEN,
      { name: "package_type", label: "package_type", hint: "package_hint", type: "text", required: true },
      { name: "count", label: "count", type: "count", required: true },
      ...QUANTITY(false, "net_quantity"),
      NOTE,
    ],
    body: (v) => ({ package_type: v.package_type, count: Number(v.count), quantity: quantityOf(v), note: opt(v.note) }),
  },
  shipped: {
    fields: [WHEN, { name: "to", label: "to_agency", hint: "agency_id_hint", type: "uuid", required: true }, ...QUANTITY(false), { name: "destination", label: "destination", type: "text" }],
    body: (v) => ({ to: v.to, quantity: quantityOf(v), destination: opt(v.destination) }),
  },
  received: {
    fields: [WHEN, { name: "from", label: "from_agency", hint: "agency_id_hint", type: "uuid", required: true }, ...QUANTITY(false)],
    body: (v) => ({ from: v.from, quantity: quantityOf(v) }),
  },
  sold: {
    fields: [WHEN, { name: "to", label: "buyer", hint: "agency_id_hint", type: "uuid" }, ...QUANTITY(false), { name: "last", label: "last_sale", type: "check" }],
    body: (v) => ({ to: opt(v.to), quantity: quantityOf(v), last: v.last ? true : undefined }),
  },
  corrected: {
    fields: [WHEN, { name: "corrects", label: "corrects", type: "record", required: true }, { name: "reason", label: "reason", type: "area_text", required: true }, NOTE],
    body: (v) => ({ corrects: v.corrects, reason: v.reason, note: opt(v.note) }),
  },
};

/** The mistake of one field's value, in the reader's words, or null. */
function fieldProblem(field, value) {
  const name = t(field.label);
  if (value === "" || value === undefined || value === false) {
    if (!field.required) return null;
    return ["select", "province", "record"].includes(field.type) ? t("choose_one", { field: name }) : t("required", { field: name });
  }
  switch (field.type) {
    case "gtin": {
      const problem = gtinProblem(value);
      return problem ? t(problem[0], problem[1]) : null;
    }
    case "lot":
      return LOT.test(value) ? null : t("lot_form");
    case "decimal":
      return decimalOk(value) ? null : t("decimal_form");
    case "count":
      return /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= 1e9 ? null : t("integer_form");
    case "days":
      return /^[0-9]{1,3}$/.test(value) && Number(value) <= 365 ? null : t("days_form");
    case "uuid":
      return UUID.test(value) ? null : t("uuid_form");
    case "when":
      return new Date(value).getTime() > Date.now() + 5 * 60000 ? t("future") : null;
    case "text":
    case "area_text":
      return textOk(value) ? null : t("required", { field: name });
    case "lines":
      return standardsProblem(value);
    case "date":
      return /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value) ? null : t("date_form");
    default:
      return null;
  }
}

function read(field, input) {
  if (field.type === "check") return input.checked;
  if (field.type === "photo") return input.dataset.sha256 || "";
  const raw = input.value;
  if (field.type === "decimal") return decimalText(raw);
  if (field.type === "uuid") return raw.trim().toLowerCase();
  if (["lot", "gtin", "text", "area_text", "lines"].includes(field.type)) return raw.trim();
  return raw;
}

/** A harvest earlier than the pre-harvest interval of an input applied to the batch. */
function phiWarning(records, occurredLocal, lang) {
  const harvest = new Date(occurredLocal).getTime();
  for (const record of records) {
    const days = record.body && record.body.pre_harvest_interval_days;
    if (record.kind !== "input_applied" || !days) continue;
    const applied = new Date(record.occurred_at);
    const until = new Date(applied.getTime() + days * 86400000);
    if (harvest < until.getTime()) {
      const day = (d) => new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", { dateStyle: "medium" }).format(d);
      return t("phi_warning", { product: record.body.product, date: day(applied), days, until: day(until) });
    }
  }
  return null;
}

async function fillCommunes(select, province, chosen) {
  select.replaceChildren(h("option", { value: "" }, t("choose")));
  if (!province) return;
  const answer = await call("GET", `/api/v1/places/provinces/${province}/communes`).catch(() => null);
  for (const place of (answer && answer.data) || []) {
    const label = document.documentElement.lang === "vi" ? place.name_vi : place.name_en;
    select.append(h("option", { value: place.code, selected: place.code === chosen }, label));
  }
}

/**
 * The form of `kind` in `main`; `ctx`: {values, problem, records, provinces, lang};
 * `onReview(values, body)` is called with a body that passed every check.
 */
export function renderForm(kind, ctx, onReview) {
  const form = FORMS[kind];
  const values = { occurred_at: localNow(), unit: UNITS[0], ...(ctx.values || {}) };
  const inputs = {};
  const messages = {};
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
  const warning = h("p", { class: "warning", role: "status", hidden: true });
  const serverErrors = fieldErrors(ctx.problem);

  const rows = form.fields.map((field) => {
    const id = `f-${field.name}`;
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const message = h("p", { class: "field-error", id: errorId, hidden: true });
    messages[field.name] = message;
    const common = { id, name: field.name, "aria-describedby": `${field.hint ? hintId + " " : ""}${errorId}` };
    let input;
    const value = values[field.name] ?? "";
    if (field.type === "select" || field.type === "province" || field.type === "commune" || field.type === "record") {
      input = h("select", common, h("option", { value: "" }, t("choose")));
      let options = [];
      if (field.type === "select") options = field.options();
      if (field.type === "province") options = (ctx.provinces || []).map((p) => ({ value: p.code, label: ctx.lang === "vi" ? p.name_vi : p.name_en }));
      if (field.type === "record") options = (ctx.records || []).filter((r) => r.record_hash).map((r) => ({ value: r.record_hash, label: `${r.seq}. ${words.kinds[r.kind] || r.kind} · ${r.occurred_at.slice(0, 16).replace("T", " ")}` }));
      for (const o of options) input.append(h("option", { value: o.value, selected: o.value === value }, o.label));
      if (field.type === "select" && (field.name === "unit" || field.unitOf) && !value) input.value = UNITS[0];
    } else if (field.type === "check") {
      input = h("input", { ...common, type: "checkbox", checked: Boolean(value) });
    } else if (field.type === "area_text" || field.type === "lines") {
      input = h("textarea", { ...common, rows: 3 }, value);
    } else if (field.type === "photo") {
      input = h("input", { ...common, type: "file", accept: "image/*", capture: "environment" });
      if (value) input.dataset.sha256 = value;
    } else {
      const types = { when: "datetime-local", date: "date", count: "text", days: "text", decimal: "text" };
      const modes = { gtin: "numeric", count: "numeric", days: "numeric", decimal: "decimal" };
      input = h("input", { ...common, type: types[field.type] || "text", inputmode: modes[field.type], value, autocomplete: "off", spellcheck: field.type === "text" ? null : "false" });
    }
    inputs[field.name] = input;
    const label = h("label", { for: id }, t(field.label));
    const hint = field.hint ? h("p", { class: "hint", id: hintId }, t(field.hint)) : null;
    const note = field.type === "photo" ? h("p", { class: "photo-note", "aria-live": "polite" }) : null;
    if (note && value) note.textContent = t("photo_ready", { width: "…", height: "…" });
    const row = h("div", { class: `field field-${field.type}` }, field.type === "check" ? [input, label] : [label, hint, input], note, message);
    // A part of a long form starts with its heading and what it is for.
    const section = field.section ? [h("h2", { class: "form-section" }, t(field.section)), h("p", {}, t(`${field.section}_intro`))] : [];
    const check = () => {
      const problem = fieldProblem(field, read(field, input));
      message.textContent = problem || (field.type === "gtin" && input.value ? t("gtin_ok") : "");
      message.hidden = !message.textContent;
      message.classList.toggle("ok", !problem);
      input.setAttribute("aria-invalid", problem ? "true" : "false");
      return problem;
    };
    input.addEventListener(field.type === "gtin" || field.type === "lot" || field.type === "decimal" ? "input" : "change", check);
    input.addEventListener("blur", () => input.value && check());
    if (field.type === "province") {
      input.addEventListener("change", () => fillCommunes(inputs.commune, input.value, ""));
    }
    if (field.type === "photo") {
      input.addEventListener("change", async () => {
        const file = input.files && input.files[0];
        if (!file) return;
        const made = await preparePhoto(file);
        input.dataset.sha256 = made.sha256;
        note.textContent = t("photo_ready", made);
      });
    }
    if (kind === "harvested" && field.name === "occurred_at") {
      input.addEventListener("change", () => {
        const text = phiWarning(ctx.records || [], input.value, ctx.lang);
        warning.textContent = text || "";
        warning.hidden = !text;
      });
    }
    if (serverErrors[field.path || field.name]) {
      message.textContent = serverErrors[field.path || field.name];
      message.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
    return [...section, row];
  });
  if (values.province && inputs.commune) fillCommunes(inputs.commune, values.province, values.commune);

  const submit = (event) => {
    event.preventDefault();
    const got = {};
    const errors = {};
    for (const field of form.fields) {
      got[field.name] = read(field, inputs[field.name]);
      const problem = fieldProblem(field, got[field.name]);
      if (problem) errors[field.name] = problem;
    }
    if (form.check) form.check(got, errors);
    for (const field of form.fields) {
      messages[field.name].textContent = errors[field.name] || "";
      messages[field.name].hidden = !errors[field.name];
      inputs[field.name].setAttribute("aria-invalid", errors[field.name] ? "true" : "false");
    }
    const wrong = form.fields.filter((f) => errors[f.name]);
    if (wrong.length) {
      summary.replaceChildren(
        h("h2", {}, t("errors_title")),
        h("ul", {}, wrong.map((f) => h("li", {}, h("a", { href: `#f-${f.name}`, onclick: (e) => { e.preventDefault(); inputs[f.name].focus(); } }, errors[f.name])))),
      );
      summary.hidden = false;
      summary.focus();
      return;
    }
    summary.hidden = true;
    const occurredAt = withOffset(got.occurred_at);
    onReview(got, form.body(got), occurredAt);
  };
  const top = ctx.problem ? h("div", { class: "error-summary", role: "alert" }, h("h2", {}, t("refused")), h("p", {}, ctx.problem.detail || "")) : null;
  const formEl = h("form", { novalidate: true, onsubmit: submit }, rows, warning, h("button", { type: "submit", class: "primary" }, t("review")));
  if (kind === "harvested") inputs.occurred_at.dispatchEvent(new Event("change"));
  return [top, summary, formEl];
}

/** What will be signed, as a person reads it: one line per field that has a value. */
export function summaryOf(kind, values, ctx) {
  const lines = [];
  for (const field of FORMS[kind].fields) {
    let value = values[field.name];
    if (value === "" || value === undefined || value === false || field.name === "unit" || field.unitOf) continue;
    if (field.type === "when") value = value.replace("T", " ");
    if (field.type === "check") value = "✓";
    if (field.type === "lines") value = standardsOf(value).join(" · ");
    if (field.type === "decimal") value = `${value} ${words.units[values[field.unitField || "unit"]] || ""}`.trim();
    if (field.type === "select") value = (field.options().find((o) => o.value === value) || { label: value }).label;
    if (field.type === "province") value = ((ctx.provinces || []).find((p) => p.code === value) || {})[ctx.lang === "vi" ? "name_vi" : "name_en"] || value;
    if (field.type === "photo") value = `${value.slice(0, 12)}…`;
    if (field.type === "record") value = `${value.slice(0, 12)}…`;
    lines.push([t(field.label), String(value)]);
  }
  return lines;
}
