// A recall's steps on the officer's reach screen: its state in words, each step (who,
// when, what), each batch's withdrawals, and for the issuing authority the buttons that
// declare the holders notified and close the recall.

import { call, fieldErrors, Unreachable } from "./api.js";
import { h, moment, t, words } from "./dom.js";
import { newUuid } from "./signing.js";
import { pageLang } from "./asking.js";

function amount(quantity) {
  return quantity ? `${quantity.value} ${words.units[quantity.unit] || quantity.unit}` : "";
}

function stepLine(step) {
  return h("li", { class: `step step-${step.kind}` },
    h("b", {}, words.kinds[step.kind] || step.kind),
    h("span", {}, t("step_by_when", { agency: step.agency ? step.agency.shown : "-", when: moment(step.occurred_at, pageLang()) })),
    step.quantity ? h("span", {}, t("step_quantity", { amount: amount(step.quantity) })) : null,
    step.note ? h("span", {}, t("step_note", { note: step.note })) : null);
}

/** The recall's state in words and its steps, in the order they were recorded. */
export function stepsSection(recall) {
  return h("section", { id: "recall-steps", "aria-labelledby": "recall-steps-title" },
    h("p", { class: `recall-state state-${recall.state}`, id: "recall-state" },
      h("b", {}, t("recall_state"), ": "), words.recall_states[recall.state] || recall.state),
    h("h2", { id: "recall-steps-title" }, t("recall_steps")),
    recall.steps.length
      ? h("ol", { class: "steps", id: "steps" }, recall.steps.map(stepLine))
      : h("p", { class: "empty" }, t("recall_steps_none")));
}

/** What the holder of a reached batch withdrew of it, for its card in the reach list. */
export function withdrawalsOf(batch) {
  if (!batch.withdrawals || !batch.withdrawals.length) return h("span", { class: "withdrawn none" }, t("withdrawals_none"));
  return h("div", { class: "withdrawn" }, h("span", {}, t("withdrawals_of")),
    h("ul", {}, batch.withdrawals.map((w) => h("li", {},
      `${amount(w.quantity)} · ${t("step_by_when", { agency: w.agency ? w.agency.shown : "-", when: moment(w.occurred_at, pageLang()) })}`,
      w.note ? ` · ${w.note}` : ""))));
}

function stepForm({ id, path, label, hint, required, button, recallId, done }) {
  const note = h("input", { id, type: "text", autocomplete: "off", "aria-describedby": `${id}-hint ${id}-error` });
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const submit = h("button", { type: "submit", class: path === "close" ? "danger" : "primary", id: `${id}-submit` }, button);
  const send = async (event) => {
    event.preventDefault();
    const text = note.value.trim();
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
      note.setAttribute("aria-invalid", "true");
      note.focus();
    };
    if (required && !text) return fail(t("close_note_needed"));
    submit.disabled = true;
    let answer;
    try {
      answer = await call("POST", `/api/v1/recalls/${recallId}/${path}`, { json: text ? { note: text } : {}, headers: { "Idempotency-Key": newUuid() } });
    } catch (caught) {
      submit.disabled = false;
      if (caught instanceof Unreachable) return fail(t("network_error"));
      throw caught;
    }
    submit.disabled = false;
    if (!answer.ok) return fail(fieldErrors(answer.problem).note || (answer.problem && answer.problem.detail) || String(answer.status));
    await done();
  };
  return h("form", { class: "step-form", id: `${id}-form`, novalidate: true, onsubmit: send },
    h("div", { class: "field" }, h("label", { for: id }, label), h("p", { class: "hint", id: `${id}-hint` }, hint), note, error),
    submit);
}

/** The issuing authority's buttons for the recall's next steps; null for anyone else. */
export function authorityActions(me, recall, done) {
  const scopes = me.scopes || [];
  const issuer = recall.authority && recall.authority.id === me.agency_id;
  if (!issuer || !(scopes.includes("recall") || scopes.includes("record"))) return null;
  if (recall.state === "closed") return h("p", { class: "tag" }, t("recall_closed_note"));
  const notified = recall.steps.some((s) => s.kind === "recall_notified");
  return h("div", { class: "recall-actions", id: "recall-actions" },
    notified ? null : stepForm({ id: "notified-note", path: "notified", label: t("optional", { field: t("notified_note") }), hint: t("notified_note_hint"), required: false, button: t("mark_notified"), recallId: recall.id, done }),
    stepForm({ id: "close-note", path: "close", label: t("close_note"), hint: t("close_note_hint"), required: true, button: t("close_recall"), recallId: recall.id, done }));
}
