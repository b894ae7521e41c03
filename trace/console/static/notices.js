// A holder's recall notices: the banner on the home screen while one is not acknowledged,
// and the #/notices screen, where each notice is read, acknowledged, and what was withdrawn
// of each batch it reaches is recorded (POST /api/v1/recalls/{id}/withdrawals).

import { fieldErrors } from "./api.js";
import { h, moment, show, t, words } from "./dom.js";
import { newUuid } from "./signing.js";
import { ask, pageLang, problemText } from "./asking.js";

/** A link to #/notices when a recall reaches the agency's goods and is not acknowledged. */
export async function noticeBanner() {
  const answer = await ask("GET", "/api/v1/recalls/notices?limit=20");
  if (!answer.ok || !answer.data.notices.some((n) => !n.acknowledged && !n.recall.corrected)) return null;
  return h("a", { class: "warning recalled notice-banner", href: "#/notices", id: "notice-banner", role: "alert" }, t("notices_banner"));
}

function severityLines(recall) {
  return [words.severities[recall.severity] || recall.severity, h("br"), h("span", { class: "hint" }, words.severity_meanings[recall.severity] || "")];
}

function withdrawalForm(recall, batch, redraw) {
  const base = `w-${recall.id}-${batch.id.slice(0, 8)}`;
  const value = h("input", { id: `${base}-value`, type: "text", inputmode: "decimal", autocomplete: "off", "aria-describedby": `${base}-value-hint ${base}-value-error` });
  const unit = h("select", { id: `${base}-unit`, "aria-describedby": `${base}-unit-error` },
    Object.entries(words.units).map(([code, name]) => h("option", { value: code, selected: code === "KGM" }, name)));
  const note = h("input", { id: `${base}-note`, type: "text", autocomplete: "off", "aria-describedby": `${base}-note-error` });
  const errors = {
    value: h("p", { class: "field-error", id: `${base}-value-error`, hidden: true }),
    unit: h("p", { class: "field-error", id: `${base}-unit-error`, hidden: true }),
    note: h("p", { class: "field-error", id: `${base}-note-error`, hidden: true }),
  };
  const general = h("p", { class: "field-error", role: "alert", hidden: true });
  const inputs = { value, unit, note };
  const showErrors = (found) => {
    for (const [name, el] of Object.entries(errors)) {
      el.textContent = found[name] || "";
      el.hidden = !found[name];
      inputs[name].setAttribute("aria-invalid", found[name] ? "true" : "false");
    }
  };
  const button = h("button", { type: "submit", class: "primary" }, t("withdrawal_save"));
  const submit = async (event) => {
    event.preventDefault();
    general.hidden = true;
    const amount = value.value.trim().replace(",", ".");
    if (!/^\d+(\.\d+)?$/.test(amount) || Number(amount) <= 0) {
      showErrors({ value: t("withdrawal_quantity_form") });
      value.focus();
      return;
    }
    showErrors({});
    const json = { batch: batch.id, quantity: { value: amount, unit: unit.value } };
    if (note.value.trim()) json.note = note.value.trim();
    button.disabled = true;
    const answer = await ask("POST", `/api/v1/recalls/${recall.id}/withdrawals`, { json, headers: { "Idempotency-Key": newUuid() } });
    button.disabled = false;
    if (!answer.ok) {
      const byField = {};
      for (const [path, text] of Object.entries(fieldErrors(answer.problem))) {
        const name = path.replace(/^quantity\./, "");
        if (name in errors) byField[name] = text;
      }
      showErrors(byField);
      general.textContent = problemText(answer);
      general.hidden = false;
      return;
    }
    const q = answer.data.quantity;
    await redraw(t("withdrawal_saved", { amount: `${q.value} ${words.units[q.unit] || q.unit}` }));
  };
  return h("details", { class: "withdrawal" },
    h("summary", {}, t("withdrawal_record")),
    h("form", { novalidate: true, onsubmit: submit, class: "withdrawal-form", "data-batch": batch.code },
      general,
      h("div", { class: "field" }, h("label", { for: value.id }, t("withdrawal_quantity")), h("p", { class: "hint", id: `${base}-value-hint` }, t("withdrawal_quantity_hint")), value, errors.value),
      h("div", { class: "field" }, h("label", { for: unit.id }, t("withdrawal_unit")), unit, errors.unit),
      h("div", { class: "field" }, h("label", { for: note.id }, t("optional", { field: t("withdrawal_note") })), note, errors.note),
      button));
}

