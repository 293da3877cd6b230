// The app's service worker: Ferry opens and works offline, and one version of the app never
// mixes with another. Not served as it is: scripts/sw.mjs writes the built app's `sw.js`
// as `const BUILD = {…};` (what the build holds) followed by this file.
//
//   BUILD.version   a hash of every file of the build and of this file: the cache's name,
//                   and what makes a new build a new service worker
//   BUILD.files     each file the page may ask for, by its path in the build: the start of
//                   the SHA-256 of its bytes, hex
//   BUILD.groups    folders whose files are cached as they are asked for, under one hash of
//                   the whole folder (pdf.js's character maps: many small files)
//   BUILD.precache  the app shell, fetched when this version installs: the page, its loader,
//                   trunk's hashed JS, wasm and CSS, the agent module, manifest and icons
//
// What each kind of URL gets:
//   - the proxy (`/v1/…`, `/health`), other origins, other methods: the network, untouched;
//   - `ferry-config.json`: the network first, the last copy when there is none (offline);
//   - the app's own files (BUILD.files, BUILD.groups): this version's cache first; a file
//     not there yet (the tokenizer, pdf.js and its maps, fetched the first time they are
//     needed) is fetched, checked against its hash and kept, so it works offline after;
//   - the page (a navigation to the scope or index.html): this version's page.
// A file the server has from another build is never kept nor given to this version's page
// (503): a new version is out, and its prompt follows.
//
// Installing fetches the shell (or takes a file from an earlier version's cache when its
// hash is the same) and checks every file against its hash: a deploy that lands halfway
// fails the install rather than mixing two builds, and the browser tries again later. A new
// version waits until the page asks it to take over (`{type: "SKIP_WAITING"}`, sent when
// the user chooses Reload); activating deletes every earlier version's cache.

/* global BUILD */
const PREFIX = 'ferry-app-';
const CACHE = `${PREFIX}${BUILD.version}`;
/** The last `ferry-config.json` answered: the deployment's, not a version's. */
const CONFIG_CACHE = 'ferry-config';
const HASH = 'x-ferry-hash';
const SCOPE = new URL(self.registration.scope);
/** Past this, a `ferry-config.json` that has a copy kept is answered from the copy. */
const CONFIG_WAIT_MS = 4000;

/** `url`'s path under the scope (`''` for the scope itself), or null outside it. */
function underScope(url) {
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return null;
  try {
    return decodeURIComponent(url.pathname.slice(SCOPE.pathname.length));
  } catch {
    return null;
  }
}

/** The build's path for `rel` (the page is asked for as its folder). */
function buildPath(rel) {
  return rel === '' || rel.endsWith('/') ? `${rel}index.html` : rel;
}

/** The cache key of the build's file `file`: its URL, the page's as its folder. */
function keyOf(file) {
  const rel = file === 'index.html' || file.endsWith('/index.html') ? file.slice(0, -'index.html'.length) : file;
  return new URL(rel, SCOPE).href;
}

/** The hash a file of the build must have, and whether it is the file's own (not its folder's). */
function expected(file) {
  if (Object.hasOwn(BUILD.files, file)) return { hash: BUILD.files[file], own: true };
  for (const [folder, hash] of Object.entries(BUILD.groups)) {
    if (file.startsWith(folder)) return { hash, own: false };
  }
  return null;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `body` with `response`'s status and headers, and the hash it was kept under. */
function stamped(body, response, hash) {
  const headers = new Headers(response.headers);
  headers.set(HASH, hash);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The build's `file` from the network, checked: its response with the hash stamped, or null
 * when the server has something else (another build) or answers with an error.
 */
async function fetchChecked(file, want) {
  const response = await fetch(keyOf(file), { cache: 'no-cache' });
  if (!response.ok) return { response, kept: null };
  const body = await response.arrayBuffer();
  const fits = !want.own || (await sha256(body)).startsWith(want.hash);
  return { response: stamped(body, response, want.hash), kept: fits ? stamped(body, response, want.hash) : null };
}

/** Responses kept by earlier versions, by cache key, with the hash each was kept under. */
async function earlier() {
  const found = new Map();
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === CACHE) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const hash = response?.headers.get(HASH);
      if (hash && !found.has(request.url)) found.set(request.url, { hash, response });
    }
  }
  return found;
}

