// What the phone keeps, in IndexedDB: its signing keys, the statements waiting to be sent
// (keyed by statement hash, so the same signed statement is stored once), photos (keyed by
// their SHA-256), the batches it knows and the last session. No DOM: the service worker
// imports this module too.

const NAME = "trace-console";
const STORES = {
  keys: { keyPath: "id" },
  queue: { keyPath: "hash" },
  photos: { keyPath: "sha256" },
  batches: { keyPath: "id" },
  meta: { keyPath: "id" },
};

let opened = null;

function open() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      for (const [name, options] of Object.entries(STORES)) {
        if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, options);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(store, mode, act) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = act(tx.objectStore(store));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const all = (store) => run(store, "readonly", (s) => s.getAll());
export const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const clear = (store) => run(store, "readwrite", (s) => s.clear());

/** Store `value` only if nothing has its key yet; true if it was added. */
export async function addOnce(store, value) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, "readwrite");
    const request = tx.objectStore(store).add(value);
    let added = true;
    request.onerror = (event) => {
      if (request.error && request.error.name === "ConstraintError") {
        added = false;
        event.preventDefault(); // the same statement again: keep the one stored
      }
    };
    tx.oncomplete = () => resolve(added);
    tx.onerror = () => reject(tx.error);
  });
}
