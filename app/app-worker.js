// warmstart's service worker. go-app fills in {{.Version}} (the build id)
// and {{.ResourcesToCache}} when it serves /app-worker.js; see
// app/handler.go for why this differs from go-app's default app-worker.js
// (v10.1.11), which it started from:
//
//   - install fetches every resource past the HTTP cache and refuses the
//     version if any answer is not OK, so an error page is never cached;
//   - activate deletes only the caches of older builds ("app-*"): the
//     training worker keeps the dataset in "warmstart-data-v1" and the
//     results in "warmstart-store-v1", which an update must not touch; it
//     claims the open pages only when it replaces an older build;
//   - fetch answers from this build's cache only, passes everything else
//     (the dataset, range requests, other methods) to the network
//     untouched, and serves the app shell for routes when offline.
const cacheName = "app-" + "{{.Version}}";
const appCachePrefix = "app-";
const resourcesToCache = {{.ResourcesToCache}};

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      await installWorker();
      await self.skipWaiting();
      console.log("app worker {{.Version}} installed");
    })()
  );
});

async function installWorker() {
  const cache = await caches.open(cacheName);
  try {
    await Promise.all(
      resourcesToCache.map(async (url) => {
        const response = await fetch(new Request(url, { cache: "no-cache" }));
        if (!response.ok) {
          throw new Error(`${url}: HTTP ${response.status}`);
        }
        await cache.put(url, response);
      })
    );
  } catch (err) {
    // A half-filled cache must not survive: this version is refused and
    // the installed one keeps serving.
    await caches.delete(cacheName);
    throw err;
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Claim the open pages only when this replaces an older build, so
      // that a page of that build, even one that was never controlled,
      // hears of the update (go-app's app.js calls OnAppUpdate when a new
      // worker activates under a controlled page). A first install claims
      // nothing: its page came from the network and is current, and
      // claiming it would report an update that is none.
      if (await deletePreviousCaches()) {
        await self.clients.claim();
      }
      console.log("app worker {{.Version}} is activated");
    })()
  );
});

// isStaleAppCache reports whether a cache belongs to an older build of the
// app. Caches of other names (the worker's warmstart-*) are never touched.
function isStaleAppCache(key) {
  return key.startsWith(appCachePrefix) && key !== cacheName;
}

// deletePreviousCaches deletes the caches of older builds and returns
// how many there were.
async function deletePreviousCaches() {
  const stale = (await caches.keys()).filter(isStaleAppCache);
  await Promise.all(
    stale.map(async (key) => {
      try {
        console.log("deleting", key, "cache");
        await caches.delete(key);
      } catch (err) {
        console.error("deleting", key, "cache failed:", err);
      }
    })
  );
  return stale.length;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || request.headers.has("range")) {
    return;
  }
  event.respondWith(fetchWithCache(request));
});

async function fetchWithCache(request) {
  const cache = await caches.open(cacheName);
  const navigate = request.mode === "navigate";
  const cached = await cache.match(request, { ignoreSearch: navigate });
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (err) {
    // Offline, on a route this build did not cache: the app shell routes
    // on the client.
    if (navigate) {
      const shell = await cache.match("/");
      if (shell) {
        return shell;
      }
    }
    throw err;
  }
}
