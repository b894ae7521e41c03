// Statements signed on the phone (DESIGN.md, "Statements"; trace/domain/statement.py):
//   statement_hash = SHA-256(canonical bytes)
//   signature      = Ed25519(key, "trace/statement/v1\n" || statement_hash)
// The key is made by WebCrypto, not extractable, and kept in IndexedDB; the server only
// ever sees its public half.

import { canonicalBytes } from "./canonical.js";
import * as store from "./store.js";

const SIGNATURE_CONTEXT = new TextEncoder().encode("trace/statement/v1\n");
const KEY_ID_CONTEXT = new TextEncoder().encode("trace/key/v1\n");
export const STATEMENT_VERSION = 1;

export function toBase64(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function toHex(bytes) {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** 32 hex digits from the platform's random source: two equal events are two statements. */
export function newNonce() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** A random lower-case UUID (version 4): the id of a batch registered on the phone. */
export function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

let support = null;

/** Whether this browser makes and uses Ed25519 keys (WebCrypto "Ed25519"). */
export function ed25519Supported() {
  if (support === null) {
    support = (async () => {
      try {
        const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
        await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new Uint8Array(1));
        return true;
      } catch (error) {
        return false;
      }
    })();
  }
  return support;
}

/** The key id the ledger derives from a public key (trace.domain.statement.key_id). */
export async function keyId(publicRaw) {
  return toHex(await sha256(concat(KEY_ID_CONTEXT, new Uint8Array(publicRaw)))).slice(0, 16);
}

/** This phone's key pair for `agencyId`, made once (not extractable) and kept in IndexedDB. */
export async function deviceKey(agencyId) {
  const id = `device:${agencyId}`;
  const kept = await store.get("keys", id);
  if (kept) return kept;
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const made = {
    id,
    agency: agencyId,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicRaw,
    localKeyId: await keyId(publicRaw),
    keyId: null, // the ledger's, once registered
  };
  await store.put("keys", made);
  return made;
}

/** The statement of one event, before signing: the envelope around `body`. */
export function statementOf({ batch, agency, key, kind, occurredAt, body, nonce }) {
  return {
    v: STATEMENT_VERSION,
    batch,
    agency,
    key,
    kind,
    occurred_at: occurredAt,
    nonce: nonce || newNonce(),
    body,
  };
}

/** Sign `statement` with `privateKey`: its canonical bytes, hash and signature. */
export async function signStatement(statement, privateKey) {
  const bytes = canonicalBytes(statement);
  const digest = await sha256(bytes);
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, privateKey, concat(SIGNATURE_CONTEXT, digest)),
  );
  return {
    bytes,
    hash: toHex(digest),
    statement: toBase64(bytes),
    signature: toBase64(signature),
    key_id: statement.key,
  };
}