function amountWords(withdrawn) {
  // "120 KGM + 3 XBX": each unit's code in words.
  return withdrawn.split(" + ").map((part) => part.replace(/\b([A-Z0-9]{2,3})$/, (code) => words.units[code] || code)).join(" + ");
}

function noticeCard(notice, redraw) {
  const { recall } = notice;
  const acknowledge = async (event) => {
    event.target.disabled = true;
    const answer = await ask("POST", `/api/v1/recalls/${recall.id}/acknowledge`);
    if (!answer.ok) {
      event.target.disabled = false;
      event.target.after(h("p", { class: "field-error", role: "alert" }, problemText(answer)));
      return;
    }
    await redraw();
  };
  return h("li", { class: `notice card${notice.acknowledged ? " acknowledged" : ""}`, id: `notice-${recall.id}` },
    h("h2", {}, t("notice_of", { product: recall.product, code: recall.batch_code })),
    recall.corrected ? h("p", { class: "tag" }, t("notice_corrected")) : null,
    h("dl", { class: "summary" },
      h("dt", {}, t("issued_by")), h("dd", {}, recall.authority ? recall.authority.shown : "-"),
      h("dt", {}, t("decision_number")), h("dd", {}, recall.decision_number || "-"),
      h("dt", {}, t("recall_reason")), h("dd", {}, recall.reason),
      recall.scope ? [h("dt", {}, t("recall_scope")), h("dd", {}, recall.scope)] : null,
      h("dt", {}, t("severity")), h("dd", {}, severityLines(recall)),
      h("dt", {}, t("recall_state")), h("dd", { class: "recall-state" }, words.recall_states[recall.state] || recall.state)),
    notice.acknowledged
      ? h("p", { class: "acknowledged" }, t("notice_acknowledged", { when: moment(notice.acknowledged_at, pageLang()) }))
      : h("button", { type: "button", class: "primary acknowledge", onclick: acknowledge }, t("notice_acknowledge")),
    h("h3", {}, t("notice_batches")),
    h("ul", { class: "batches notice-batches" }, notice.batches.map((b) => h("li", { class: "reached", "data-code": b.code },
      h("b", {}, b.product),
      h("span", {}, t("lot_of", { lot: b.lot }), " · ", h("span", { class: "code" }, b.code)),
      b.in_transit_to_you ? h("span", { class: "tag" }, t("notice_in_transit")) : null,
      h("span", { class: "withdrawn" }, b.withdrawn ? t("notice_withdrawn", { amount: amountWords(b.withdrawn) }) : t("notice_withdrawn_none")),
      h("a", { class: "small-link", href: b.page_url }, t("page_with_banner")),
      b.held && recall.state !== "closed" ? withdrawalForm(recall, b, redraw) : null))));
}

/** #/notices: every recall notice of the agency, newest first. */
export async function noticesScreen(back) {
  const draw = async (done) => {
    const answer = await ask("GET", "/api/v1/recalls/notices?limit=50");
    if (!answer.ok) {
      show(t("notices_title"), h("p", { class: "error-summary", role: "alert" }, problemText(answer)), back());
      return;
    }
    const notices = answer.data.notices;
    show(t("notices_title"),
      done ? h("p", { class: "banner banner-done", role: "status", id: "notice-done" }, done) : null,
      h("p", {}, t("notices_intro")),
      notices.length
        ? h("ul", { class: "notices", id: "notices" }, notices.map((n) => noticeCard(n, draw)))
        : h("p", { class: "empty" }, t("notices_none")),
      back());
  };
  await draw(null);
}
