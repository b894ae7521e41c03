// The console's service worker (scope /console/): the shell from its cache first, the API
// from the network first with the last answer kept for when there is none, and the queue
// sent by Background Sync where the browser has it. The service fills in the release and
// the shell's addresses; a new release is a new cache, and the old one is deleted.

import { drain } from "/console/static/sync.js";

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `console-shell-${VERSION}`;
const DATA = "console-data";
const KEPT_API = [/^\/api\/v1\/batches\/[^/]+$/, /^\/api\/v1\/batches\/[^/]+\/records$/, /^\/api\/v1\/places\//, /^\/api\/v1\/label-templates$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "no-cache" })))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("console-shell-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function shellLanguage(url) {
  const asked = url.searchParams.get("lang");
  if (asked) return asked;
  return String(self.navigator.language || "vi").toLowerCase().startsWith("en") ? "en" : "vi";
}

async function fromShell(request, key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key || request);
  if (hit) return hit;
  return fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const answer = await fetch(request);
    if (answer.ok) cache.put(request, answer.clone());
    return answer;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === "/console/" || url.pathname === "/console")) {
    event.respondWith(fromShell(request, `/console/?lang=${shellLanguage(url)}`));
  } else if (url.pathname.startsWith("/console/static/") || url.pathname === "/console/manifest.webmanifest") {
    event.respondWith(fromShell(request));
  } else if (KEPT_API.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "trace-queue") event.waitUntil(drain());
});
