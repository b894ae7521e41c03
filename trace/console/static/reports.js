// The shoppers' reports queue (GET /api/v1/reports), for the authority of the batch's
// province and for its producer: each report's batch, what the shopper said, when, how to
// reach them (private: shown here only, never kept by the service worker) and its state,
// with the buttons that move it on (PATCH /api/v1/reports/{id}).

import { h, moment, show, t, words } from "./dom.js";
import { fromBase64 } from "./signing.js";
import { ask, pageLang, problemText } from "./asking.js";

const STATES = ["new", "looked_at", "closed", "inspection"];

/** Mark report `id` turned into the inspection recorded at log `position`. */
export async function linkReport(id, position) {
  return ask("PATCH", `/api/v1/reports/${id}`, { json: { state: "inspection", inspection: position } });
}

function fromStatement(statement) {
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64(statement)));
  } catch (error) {
    return null;
  }
}

// The batch's inspections, by their records: the officer may link one already recorded.
async function inspectionsOf(batchId) {
  const answer = await ask("GET", `/api/v1/batches/${batchId}/records?proofs=false&limit=500`);
  if (!answer.ok) return [];
  return answer.data.records.map((r) => ({ position: r.position, statement: fromStatement(r.statement) }))
    .filter((r) => r.statement && r.statement.kind === "inspected");
}

function inspectionPicker(report, change) {
  const id = `pick-${report.id}`;
  const box = h("div", { class: "field pick-inspection" });
  const details = h("details", {}, h("summary", {}, t("report_pick_inspection")), box);
  details.addEventListener("toggle", async () => {
    if (!details.open || box.dataset.loaded) return;
    box.dataset.loaded = "true";
    const found = await inspectionsOf(report.batch_id);
    if (!found.length) {
      box.append(h("p", { class: "empty" }, t("report_no_inspection")));
      return;
    }
    const chosen = h("select", { id }, found.map((r) => h("option", { value: r.position },
      `${moment(r.statement.occurred_at, pageLang())} · ${t("report_inspection_is", { position: r.position })}`)));
    box.append(h("label", { for: id }, t("report_pick_inspection")), chosen,
      h("button", { type: "button", onclick: () => change({ state: "inspection", inspection: Number(chosen.value) }) }, t("report_link_inspection")));
  });
  return details;
}

function reportCard(report, officer, redraw) {
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const change = async (json) => {
    const answer = await ask("PATCH", `/api/v1/reports/${report.id}`, { json });
    if (!answer.ok) {
      error.textContent = problemText(answer);
      error.hidden = false;
      return;
    }
    await redraw();
  };
  const button = (state, label) => h("button", { type: "button", class: `mark-${state}`, onclick: () => change({ state }) }, label);
  return h("li", { class: `report card state-${report.state}`, id: `report-${report.id}` },
    h("h2", {}, t("report_of", { id: report.id, product: report.product, code: report.batch_code })),
    h("p", {}, t("report_sent", { when: moment(report.at, pageLang()) })),
    h("p", {}, t("problem_is", { problem: words.report_problems[report.problem] || report.problem })),
    report.text ? h("blockquote", { class: "shopper-words" }, report.text) : null,
    h("p", { class: "contact" }, report.contact ? t("report_contact", { contact: report.contact }) : t("report_no_contact")),
    report.photo ? h("a", { class: "small-link", href: report.photo.url, target: "_blank", rel: "noopener" }, t("report_photo")) : null,
    h("p", { class: "tag report-state" }, t("report_state", { state: words.report_states[report.state] || report.state })),
    report.state_changed_at ? h("p", { class: "hint" }, t("report_changed", { agency: report.state_changed_by || "-", when: moment(report.state_changed_at, pageLang()) })) : null,
    report.inspection !== null ? h("p", {}, officer ? h("a", { href: `#/inspect/${report.batch_id}` }, t("report_inspection_is", { position: report.inspection })) : t("report_inspection_is", { position: report.inspection })) : null,
    error,
    h("div", { class: "actions" },
      report.state === "new" ? button("looked_at", t("report_mark_looked_at")) : null,
      report.state !== "closed" ? button("closed", t("report_mark_closed")) : null,
      officer && report.state !== "inspection" ? h("a", { class: "button", href: `#/inspect/${report.batch_id}/inspected?report=${report.id}` }, t("report_inspect")) : null),
    officer && report.state !== "inspection" ? inspectionPicker(report, change) : null);
}

/** #/reports[?state=new]: the queue, filtered by state; `nav` draws the screen's menu. */
export async function reportsScreen(query, { nav, back, officer }) {
  const params = new URLSearchParams(query || "");
  const chosen = STATES.includes(params.get("state")) ? params.get("state") : "";
  const filter = h("select", { id: "report-state", onchange: (event) => {
    location.hash = event.target.value ? `#/reports?state=${event.target.value}` : "#/reports";
  } }, h("option", { value: "" }, t("reports_all")),
  STATES.map((s) => h("option", { value: s, selected: s === chosen }, words.report_states[s])));
  const draw = async () => {
    const asked = new URLSearchParams({ limit: "100" });
    if (chosen) asked.set("state", chosen);
    const answer = await ask("GET", `/api/v1/reports?${asked.toString()}`);
    const top = [nav ? nav() : null, h("p", {}, t("reports_intro")),
      h("div", { class: "field" }, h("label", { for: "report-state" }, t("reports_state_filter")), filter)];
    if (!answer.ok) {
      show(t("reports_title"), top, h("p", { class: "error-summary", role: "alert" }, problemText(answer)), back ? back() : null);
      return;
    }
    // Newest first: the API answers in the order they were sent.
    const reports = answer.data.reports.slice().reverse();
    show(t("reports_title"), top,
      reports.length
        ? h("ul", { class: "reports", id: "reports", "data-state": chosen || "all" }, reports.map((r) => reportCard(r, officer, draw)))
        : h("p", { class: "empty", id: "reports", "data-state": chosen || "all" }, t("reports_none")),
      back ? back() : null);
  };
  await draw();
}
