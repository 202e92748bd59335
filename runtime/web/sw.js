// The service worker: the shell's files from the cache when the network is away, and the
// resident's last home screen (their mini-apps and cards) so it shows offline. Everything
// personal lives in one cache that the shell deletes at sign-out ("machi-data").
const SHELL = "machi-shell-v1";
const DATA = "machi-data";
const SHELL_FILES = ["/", "/app.js", "/bridge.js", "/style.css", "/icon.svg", "/manifest.webmanifest",
                     "/i18n/ja.json", "/i18n/ja-easy.json", "/i18n/en.json"];
// Personal GETs kept for offline use: the last answer wins.
const OFFLINE_DATA = [/^\/api\/v1\/me\/apps$/, /^\/api\/v1\/me\/cards$/, /^\/api\/v1\/auth\/session$/,
                      /^\/api\/v1\/me\/notifications$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL && n !== DATA).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "machi:signed-out") event.waitUntil(caches.delete(DATA));
});

// Network first: fresh when online; the cached copy only when the network fails.
async function networkFirst(request, cacheName) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(cacheName)).put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await (await caches.open(cacheName)).match(request, { ignoreSearch: cacheName === DATA });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== location.origin || event.request.method !== "GET") return;
  if (SHELL_FILES.includes(url.pathname)) return event.respondWith(networkFirst(event.request, SHELL));
  if (OFFLINE_DATA.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(networkFirst(event.request, DATA));
  }
});
