// Proxy overhead: the same request mix sent straight to the mock provider and through the
// proxy worker, interleaved in one run, at concurrency 1 and 32. The worker runs in workerd
// itself (Miniflare's API over the built bundle) and, for comparison, under `wrangler dev`,
// whose own dev proxy adds latency of its own.
//
//   node bench/proxy-overhead.mjs            (after scripts/build-worker.sh)
//   BENCH_REQUESTS=2000 node bench/proxy-overhead.mjs
//
// Prints time-to-first-byte and total latency p50 / p99 per target, the latency the proxy
// adds over the direct call, requests per second, and the worker bundle's size. A plain
// JavaScript pass-through worker in the same runtime shows the floor of one worker hop.
// `+ auth` runs with AUTH_MODE=supabase (an ES256 token, JWKS cached after the first call);
// `+ auth + limits` adds the per-user Durable Object, so the gap between the two is the
// cost of its round trip.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';

import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import { claims, nowSecs, token } from '../tests/e2e/support/tokens.mjs';
import { startWorkerd } from './workerd.mjs';
import { ROOT, freePort, mockVars, startWorker } from '../tests/e2e/support/worker.mjs';

const PER_TARGET = Number(process.env.BENCH_REQUESTS ?? 800);
const WARMUP = 60;
const KEY = 'sk-bench-key';
const BUILD = path.join(ROOT, 'proxy-worker', 'build');

