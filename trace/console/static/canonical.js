// Canonical JSON bytes of a statement, byte for byte as trace/domain/canonical.py writes them:
// UTF-8 JSON (RFC 8259) without insignificant whitespace; object keys sorted by Unicode code
// point (not by UTF-16 code unit, which is what Array.prototype.sort compares); every string,
// keys included, in Normalization Form C (UAX #15); no floats; integers of magnitude below
// 2^53; strings escaped minimally ('"', '\' and controls below U+0020, as msgspec does);
// arrays and objects nested at most 32 levels.

export const MAX_DEPTH = 32;

export class NotCanonical extends Error {}

// msgspec's escapes: the short forms JSON has, else \u00XX in lower-case hex.
const SHORT = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r" };

function wellFormed(text) {
  if (typeof text.isWellFormed === "function") return text.isWellFormed();
  return !/(?:[\uD800-\uDBFF](?![\uDC00-\uDFFF]))|(?:(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF])/.test(text);
}

function nfc(text) {
  // A lone surrogate cannot be written in UTF-8: Python refuses it, TextEncoder would not.
  if (!wellFormed(text)) throw new NotCanonical("text holds a lone surrogate");
  return text.normalize("NFC");
}

/** Compare two strings by Unicode code point, as Python compares str. */
export function byCodePoint(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
}

function quote(text) {
  let out = '"';
  for (let k = 0; k < text.length; k += 1) {
    const c = text.charCodeAt(k);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) out += SHORT[c] || "\\u00" + c.toString(16).padStart(2, "0");
    else out += text[k];
  }
  return out + '"';
}

function write(value, depth) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return quote(nfc(value));
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new NotCanonical("floating-point numbers are not allowed; write quantities as decimal strings");
    }
    if (!Number.isSafeInteger(value)) throw new NotCanonical("integer too large for canonical JSON");
    return String(value === 0 ? 0 : value);
  }
  if (typeof value !== "object") throw new NotCanonical(`value of type ${typeof value} is not JSON`);
  if (depth >= MAX_DEPTH) throw new NotCanonical(`arrays and objects nest more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return "[" + value.map((item) => write(item, depth + 1)).join(",") + "]";
  const entries = new Map();
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue; // an absent optional field, as the forms leave it
    const name = nfc(key);
    if (entries.has(name)) throw new NotCanonical(`duplicate key ${name} after normalisation`);
    entries.set(name, item);
  }
  const keys = [...entries.keys()].sort(byCodePoint);
  return "{" + keys.map((key) => quote(key) + ":" + write(entries.get(key), depth + 1)).join(",") + "}";
}

/** The canonical JSON text of `value`. */
export function canonicalText(value) {
  return write(value, 0);
}

/** The canonical bytes (UTF-8) of `value`. */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalText(value));
}
