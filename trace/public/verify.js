// Re-checks on this device, with WebCrypto only, every record of a batch's page: signature,
// record hash, chain, and inclusion under the checkpoint the log's key signed. Input:
// trace.page-proofs/v1 (trace/public/proofs.py) from the page's own URL; bytes as in
// docs/formats.md. The page works without this script.
(() => {
  "use strict";
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  let el = null;
  // Where verification stands: on failure, the record and the check that failed.
  let seq = 1;
  let what = "checkpoint";

  const need = (ok) => {
    if (!ok) throw new Error(what);
  };
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (s) => Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
  // Canonical base64 only, as the Python verifier reads it.
  const unb64 = (s) => {
    const b = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    need(btoa(Array.from(b, (x) => String.fromCharCode(x)).join("")) === s);
    return b;
  };
  // Big-endian; also the u64 bytes of seq and position.
  const int64 = (n) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(n));
    return b;
  };
  // The bytes of the parts one after another, strings as UTF-8.
  const concat = (...parts) => new Blob(parts).arrayBuffer();
  const sha256 = async (...parts) =>
    new Uint8Array(await subtle.digest("SHA-256", await concat(...parts)));
  const importKey = (raw) => subtle.importKey("raw", raw, "Ed25519", false, ["verify"]);
  const ed25519 = async (key, signature, message) =>
    subtle.verify("Ed25519", await importKey(key), signature, await message);

  // A signed-note verifier key "name+keyid+base64(type || key)" whose key id is
  // SHA-256(name || 0x0A || type || key)[:4] (trace/domain/note.py).
  const noteKey = async (text, type) => {
    const [name, id] = text.split("+", 2);
    const raw = unb64(text.slice(name.length + id.length + 2));
    need(name && raw.length === 33 && raw[0] === type);
    need(hex((await sha256(name, "\n", raw)).slice(0, 4)) === id);
    return { name, id, key: raw.slice(1) };
  };

  // What follows the key id on the note's signature line by `key`, or null.
  const signatureBy = (lines, key) => {
    for (const line of lines) {
      const [dash, name, encoded] = line.split(" ");
      if (dash !== "\u2014" || name !== key.name) continue;
      const raw = unb64(encoded);
      if (hex(raw.slice(0, 4)) === key.id) return raw.slice(4);
    }
    return null;
  };

  // The checkpoint's size and root once the log's signature verifies, and how many listed
  // witnesses' cosignatures verify (reported, not required).
  const checkpoint = async (proofs) => {
    const pinned = el.getAttribute("data-log-key");
    need(!pinned || pinned === proofs.log_key);
    const log = await noteKey(proofs.log_key, 1);
    const note = proofs.checkpoint;
    const cut = note.lastIndexOf("\n\n");
    need(cut > 0 && note.endsWith("\n"));
    const text = note.slice(0, cut + 1);
    const lines = note.slice(cut + 2).split("\n");
    const [origin, size, root] = text.split("\n");
    need(origin === log.name && /^(0|[1-9][0-9]{0,15})$/.test(size));
    const signature = signatureBy(lines, log);
    need(signature && (await ed25519(log.key, signature, concat(text))));
    let witnesses = 0;
    for (const keyText of proofs.witness_keys) {
      try {
        // tlog-cosignature/v1: a u64 time, then Ed25519 over a header, the time and the text.
        const witness = await noteKey(keyText, 4);
        const raw = signatureBy(lines, witness);
        const time = new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0);
        const signed = concat(`cosignature/v1\ntime ${time}\n`, text);
        if (await ed25519(witness.key, raw.slice(8), signed)) witnesses += 1;
      } catch (_) {
        // A bad key or cosignature, or none, is just not counted.
      }
    }
    return { size: Number(size), root: hex(unb64(root)), witnesses };
  };

  // The root (hex) an RFC 6962 inclusion proof leads to (RFC 9162 §2.1.3.2), "" if it is no
  // proof for leaf `index` of `size`. Arithmetic: bit operators cut to 32 bits.
  const inclusionRoot = async (leaf, index, size, path) => {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) return "";
    let [fn, sn, r] = [index, size - 1, leaf];
    for (const p of path) {
      if (sn === 0) return "";
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(new Uint8Array([1]), p, r);
        while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
      } else {
        r = await sha256(new Uint8Array([1]), r, p);
      }
      [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
    }
    return sn === 0 ? hex(r) : "";
  };

  // verify_bundle's checks (trace/domain/bundle.py) for each record, and the chain between
  // them; throws at the first failure, `seq` and `what` then naming it.
  const verify = async (proofs) => {
    const signed = await checkpoint(proofs);
    let prev = "00".repeat(32);
    for (const [i, r] of proofs.records.entries()) {
      seq = i + 1;
      what = "key";
      const key = unb64(r.agency_public_key);
      need(hex((await sha256("trace/key/v1\n", key)).slice(0, 8)) === r.key_id);
      what = "signature";
      const statement = unb64(r.statement);
      const signature = unb64(r.signature);
      const digest = await sha256(statement);
      need(await ed25519(key, signature, concat("trace/statement/v1\n", digest)));
      // What the agency signed must name this key and this batch.
      const fields = JSON.parse(new TextDecoder().decode(statement));
      what = "key";
      need(fields.key === r.key_id);
      what = "record_hash";
      const recordHash = await sha256("trace/record/v1\n", unhex(r.prev), digest, signature,
        ...[r.seq, r.position, r.recorded_at_us].map(int64));
      need(hex(recordHash) === r.record_hash);
      what = "chain";
      need(r.seq === seq && r.prev === prev && fields.batch === proofs.batch.id);
      prev = r.record_hash;
      what = "inclusion";
      const proof = r.inclusion;
      need(proof.index === r.position && proof.tree_size === signed.size);
      const leaf = await sha256(new Uint8Array([0]), recordHash);
      const hashes = proof.hashes.map(unb64);
      need((await inclusionRoot(leaf, proof.index, proof.tree_size, hashes)) === signed.root);
    }
    // The chain ends at the head the page shows.
    seq = proofs.records.length;
    what = "chain";
    need(seq > 0 && prev === proofs.batch.head);
    return { n: seq, w: signed.witnesses };
  };

  // Sets the state and the page's text for it (data-<state>), placeholders filled.
  const show = (state, values = {}) => {
    el.setAttribute("data-state", state);
    const template = el.getAttribute("data-" + state);
    if (template !== null) {
      el.textContent = template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
    }
  };

  const run = async () => {
    el = document.getElementById("device-check");
    if (!el) return;
    show("running");
    try {
      // Has this browser Ed25519? (Key: RFC 8032's first test vector.)
      await importKey(unb64("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
    } catch (_) {
      return show("unsupported");
    }
    let proofs;
    try {
      const response = await fetch(location.pathname + location.search, {
        headers: { Accept: "application/json" },
        cache: "no-store", // never the HTML of the same URL from the cache
      });
      proofs = response.ok && (await response.json()).proofs;
      need(proofs && proofs.format === "trace.page-proofs/v1");
    } catch (_) {
      return show("error");
    }
    let verified;
    try {
      verified = await verify(proofs);
    } catch (_) {
      el.setAttribute("data-failed-seq", String(seq));
      el.setAttribute("data-failed-what", what);
      // The page's words for what failed, in its language (data-what-*).
      const words = el.getAttribute("data-what-" + what.replace("_", "-"));
      return show("failed", { seq, what: words || what });
    }
    show("ok", verified);
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