const messages = [
  { role: 'system', content: 'You are Ferry.' },
  { role: 'user', content: 'Say hello.' },
];
const MIX = [
  { name: 'openai stream', provider: 'openai', body: { model: 'gpt-4o-mini', stream: true, messages } },
  { name: 'anthropic stream', provider: 'anthropic', body: { model: 'claude-sonnet-4-5', stream: true, messages } },
  { name: 'google stream', provider: 'google', body: { model: 'gemini-2.5-flash', stream: true, messages } },
  { name: 'openai json', provider: 'openai', body: { model: 'gpt-4o-mini', messages } },
  { name: 'anthropic json', provider: 'anthropic', body: { model: 'claude-sonnet-4-5', messages } },
];

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One request; resolves to { ttfb, total } in ms, measured from just before sending. */
function timed({ url, method = 'POST', headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = null;
    const req = http.request(url, { method, headers, agent }, (res) => {
      res.on('data', () => {
        ttfb ??= process.hrtime.bigint();
      });
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode >= 300) return reject(new Error(`${url}: ${res.statusCode}`));
        resolve({ ttfb: Number((ttfb ?? end) - t0) / 1e6, total: Number(end - t0) / 1e6 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setNoDelay(true);
    if (body) req.write(body);
    req.end();
  });
}

/** The request for one mix item through the proxy at `base`, as the user of `bearer`. */
function viaProxy(base, item, bearer) {
  const auth = bearer ? { authorization: `Bearer ${bearer}` } : {};
  return {
    url: `${base}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', 'x-provider': item.provider, 'x-provider-key': KEY, ...auth },
    body: JSON.stringify(item.body),
  };
}

/**
 * A stand-in for Supabase Auth's JWKS endpoint and an ES256 access token it verifies: the
 * proxy fetches the keys once and then verifies from its cache, as in production.
 */
async function startAuth() {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }] };
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const es256 = (input) => sign('sha256', Buffer.from(input), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
  const payload = claims(url, { exp: nowSecs() + 7200 });
  return { url, token: token({ alg: 'ES256', typ: 'JWT', kid: 'bench' }, payload, es256), stop: () => server.close() };
}

/** The mock provider, in its own process. */
async function startMock() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'mock-server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8');
  const [line] = await once(child.stdout, 'data');
  const url = line.trim();
  const call = async (method) => (await fetch(`${url}/__mock/requests`, { method })).text();
  return {
    url,
    requests: async () => JSON.parse(await call('GET')),
    clear: () => call('DELETE'),
    close: () => {
      child.kill('SIGTERM');
      return once(child, 'exit');
    },
  };
}

/** What the proxy sent upstream for each mix item, replayable straight at the mock. */
async function captureDirect(mock, base) {
  const direct = [];
  for (const item of MIX) {
    await mock.clear();
    await timed(viaProxy(base, item));
    const sent = (await mock.requests()).at(-1);
    const query = new URLSearchParams(sent.query).toString();
    const headers = {};
    for (const [name, value] of Object.entries(sent.headers)) {
      if (['content-type', 'authorization', 'x-api-key', 'x-goog-api-key', 'anthropic-version'].includes(name)) {
        headers[name] = value;
      }
    }
    direct.push({
      url: `${mock.url}${sent.path}${query ? `?${query}` : ''}`,
      headers,
      body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body),
    });
  }
  return direct;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Sends `PER_TARGET` requests to each target with `concurrency` loops; every loop takes the
 * targets in turn, so all of them share the same moment of the machine's load.
 */
async function round(targets, concurrency) {
  const samples = Object.fromEntries(targets.map((t) => [t.name, { ttfb: [], total: [], busyMs: 0 }]));
  const perLoop = Math.ceil(PER_TARGET / concurrency);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; i < perLoop; i += 1) {
        const item = (loop + i) % MIX.length;
        // Rotate the order so no target always goes first.
        for (let k = 0; k < targets.length; k += 1) {
          const target = targets[(i + k) % targets.length];
          const r = await timed(target.request(item));
          samples[target.name].ttfb.push(r.ttfb);
          samples[target.name].total.push(r.total);
        }
      }
    }),
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rows = {};
  for (const t of targets) {
    const s = samples[t.name];
    s.ttfb.sort((a, b) => a - b);
    s.total.sort((a, b) => a - b);
    const sum = s.total.reduce((a, b) => a + b, 0);
    rows[t.name] = {
      ttfb50: percentile(s.ttfb, 50),
      ttfb99: percentile(s.ttfb, 99),
      total50: percentile(s.total, 50),
      total99: percentile(s.total, 99),
      // Each target had this share of the wall time, in proportion to its own latency.
      rps: s.total.length / ((wallMs * (sum / totalOf(samples))) / 1000),
    };
  }
  return rows;
}

function totalOf(samples) {
  return Object.values(samples).reduce((acc, s) => acc + s.total.reduce((a, b) => a + b, 0), 0);
}

const f = (ms) => `${ms.toFixed(2).padStart(7)} ms`;

function print(title, rows) {
  const direct = rows.direct;
  console.log(`\n${title}`);
  console.log(
    `${'target'.padEnd(16)} ${'TTFB p50'.padStart(10)} ${'TTFB p99'.padStart(10)} ${'total p50'.padStart(10)} ${'total p99'.padStart(10)}   ${'added TTFB p50 / p99'.padStart(22)}   ${'added total p50 / p99'.padStart(22)} ${'req/s'.padStart(8)}`,
  );
  for (const [name, r] of Object.entries(rows)) {
    const added =
      name === 'direct'
        ? ''.padStart(22 + 3 + 22 + 3)
        : `${f(r.ttfb50 - direct.ttfb50)} / ${f(r.ttfb99 - direct.ttfb99)}   ${f(r.total50 - direct.total50)} / ${f(r.total99 - direct.total99)}`;
    console.log(
      `${name.padEnd(16)} ${f(r.ttfb50)} ${f(r.ttfb99)} ${f(r.total50)} ${f(r.total99)}   ${added} ${r.rps.toFixed(0).padStart(8)}`,
    );
  }
}

/**
 * A plain JavaScript worker that forwards requests to the mock untouched: the floor any
 * worker in the same runtime pays for one fetch, for comparison with the proxy's own cost.
 */
async function startPassThrough(mockUrl) {
  const port = await freePort();
  const mf = new Miniflare({
    modules: true,
    script: `export default {
      async fetch(request, env) {
        const url = new URL(request.url);
        return fetch(env.UPSTREAM + url.pathname + url.search, {
          method: request.method, headers: request.headers, body: request.body,
        });
      },
    };`,
    compatibilityDate: '2026-04-01',
    bindings: { UPSTREAM: mockUrl },
    host: '127.0.0.1',
    port,
  });
  const url = await mf.ready;
  return { url: String(url).replace(/\/$/, ''), stop: () => mf.dispose() };
}

async function main() {
  const mock = await startMock();
  const vars = { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' };
  const workerd = await startWorkerd(BUILD, vars);
  const passThrough = await startPassThrough(mock.url);
  const auth = await startAuth();
  const supabaseVars = {
    ...vars,
    AUTH_MODE: 'supabase',
    SUPABASE_URL: auth.url,
    RATE_LIMIT_PER_MINUTE: '1000000000',
    DAILY_TOKEN_QUOTA: '1000000000000',
  };
  // Without the limits binding the proxy admits unlimited: the difference is the object's cost.
  const authOnly = await startWorkerd(BUILD, supabaseVars);
  const limited = await startWorkerd(BUILD, supabaseVars, { limits: true });
  const dev = await startWorker({ vars });
  try {
    const direct = await captureDirect(mock, workerd.url);
    const targets = [
      { name: 'direct', request: (i) => direct[i] },
      { name: 'JS pass-through', request: (i) => ({ ...direct[i], url: direct[i].url.replace(mock.url, passThrough.url) }) },
      { name: 'workerd', request: (i) => viaProxy(workerd.url, MIX[i]) },
      { name: '+ auth', request: (i) => viaProxy(authOnly.url, MIX[i], auth.token) },
      { name: '+ auth + limits', request: (i) => viaProxy(limited.url, MIX[i], auth.token) },
      { name: 'wrangler dev', request: (i) => viaProxy(dev.url, MIX[i]) },
    ];
    console.log(`proxy overhead: ${PER_TARGET} requests per target and concurrency, mix: ${MIX.map((m) => m.name).join(', ')}`);
    for (const t of targets) for (let i = 0; i < WARMUP; i += 1) await timed(t.request(i % MIX.length));

    for (const concurrency of [1, 32]) {
      await mock.clear();
      print(`concurrency ${concurrency}`, await round(targets, concurrency));
    }

    // A bare /health shows what the runtime and wrangler's dev proxy cost on their own.
    const health = [
      { name: 'workerd', request: () => ({ url: `${workerd.url}/health`, method: 'GET' }) },
      { name: 'wrangler dev', request: () => ({ url: `${dev.url}/health`, method: 'GET' }) },
    ];
    const empty = { name: 'direct', request: () => ({ url: `${mock.url}/__mock/requests`, method: 'DELETE' }) };
    print('bare GET /health (direct: the mock answering an empty request)', await round([empty, ...health], 1));

    const wasm = readFileSync(path.join(BUILD, 'index_bg.wasm'));
    const js = readFileSync(path.join(BUILD, 'index.js'));
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(
      `\nworker bundle: wasm ${kb(wasm.length)} raw / ${kb(gzipSync(wasm, { level: 9 }).length)} gzip; ` +
        `js ${kb(js.length)} raw / ${kb(gzipSync(js, { level: 9 }).length)} gzip; ` +
        `total ${kb(gzipSync(Buffer.concat([wasm, js]), { level: 9 }).length)} gzip`,
    );
  } finally {
    await dev.stop();
    await workerd.stop();
    await passThrough.stop();
    await authOnly.stop();
    await limited.stop();
    auth.stop();
    await mock.close();
    agent.destroy();
  }
}

await main();
