// Calls to the service: the session cookie travels by itself, every write carries the
// session's CSRF token, and answers are read as data or as an RFC 9457 problem. No DOM: the
// service worker imports this module too.

export const session = { csrf: null, lang: "vi" };

/** The network could not be reached (offline, or the service is down). */
export class Unreachable extends Error {}

/**
 * `method path` with a JSON `json` body or a raw `body`; resolves to
 * `{status, ok, data, problem}` (problem: the RFC 9457 object of a refusal).
 */
export async function call(method, path, { json, body, type, headers = {} } = {}) {
  const sent = { "Accept-Language": session.lang, Accept: "application/json", ...headers };
  if (method !== "GET" && method !== "HEAD" && session.csrf) sent["X-CSRF-Token"] = session.csrf;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    sent["Content-Type"] = "application/json";
  } else if (type) {
    sent["Content-Type"] = type;
  }
  let response;
  try {
    response = await fetch(path, { method, headers: sent, body: payload, credentials: "same-origin" });
  } catch (error) {
    throw new Unreachable(String(error));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = null;
  }
  const problem = response.ok ? null : data || { status: response.status, detail: text };
  return { status: response.status, ok: response.ok, data: response.ok ? data : null, problem };
}

/** A problem's errors by form field: the last segments of each `field` path. */
export function fieldErrors(problem) {
  const found = {};
  for (const error of (problem && problem.errors) || []) {
    const path = String(error.field || "").replace(/^(statement\.)?(body\.)?/, "");
    found[path] = error.detail;
  }
  return found;
}
