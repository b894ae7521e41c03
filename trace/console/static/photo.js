// A photo as the ledger keeps it: drawn onto a canvas at most 1,280 pixels on its long side
// and encoded again as JPEG, which leaves every metadata block (EXIF, GPS) behind; named by
// its SHA-256, which the signed statement carries.

import { sha256, toHex } from "./signing.js";
import * as store from "./store.js";

const LONG_SIDE = 1280;

function toBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no JPEG"))), "image/jpeg", 0.85);
  });
}

/** Resize and re-encode `file`; keep it in IndexedDB; resolve to `{sha256, width, height}`. */
export async function preparePhoto(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await toBlob(canvas);
  const digest = toHex(await sha256(new Uint8Array(await blob.arrayBuffer())));
  await store.put("photos", { sha256: digest, blob, width: canvas.width, height: canvas.height, uploaded: false });
  return { sha256: digest, width: canvas.width, height: canvas.height };
}
