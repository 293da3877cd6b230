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
// cost of its round trip. bench/peers.mjs puts Ferry beside other gateways (Portkey, LiteLLM).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import {
  BUILD,
  agent,
  authVars,
  captureDirect,
  percentile,
  startAuth,
  startMock,
  startPassThrough,
  timed,
  viaProxy,
} from './proxy-targets.mjs';
import { startWorkerd } from './workerd.mjs';
import { mockVars, startWorker } from '../tests/e2e/support/worker.mjs';

const PER_TARGET = Number(process.env.BENCH_REQUESTS ?? 800);
const WARMUP = 60;

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

/** What the proxy sent upstream for each mix item, replayable straight at the mock. */
async function captureMix(mock, base) {
  const direct = [];
  for (const item of MIX) direct.push(await captureDirect(mock, viaProxy(base, item.provider, item.body)));
  return direct;
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

const via = (base, item, bearer) => viaProxy(base, item.provider, item.body, bearer);

async function main() {
  const mock = await startMock();
  const vars = { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' };
  const workerd = await startWorkerd(BUILD, vars);
  const passThrough = await startPassThrough(mock.url);
  const auth = await startAuth();
  const supabaseVars = authVars(vars, auth);
  // Without the limits binding the proxy admits unlimited: the difference is the object's cost.
  const authOnly = await startWorkerd(BUILD, supabaseVars);
  const limited = await startWorkerd(BUILD, supabaseVars, { limits: true });
  const dev = await startWorker({ vars });
  try {
    const direct = await captureMix(mock, workerd.url);
    const targets = [
      { name: 'direct', request: (i) => direct[i] },
      { name: 'JS pass-through', request: (i) => ({ ...direct[i], url: direct[i].url.replace(mock.url, passThrough.url) }) },
      { name: 'workerd', request: (i) => via(workerd.url, MIX[i]) },
      { name: '+ auth', request: (i) => via(authOnly.url, MIX[i], auth.token) },
      { name: '+ auth + limits', request: (i) => via(limited.url, MIX[i], auth.token) },
      { name: 'wrangler dev', request: (i) => via(dev.url, MIX[i]) },
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
