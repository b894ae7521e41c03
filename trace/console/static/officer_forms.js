// The officers' forms: an inspection's results, a certificate and a recall. Each field is
// checked as the ledger checks it (trace/domain/kinds.py) before anything is sent; the
// service's refusals come back beside their fields. The server signs with the agency's key.

import { call, fieldErrors, Unreachable } from "./api.js";
import { decimalOk, decimalText, localNow, textOk, withOffset } from "./checks.js";
import { h, t, words } from "./dom.js";

const ANALYTE_VALUE = /^<?(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?$/;
const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** The id of a field's input from its path in the body: analytes[0].value -> o-analytes-0-value. */
export function inputId(path) {
  return `o-${path.replace(/\[(\d+)\]\.?/g, "-$1-").replace(/\./g, "-").replace(/-$/, "")}`;
}

function options(map, chosen) {
  return [h("option", { value: "" }, t("choose")), ...Object.entries(map).map(([value, label]) => h("option", { value, selected: value === chosen }, label))];
}

/** One labelled field: `spec` {path, label, hint, type, required, options, check, value}. */
function field(spec, registry) {
  const id = inputId(spec.path);
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const described = `${spec.hint ? id + "-hint " : ""}${id}-error`;
  let input;
  if (spec.options) input = h("select", { id, name: spec.path, "aria-describedby": described }, options(spec.options, spec.value));
  else if (spec.type === "area") input = h("textarea", { id, name: spec.path, rows: 3, "aria-describedby": described }, spec.value || "");
  else input = h("input", { id, name: spec.path, type: spec.type || "text", value: spec.value || "", autocomplete: "off", inputmode: spec.inputmode, "aria-describedby": described });
  const entry = { ...spec, id, input, error };
  registry.push(entry);
  // A message goes away as soon as what is typed is right (while typing, so that nothing
  // moves under the pointer when the field is left); new ones wait for the button.
  input.addEventListener("input", () => {
    if (!error.hidden && !problemOf(entry, valueOf(entry))) {
      error.hidden = true;
      input.setAttribute("aria-invalid", "false");
      input.dispatchEvent(new CustomEvent("fixed", { bubbles: true, detail: id }));
    }
  });
  const label = h("label", { for: id }, spec.required ? t(spec.label) : t("optional", { field: t(spec.label) }));
  return h("div", { class: "field" }, label, spec.hint ? h("p", { class: "hint", id: `${id}-hint` }, t(spec.hint)) : null, input, error);
}

function problemOf(spec, value) {
  if (!value) return spec.required ? t(spec.options ? "choose_one" : "required", { field: t(spec.label) }) : null;
  if (spec.type === "datetime-local" && new Date(value).getTime() > Date.now() + 5 * 60000) return t("future");
  if (spec.type === "date" && !DAY.test(value)) return t("date_form");
  if (spec.kind === "analyte") return ANALYTE_VALUE.test(value) ? null : t("analyte_form");
  if (spec.kind === "decimal") return decimalOk(value) ? null : t("decimal_form");
  if (!spec.options && !["date", "datetime-local"].includes(spec.type) && !textOk(value)) return t("required", { field: t(spec.label) });
  return null;
}

function valueOf(spec) {
  const raw = spec.input.value.trim();
  return spec.kind === "analyte" || spec.kind === "decimal" ? decimalText(raw) : raw;
}

/** Shows `errors` (by input id) beside their fields and in a summary at the top. */
function showErrors(registry, summary, errors, detail) {
  for (const spec of registry) {
    const text = errors[spec.id];
    spec.error.textContent = text || "";
    spec.error.hidden = !text;
    spec.input.setAttribute("aria-invalid", text ? "true" : "false");
  }
  const wrong = registry.filter((spec) => errors[spec.id]);
  const loose = Object.entries(errors).filter(([id]) => !registry.some((spec) => spec.id === id));
  if (!wrong.length && !loose.length && !detail) {
    summary.hidden = true;
    return;
  }
  const parts = [
    h("h2", {}, t(detail ? "refused" : "errors_title")),
    detail ? h("p", { class: "problem" }, detail) : null,
    h("ul", {}, wrong.map((spec) => h("li", { "data-for": spec.id }, h("a", { href: `#${spec.id}`, onclick: (e) => { e.preventDefault(); spec.input.focus(); } }, errors[spec.id]))),
      loose.map(([id, text]) => h("li", { "data-for": id }, document.getElementById(id)
        ? h("a", { href: `#${id}`, onclick: (e) => { e.preventDefault(); document.getElementById(id).querySelector("input").focus(); } }, text)
        : text))),
  ];
  summary.replaceChildren(...parts.filter(Boolean));
  summary.hidden = false;
  summary.focus();
}

/**
 * A form in `main`'s children: `sections` are arrays of field specs or elements; `make`
 * turns the values (by path) into [method, path, json] once every check passes; `done`
 * gets the service's answer.
 */
function officerForm({ build, make, extraCheck, done, submitLabel }) {
  const registry = [];
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
  const body = h("div", {});
  // Drawn again (a sample added, the scheme changed) with what was typed kept. replaceChildren
  // would write an array or a null as text: only elements go in.
  const redraw = () => {
    const typed = {};
    for (const el of body.querySelectorAll("input, select, textarea")) typed[el.id] = el.value;
    body.replaceChildren(...build((spec) => field(spec, registry)).flat(Infinity).filter(Boolean));
    for (const el of body.querySelectorAll("input, select, textarea")) if (el.id in typed) el.value = typed[el.id];
  };
  redraw();
  const submit = async (event) => {
    event.preventDefault();
    const values = {};
    const errors = {};
    for (const spec of registry) {
      if (!spec.input.isConnected) continue;
      values[spec.path] = valueOf(spec);
      const problem = problemOf(spec, values[spec.path]);
      if (problem) errors[spec.id] = problem;
    }
    if (extraCheck) extraCheck(values, errors);
    showErrors(registry.filter((s) => s.input.isConnected), summary, errors, null);
    if (Object.keys(errors).length) return;
    const [method, path, json] = make(values);
    button.disabled = true;
    try {
      const answer = await call(method, path, { json });
      if (!answer.ok) {
        const byField = {};
        for (const [path, text] of Object.entries(fieldErrors(answer.problem))) byField[inputId(path)] = text;
        showErrors(registry.filter((s) => s.input.isConnected), summary, byField, (answer.problem && answer.problem.detail) || String(answer.status));
        return;
      }
      await done(answer.data);
    } catch (error) {
      showErrors(registry, summary, {}, error instanceof Unreachable ? t("network_error") : String(error.message || error));
    } finally {
      button.disabled = false;
    }
  };
  const button = h("button", { type: "submit", class: "primary", id: "officer-submit" }, submitLabel);
  // A mistake put right leaves the summary; the summary goes once none is left.
  const fixed = (event) => {
    const line = summary.querySelector(`li[data-for="${event.detail}"]`);
    if (line) line.remove();
    if (!summary.querySelector("li") && !summary.querySelector(".problem")) summary.hidden = true;
  };
  return { element: h("form", { novalidate: true, onsubmit: submit, onfixed: fixed, id: "officer-form" }, summary, body, button), redraw };
}

const WHEN = (label = "occurred_at") => ({ path: "occurred_at", label, hint: "occurred_hint", type: "datetime-local", required: true, value: localNow() });

/** The inspection form of batch `id`: samples and analytes, as many as the laboratory sent. */
export function inspectionForm(id, done) {
  let samples = 1;
  let analytes = 1;
  const form = officerForm({
    submitLabel: t("inspection_save"),
    build: (f) => [
      f(WHEN()),
      f({ path: "laboratory", label: "laboratory", hint: "laboratory_hint", required: true }),
      h("h2", {}, t("samples")),
      Array.from({ length: samples }, (_, i) => h("fieldset", { class: "group" }, h("legend", {}, t("sample_n", { n: i + 1 })),
        f({ path: `samples[${i}].code`, label: "sample_code", required: true }),
        f({ path: `samples[${i}].matrix`, label: "sample_matrix", hint: "sample_matrix_hint" }))),
      h("button", { type: "button", id: "add-sample", onclick: () => { samples += 1; keep(); } }, t("add_sample")),
      h("h2", {}, t("analytes")),
      Array.from({ length: analytes }, (_, i) => h("fieldset", { class: "group" }, h("legend", {}, t("analyte_n", { n: i + 1 })),
        f({ path: `analytes[${i}].name`, label: "analyte_name", hint: "analyte_name_hint", required: true }),
        f({ path: `analytes[${i}].value`, label: "analyte_value", hint: "analyte_value_hint", required: true, kind: "analyte", inputmode: "decimal" }),
        f({ path: `analytes[${i}].limit`, label: "analyte_limit", kind: "decimal", inputmode: "decimal" }),
        f({ path: `analytes[${i}].unit`, label: "analyte_unit", hint: "analyte_unit_hint", required: true }),
        f({ path: `analytes[${i}].method`, label: "analyte_method", hint: "analyte_method_hint", required: true }),
        f({ path: `analytes[${i}].result`, label: "analyte_result", required: true, options: words.inspection_results }))),
      h("button", { type: "button", id: "add-analyte", onclick: () => { analytes += 1; keep(); } }, t("add_analyte")),
      h("h2", {}, t("conclusion")),
      f({ path: "result", label: "inspection_result", required: true, options: words.inspection_results }),
      f({ path: "certificate_number", label: "certificate_number", hint: "test_report_hint" }),
      f({ path: "reference", label: "reference", hint: "reference_hint" }),
      f({ path: "note", label: "remarks", type: "area" }),
    ],
    extraCheck: (v, errors) => {
      const failed = Array.from({ length: analytes }, (_, i) => v[`analytes[${i}].result`]).includes("non_conformant");
      if (failed && v.result === "conformant") errors[inputId("result")] = t("result_contradicts");
    },
    make: (v) => {
      const opt = (x) => (x ? x : undefined);
      const body = {
        laboratory: v.laboratory,
        samples: Array.from({ length: samples }, (_, i) => ({ code: v[`samples[${i}].code`], matrix: opt(v[`samples[${i}].matrix`]) })),
        analytes: Array.from({ length: analytes }, (_, i) => ({
          name: v[`analytes[${i}].name`], value: v[`analytes[${i}].value`], limit: opt(v[`analytes[${i}].limit`]),
          unit: v[`analytes[${i}].unit`], method: v[`analytes[${i}].method`], result: v[`analytes[${i}].result`],
        })),
        result: v.result,
        certificate_number: opt(v.certificate_number),
        reference: opt(v.reference),
        note: opt(v.note),
      };
      return ["POST", `/api/v1/batches/${id}/events`, { kind: "inspected", occurred_at: withOffset(v.occurred_at), body }];
    },
    done,
  });
  const keep = () => form.redraw();
  return form.element;
}

/** The certificate form of batch `id`: VietGAP, organic, OCOP with its stars and decision. */
export function certificationForm(id, done) {
  let scheme = "";
  const form = officerForm({
    submitLabel: t("certification_save"),
    build: (f) => {
      const ocop = scheme === "ocop";
      const schemeField = f({ path: "scheme", label: "scheme", required: true, options: words.schemes, value: scheme });
      schemeField.querySelector("select").addEventListener("change", (event) => { scheme = event.target.value; keep(); });
      return [
        f(WHEN("certified_at")),
        schemeField,
        f({ path: "certificate_number", label: "certificate_number", required: true }),
        f({ path: "issuer", label: "issuer", hint: "issuer_hint", required: true }),
        f({ path: "valid_from", label: "valid_from", type: "date", required: true }),
        f({ path: "valid_until", label: "valid_until", hint: ocop ? "ocop_validity_hint" : null, type: "date", required: true }),
        ocop ? f({ path: "stars", label: "stars", required: true, options: { 3: "3 ★★★", 4: "4 ★★★★", 5: "5 ★★★★★" } }) : null,
        ocop ? f({ path: "issuer_level", label: "issuer_level", required: true, options: words.issuer_levels }) : null,
        f({ path: "decision_number", label: "decision_number", hint: "decision_hint", required: ocop }),
        f({ path: "scope", label: "certificate_scope", hint: "certificate_scope_hint" }),
      ];
    },
    extraCheck: (v, errors) => {
      if (v.valid_from && v.valid_until && v.valid_until <= v.valid_from) errors[inputId("valid_until")] = t("valid_until_after");
    },
    make: (v) => {
      const opt = (x) => (x ? x : undefined);
      const body = {
        scheme: v.scheme,
        certificate_number: v.certificate_number,
        issuer: v.issuer,
        valid_from: v.valid_from,
        valid_until: v.valid_until,
        stars: v.stars ? Number(v.stars) : undefined,
        issuer_level: opt(v.issuer_level),
        decision_number: opt(v.decision_number),
        scope: opt(v.scope),
      };
      return ["POST", `/api/v1/batches/${id}/events`, { kind: "certified", occurred_at: withOffset(v.occurred_at), body }];
    },
    done,
  });
  const keep = () => form.redraw();
  return form.element;
}

/** The recall form of batch `id`: reason, severity with what each class means, scope, decision. */
export function recallForm(id, done) {
  const severities = h("fieldset", { class: "field severities", id: "o-severity", tabindex: "-1", "aria-describedby": "o-severity-error" },
    h("legend", {}, t("severity")),
    Object.entries(words.severities).map(([value, label]) => h("div", { class: "field-check" },
      h("input", { type: "radio", name: "severity", id: `severity-${value}`, value, "aria-describedby": `severity-${value}-means` }),
      h("label", { for: `severity-${value}` }, label, h("span", { class: "hint", id: `severity-${value}-means` }, words.severity_meanings[value])))),
    h("p", { class: "field-error", id: "o-severity-error", hidden: true }));
  const severityError = severities.querySelector(".field-error");
  severities.addEventListener("change", () => {
    severityError.hidden = true;
    severities.dispatchEvent(new CustomEvent("fixed", { bubbles: true, detail: "o-severity" }));
  });
  const chosen = () => (severities.querySelector("input:checked") || {}).value || "";
  const form = officerForm({
    submitLabel: t("recall_save"),
    build: (f) => [
      f({ path: "decision_number", label: "decision_number", hint: "recall_decision_hint", required: true }),
      f(WHEN("decided_at")),
      f({ path: "reason", label: "recall_reason", hint: "recall_reason_hint", type: "area", required: true }),
      severities,
      f({ path: "scope", label: "recall_scope", hint: "recall_scope_hint", type: "area" }),
      f({ path: "effective_at", label: "effective_at", hint: "effective_hint", type: "datetime-local" }),
    ],
    extraCheck: (v, errors) => {
      const text = chosen() ? "" : t("choose_one", { field: t("severity") });
      severityError.textContent = text;
      severityError.hidden = !text;
      if (text) errors["o-severity"] = text;
    },
    make: (v) => ["POST", "/api/v1/recalls", {
      batch: id,
      reason: v.reason,
      severity: chosen(),
      scope: v.scope || undefined,
      decision_number: v.decision_number,
      effective_at: v.effective_at ? withOffset(v.effective_at) : undefined,
      occurred_at: withOffset(v.occurred_at),
    }],
    done,
  });
  return form.element;
}