async function install() {
  const cache = await caches.open(CACHE);
  const kept = await earlier();
  await Promise.all(
    BUILD.precache.map(async (file) => {
      const key = keyOf(file);
      const want = expected(file);
      if (await cache.match(key)) return;
      const before = kept.get(key);
      if (before && before.hash === want.hash) {
        await cache.put(key, before.response);
        return;
      }
      const { kept: fresh } = await fetchChecked(file, want);
      if (!fresh) throw new Error(`${file}: not this build's (a deploy in progress?)`);
      await cache.put(key, fresh);
    }),
  );
  // What was fetched on first need (the tokenizer, pdf.js) stays where this build has it
  // unchanged: it keeps working offline after the update.
  for (const [key, { hash, response }] of kept) {
    const rel = underScope(new URL(key));
    const want = rel === null ? null : expected(buildPath(rel));
    if (want && want.hash === hash && !(await cache.match(key))) await cache.put(key, response);
  }
}

self.addEventListener('install', (event) => event.waitUntil(install()));

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      // The first version takes the page that installed it (it was loaded from the network,
      // as this build, so nothing mixes); a later one takes over only when asked.
      await self.clients.claim();
      await keepFetchedBefore();
      // The page that installed the first version read its config uncontrolled: keep one.
      await config(new Request(new URL('ferry-config.json', SCOPE))).catch(() => {});
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

/**
 * This version's `file`: from its cache, else fetched, checked and kept. The server having
 * another build's file means a new version is out: it is looked for (its prompt follows),
 * and the file is refused rather than mixed into this version's page, unless the page
 * itself is asked for (there is nothing else to show).
 */
async function appFile(file, want, navigation) {
  const cache = await caches.open(CACHE);
  const key = keyOf(file);
  const hit = await cache.match(key);
  if (hit) return hit;
  const { response, kept } = await fetchChecked(file, want);
  if (kept) {
    await cache.put(key, kept);
    return response;
  }
  if (!response.ok || navigation) return response;
  self.registration.update().catch(() => {});
  return new Response(`${file} belongs to another version of Ferry: reload the page.`, {
    status: 503,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/**
 * Keeps the files fetched on first need that the browser fetched before this version
 * controlled the page (the first visit: the tokenizer may load before the worker is
 * active), from the browser's HTTP cache only, never the network.
 */
async function keepFetchedBefore() {
  const cache = await caches.open(CACHE);
  for (const [file, hash] of Object.entries(BUILD.files)) {
    const key = keyOf(file);
    if (BUILD.precache.includes(file) || (await cache.match(key))) continue;
    try {
      const response = await fetch(key, { cache: 'only-if-cached', mode: 'same-origin' });
      if (!response.ok) continue;
      const body = await response.arrayBuffer();
      if ((await sha256(body)).startsWith(hash)) await cache.put(key, stamped(body, response, hash));
    } catch {
      // Not in the HTTP cache: fetched, and kept, when first needed.
    }
  }
}

/** The network's `ferry-config.json`, else the last one kept. */
async function config(request) {
  const cache = await caches.open(CONFIG_CACHE);
  const key = new URL(request.url);
  key.search = '';
  const copy = await cache.match(key.href);
  const network = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(key.href, response.clone());
    return response;
  });
  if (!copy) return network;
  const late = new Promise((resolve) => setTimeout(resolve, CONFIG_WAIT_MS, null));
  const answer = await Promise.race([network.catch(() => null), late]);
  return answer?.ok ? answer : copy;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const rel = underScope(url);
  if (rel === null) return;
  // The proxy's routes, when it shares the app's origin: always the network.
  if (url.pathname.startsWith('/v1/') || url.pathname === '/health') return;
  if (rel === 'ferry-config.json') {
    event.respondWith(config(request));
    return;
  }
  const file = buildPath(rel);
  const want = expected(file);
  if (!want) return;
  event.respondWith(appFile(file, want, request.mode === 'navigate'));
});
