// The queue of signed statements and how it drains: photos first, then the statements, in
// the order they were signed, by POST /api/v1/records/bulk (one by one by
// POST /api/v1/records when the service has no bulk endpoint). A refused statement stays on
// the phone with the problem; nothing leaves the queue but what the ledger accepted.

import { call, session, Unreachable } from "./api.js";
import * as store from "./store.js";

let running = null;

export async function waiting() {
  const entries = await store.all("queue");
  return entries.sort((a, b) => a.signed_at.localeCompare(b.signed_at) || a.hash.localeCompare(b.hash));
}

async function sendPhoto(sha) {
  const photo = await store.get("photos", sha);
  if (!photo || photo.uploaded) return true;
  const answer = await call("POST", "/api/v1/photos", { body: photo.blob, type: "image/jpeg" });
  if (!answer.ok) return false;
  await store.put("photos", { ...photo, uploaded: true });
  return true;
}

function signedOf(entry) {
  return { statement: entry.statement, signature: entry.signature, key_id: entry.key_id };
}

async function settle(entry, status, data, problem) {
  if (status === 201 || status === 200) {
    await store.remove("queue", entry.hash);
    if (data && data.batch) await store.put("batches", { ...data.batch, seen_at: new Date().toISOString() });
    if (data && data.batch && data.batch.id !== entry.batch) {
      // Registered unsigned: the server chose the batch's id; what waits for it follows.
      await store.remove("batches", entry.batch);
      for (const later of await store.all("queue")) {
        if (later.batch === entry.batch && !later.signature) await store.put("queue", { ...later, batch: data.batch.id });
      }
    }
    return "sent";
  }
  if (status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429) {
    await store.put("queue", { ...entry, state: "refused", problem });
    return "refused";
  }
  return "waiting";
}

async function sendUnsigned(entry) {
  const path = entry.kind === "registered" ? "/api/v1/batches" : `/api/v1/batches/${entry.batch}/events`;
  const json = entry.kind === "registered"
    ? { occurred_at: entry.occurred_at, body: entry.body }
    : { kind: entry.kind, occurred_at: entry.occurred_at, body: entry.body };
  const answer = await call("POST", path, { json, headers: { "Idempotency-Key": entry.hash } });
  return settle(entry, answer.status, answer.data, answer.problem);
}

async function sendOneByOne(entries) {
  const outcome = [];
  for (const entry of entries) {
    const answer = await call("POST", "/api/v1/records", { json: signedOf(entry) });
    outcome.push(await settle(entry, answer.status, answer.data, answer.problem));
  }
  return outcome;
}

async function drainOnce() {
  const entries = (await waiting()).filter((e) => e.state !== "refused");
  if (!entries.length) return { sent: 0, refused: 0 };
  if (!session.csrf) {
    const kept = await store.get("meta", "session");
    if (kept) session.csrf = kept.csrf;
  }
  const ready = [];
  for (const entry of entries) {
    if (entry.photo && !(await sendPhoto(entry.photo))) continue; // the photo first, always
    ready.push(entry);
  }
  const outcome = [];
  for (const entry of ready.filter((e) => !e.signature)) outcome.push(await sendUnsigned(entry));
  const signed = ready.filter((e) => e.signature);
  if (signed.length) {
    const answer = await call("POST", "/api/v1/records/bulk", { json: { records: signed.map(signedOf) } });
    if (answer.status === 404 || answer.status === 405) {
      outcome.push(...(await sendOneByOne(signed)));
    } else if (answer.ok && answer.data && Array.isArray(answer.data.results)) {
      for (const [i, result] of answer.data.results.entries()) {
        outcome.push(await settle(signed[i], result.status, result, result.problem));
      }
    }
  }
  return {
    sent: outcome.filter((o) => o === "sent").length,
    refused: outcome.filter((o) => o === "refused").length,
  };
}

/** Send what waits; one drain at a time. Resolves to counts, or `{offline: true}`. */
export function drain() {
  if (!running) {
    running = drainOnce()
      .catch((error) => {
        if (error instanceof Unreachable) return { offline: true };
        throw error;
      })
      .finally(() => {
        running = null;
      });
  }
  return running;
}

/** Keep `entry` (a signed or to-be-signed statement) until the ledger accepts it. */
export async function enqueue(entry) {
  return store.addOnce("queue", { state: "waiting", problem: null, ...entry });
}
