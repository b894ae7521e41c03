// The checks a form makes as it is filled, the same as the ledger's (trace/domain/kinds.py,
// quantity.py, identifiers.py), so that a refusal after signing is the exception.

export const LOT = /^[!"%-?A-Z_a-z]{1,20}$/;
export const DECIMAL = /^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// An agency's contact (trace/domain/contact.py).
export const PHONE = /^\+?[0-9][0-9 ]{4,22}[0-9]$/;
export const WEBSITE = /^https?:\/\/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][^\s\x00-\x1f\x7f]*)?$/;
// A control character other than tab and line breaks (trace/domain/json_text.py).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The GS1 check digit of the digits before it (GS1 General Specifications 7.9.1). */
export function gs1CheckDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** null when `gtin` is valid, else `["gtin_digits"]` or `["gtin_check", {digit}]`. */
export function gtinProblem(gtin) {
  if (!/^(?:[0-9]{8}|[0-9]{12,14})$/.test(gtin)) return ["gtin_digits", {}];
  const digit = gs1CheckDigit(gtin.slice(0, -1));
  return Number(gtin.at(-1)) === digit ? null : ["gtin_check", { digit }];
}

/** A decimal as the ledger writes it: "12,5" typed in Vietnamese becomes "12.5". */
export function decimalText(typed) {
  return typed.trim().replace(",", ".");
}

export function decimalOk(text) {
  return DECIMAL.test(text) && Number(text) > 0;
}

export function textOk(text) {
  return text.trim().length > 0 && !CONTROL.test(text);
}

/** RFC 3339 with this phone's UTC offset, from an <input type=datetime-local> value. */
export function withOffset(local) {
  const when = new Date(local);
  const minutes = -when.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local.length === 16 ? local + ":00" : local.slice(0, 19)}${offset}`;
}

/** Now, as an <input type=datetime-local> value in this phone's time. */
export function localNow() {
  const now = new Date();
  const shifted = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}
