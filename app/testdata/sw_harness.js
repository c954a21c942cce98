// Runs the service worker script given as argv[2] in Node with fake
// Cache Storage, fetch and clients, through install, activate and fetch
// events, and prints what happened as JSON. handler_test.go checks it.
"use strict";
const fs = require("fs");
const vm = require("vm");

const src = fs.readFileSync(process.argv[2], "utf8");
const base = "https://warmstart.test";

function pathOf(req) {
  const u = new URL(typeof req === "string" ? req : req.url, base);
  return u.pathname + u.search;
}

class FakeRequest {
  constructor(url, init = {}) {
    this.url = new URL(url, base).href;
    this.method = init.method || "GET";
    this.mode = init.mode || "cors";
    this.cache = init.cache || "default";
    this.headers = new Headers(init.headers || {});
  }
}

class FakeCache {
  constructor() { this.m = new Map(); }
  async put(req, res) { this.m.set(pathOf(req), res); }
  async match(req, opts = {}) {
    const want = pathOf(req);
    for (const [k, v] of this.m) {
      if (k === want || (opts.ignoreSearch && k.split("?")[0] === want.split("?")[0])) {
        return v;
      }
    }
    return undefined;
  }
}

// run executes the worker in a fresh environment: caches named in existing
// already hold an entry, fetch answers status[path] (200 by default) or
// fails when offline is set.
function env({ existing = [], status = {}, offline = false }) {
  const store = new Map();
  for (const name of existing) {
    const c = new FakeCache();
    c.m.set("/", new Response("page of " + name));
    store.set(name, c);
  }
  const log = { fetched: [], claimed: false, skipped: false, noCache: true };
  const handlers = {};
  const caches = {
    open: async (n) => { if (!store.has(n)) store.set(n, new FakeCache()); return store.get(n); },
    keys: async () => [...store.keys()],
    delete: async (n) => store.delete(n),
    has: async (n) => store.has(n),
  };
  const ctx = {
    self: {
      addEventListener: (type, fn) => { handlers[type] = fn; },
      skipWaiting: async () => { log.skipped = true; },
      clients: { claim: async () => { log.claimed = true; } },
    },
    caches,
    fetch: async (req) => {
      const p = pathOf(req);
      log.fetched.push(p);
      if (typeof req !== "string" && req.cache !== "no-cache" && req.mode !== "navigate") {
        log.noCache = false;
      }
      if (offline) throw new TypeError("Failed to fetch");
      return new Response("body of " + p, { status: status[p] || 200 });
    },
    Request: FakeRequest,
    Response, URL, Headers, Promise, Error, TypeError,
    console: { log: () => {}, error: () => {} },
  };
  ctx.self.caches = caches;
  vm.createContext(ctx);
  vm.runInContext(src, ctx);
  const cachedPaths = (name) => (store.has(name) ? [...store.get(name).m.keys()].sort() : null);
  return { handlers, log, store, caches, cachedPaths, ctx };
}

async function lifecycle(e, event) {
  let p = null;
  e.handlers[event]({ waitUntil: (x) => { p = x; } });
  if (p === null) return { waited: false };
  try { await p; return { waited: true, ok: true }; }
  catch (err) { return { waited: true, ok: false, error: String(err) }; }
}

async function fetchEvent(e, req) {
  let responded = null;
  e.handlers.fetch({ request: req, respondWith: (p) => { responded = p; } });
  if (responded === null) return { intercepted: false };
  try {
    const res = await responded;
    return { intercepted: true, status: res.status, body: await res.clone().text() };
  } catch (err) {
    return { intercepted: true, error: String(err) };
  }
}

(async () => {
  const out = {};
  const cacheName = /const cacheName = "app-" \+ "([^"]*)"/.exec(src)[1];
  const mine = "app-" + cacheName;

  // An update: an older build's cache and the worker's caches exist.
  let e = env({ existing: ["app-old", "warmstart-data-v1", "warmstart-store-v1", "unrelated"] });
  out.update = { install: await lifecycle(e, "install") };
  out.update.cached = e.cachedPaths(mine);
  out.update.activate = await lifecycle(e, "activate");
  out.update.caches = await e.caches.keys();
  out.update.claimed = e.log.claimed;
  out.update.skipped = e.log.skipped;
  out.update.noCache = e.log.noCache;

  // Fetches once installed.
  const n = e.log.fetched.length;
  out.fetch = {
    cached: await fetchEvent(e, new FakeRequest("/web/app.wasm")),
    fromNetwork: e.log.fetched.length - n,
    post: await fetchEvent(e, new FakeRequest("/data/x", { method: "POST" })),
    range: await fetchEvent(e, new FakeRequest("/data/train-images-idx3-ubyte.gz", { headers: { Range: "bytes=0-9" } })),
    data: await fetchEvent(e, new FakeRequest("/data/t10k-labels-idx1-ubyte.gz")),
  };
  let off = env({ existing: [], offline: false });
  await lifecycle(off, "install");
  off.ctx.fetch = async () => { throw new TypeError("Failed to fetch"); };
  out.offline = {
    route: await fetchEvent(off, new FakeRequest("/results?tab=2", { mode: "navigate" })),
    unknownRoute: await fetchEvent(off, new FakeRequest("/nowhere", { mode: "navigate" })),
    asset: await fetchEvent(off, new FakeRequest("/web/nothing.png")),
  };

  // A deploy with a missing file: the new version is refused whole.
  const wasm = JSON.parse(/const resourcesToCache = (\[.*\]);/.exec(src)[1]).find((u) => u.startsWith("/web/worker.wasm"));
  e = env({ existing: ["app-old"], status: { [wasm]: 404 } });
  out.broken = { install: await lifecycle(e, "install"), caches: await e.caches.keys() };

  // A first visit: nothing to replace, so no page is claimed.
  e = env({ existing: ["warmstart-data-v1"] });
  await lifecycle(e, "install");
  out.first = { activate: await lifecycle(e, "activate"), claimed: e.log.claimed, caches: await e.caches.keys() };

  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
