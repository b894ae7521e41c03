// What the officers' and holders' screens share when they ask the service: an answer even
// when the network is gone (as a refusal that says so), a refusal's words, the page's language.

import { call, Unreachable } from "./api.js";
import { t } from "./dom.js";

/** The page's language, as the shell wrote it. */
export function pageLang() {
  return document.documentElement.lang || "vi";
}

/** `call()`, but an unreachable service answers as a refusal saying so. */
export async function ask(method, path, options) {
  try {
    return await call(method, path, options);
  } catch (error) {
    if (error instanceof Unreachable) return { ok: false, status: 0, problem: { detail: t("network_error") } };
    throw error;
  }
}

/** The words of a refusal: its detail, else its status. */
export function problemText(answer) {
  return (answer.problem && answer.problem.detail) || String(answer.status);
}
