// Where a proxied request's time goes: a CPU profile of the worker's isolate in workerd,
// taken through its DevTools inspector while one kind of request repeats at concurrency 1,
// for Ferry (`+ auth + limits`, the production set-up: an ES256 token verified once, the
// per-user Durable Object warm) and for the plain JavaScript pass-through worker.
//
//   FERRY_WORKER_NAMES=keep bash scripts/build-worker.sh && node bench/profile.mjs
//   BENCH_REQUESTS=300 BENCH_TOP=12 node bench/profile.mjs
//
// The deployed build leaves out the wasm's function names; without them Ferry's wasm time
// is one lump ("wasm: unnamed"), so build with FERRY_WORKER_NAMES=keep first.
//
// For each request kind it prints the isolate's CPU per request, split by what ran: Ferry's
// wasm by crate (its function names are kept in the module), the JavaScript glue that
// crosses between JavaScript and wasm, garbage collection, and the runtime's own work
// (`(program)`: HTTP, fetch, streams, outside any JavaScript frame). Beside it, the mean of
// the `Server-Timing` figures Ferry sent (its own time, and the limits' round trip).

import WebSocket from 'ws';

import {
  BUILD,
  agent,
  authVars,
  captureDirect,
  startAuth,
  startMock,
  startPassThrough,
  timed,
  viaProxy,
} from './proxy-targets.mjs';
import { startWorkerd } from './workerd.mjs';
import { freePort, mockVars } from '../tests/e2e/support/worker.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const WARMUP = 50;
const SAMPLING_US = Number(process.env.BENCH_SAMPLING_US ?? 100);
// With BENCH_TOP=n, the n functions with the most self time are listed too.
const TOP = Number(process.env.BENCH_TOP ?? 0);

const messages = [
  { role: 'system', content: 'You are Ferry.' },
  { role: 'user', content: 'Say hello.' },
];
const KINDS = [
  { name: 'openai stream', provider: 'openai', body: { model: 'gpt-4o-mini', stream: true, messages } },
  { name: 'openai json', provider: 'openai', body: { model: 'gpt-4o-mini', messages } },
  { name: 'anthropic stream', provider: 'anthropic', body: { model: 'claude-sonnet-4-5', stream: true, messages } },
];

/** A DevTools protocol session with the isolate of the worker named `worker`. */
async function inspect(inspectorPort, worker) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.id === `core:user:${worker}`);
  if (!target) throw new Error(`no inspector target for ${worker}: ${targets.map((t) => t.id).join(', ')}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let next = 0;
  const waiting = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    const done = waiting.get(message.id);
    if (!done) return;
    waiting.delete(message.id);
    if (message.error) done.reject(new Error(message.error.message));
    else done.resolve(message.result);
  });
  return {
    send(method, params = {}) {
      next += 1;
      const id = next;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}

/** What a profile node's time is counted as. */
function bucketOf({ functionName, url }) {
  if (functionName === '(idle)') return null;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(root)') return 'runtime (outside JavaScript)';
  if (url.startsWith('wasm://') || url.endsWith('.wasm')) return `wasm: ${crateOf(functionName)}`;
  if (url.includes('index.js')) return 'JS glue (JS <-> wasm crossings)';
  if (url === '') return `runtime built-ins`;
  return 'worker JavaScript';
}

/** The crate a Rust function name belongs to, in a few groups. */
function crateOf(name) {
  if (/^(wasm-function\[|\$)/.test(name)) return 'unnamed (built without names)';
  const path = name.replace(/^<+/, '').replace(/^(impl |&mut |&)/, '');
  const crate = path.split('::')[0].replace(/[^a-z0-9_].*$/, '');
  if (crate === 'serde' || crate === 'serde_json' || crate === 'serde_wasm_bindgen') return 'serde (JSON)';
  if (crate === 'ferry_core') {
    const module = path.split('::')[1] ?? '';
    if (['adapter', 'sse', 'stream', 'wire'].includes(module)) return `ferry_core::${module} (translation)`;
    return `ferry_core::${module}`;
  }
  if (crate === 'proxy_worker') {
    const module = path.split('::')[1] ?? '';
    return `proxy_worker::${module.replace(/\{.*$/, '') || 'lib'}`;
  }
  if (['dlmalloc', 'alloc', 'core', 'std', 'hashbrown'].includes(crate)) return 'Rust std (alloc, fmt, collections)';
  if (['worker', 'wasm_bindgen', 'wasm_bindgen_futures', 'js_sys', 'web_sys', 'wasm_streams', 'futures_util', 'futures_core', 'futures_channel'].includes(crate)) {
    return 'workers-rs and wasm-bindgen (futures, streams)';
  }
  return crate || 'other';
}

/** Self time in µs per bucket and per function, from a V8 CPU profile. */
function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const times = new Map();
  const functions = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const node = nodes.get(profile.samples[i]);
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const bucket = bucketOf(node.callFrame);
    if (!bucket) continue;
    times.set(bucket, (times.get(bucket) ?? 0) + dt);
    const name = `${node.callFrame.functionName || '(anonymous)'} [${bucket}]`;
    functions.set(name, (functions.get(name) ?? 0) + dt);
  }
  return { times, functions };
}

/** Parses `Server-Timing` into { name: dur }. */
function serverTiming(header) {
  const out = {};
  for (const entry of (header ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const dur = params.find((p) => p.startsWith('dur='));
    if (name && dur) out[name] = Number(dur.slice(4));
  }
  return out;
}

/** Sends `kind` REQUESTS times through `base` while the isolate is profiled. */
async function profileKind(session, request) {
  for (let i = 0; i < WARMUP; i += 1) await timed(request());
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
  await session.send('Profiler.start');
  const timings = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i += 1) {
    const res = await fetch(request().url, { method: 'POST', headers: request().headers, body: request().body });
    await res.arrayBuffer();
    timings.push(serverTiming(res.headers.get('server-timing')));
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const { profile } = await session.send('Profiler.stop');
  await session.send('Profiler.disable');
  const mean = (name) => timings.reduce((sum, t) => sum + (t[name] ?? 0), 0) / timings.length;
  return {
    ...selfTimes(profile),
    wallMs,
    proxyMs: mean('proxy'),
    limitsMs: mean('limits'),
  };
}

function report(name, runs) {
  console.log(`\n${name}: CPU per request in the worker's isolate (µs), ${REQUESTS} requests each`);
  const buckets = new Set();
  for (const run of Object.values(runs)) for (const b of run.times.keys()) buckets.add(b);
  const targets = Object.keys(runs);
  const rows = [...buckets].map((b) => [b, ...targets.map((t) => (runs[t].times.get(b) ?? 0) / REQUESTS)]);
  rows.sort((a, b) => b[1] - a[1]);
  const width = Math.max(...rows.map((r) => r[0].length), 10);
  console.log(`  ${'what ran'.padEnd(width)}  ${targets.map((t) => t.padStart(14)).join('')}`);
  for (const row of rows) {
    if (row.slice(1).every((v) => v < 1)) continue;
    console.log(`  ${row[0].padEnd(width)}  ${row.slice(1).map((v) => v.toFixed(1).padStart(14)).join('')}`);
  }
  const totals = targets.map((t) => [...runs[t].times.values()].reduce((a, b) => a + b, 0) / REQUESTS);
  console.log(`  ${'total CPU'.padEnd(width)}  ${totals.map((v) => v.toFixed(1).padStart(14)).join('')}`);
  const wall = targets.map((t) => ((runs[t].wallMs * 1000) / REQUESTS).toFixed(0).padStart(14));
  console.log(`  ${'wall time per request'.padEnd(width)}  ${wall.join('')}`);
  const ferry = runs.Ferry;
  if (ferry && TOP > 0) {
    const top = [...ferry.functions].sort((a, b) => b[1] - a[1]).slice(0, TOP);
    console.log(`  Ferry's ${TOP} functions with the most self time (µs per request):`);
    for (const [fn, us] of top) console.log(`    ${(us / REQUESTS).toFixed(1).padStart(8)}  ${fn.slice(0, 110)}`);
  }
  if (ferry) {
    console.log(`  Server-Timing means: proxy ${ferry.proxyMs.toFixed(2)} ms, limits ${ferry.limitsMs.toFixed(2)} ms`);
  }
}

async function main() {
  const mock = await startMock();
  const auth = await startAuth();
  const ferryPort = await freePort();
  const floorPort = await freePort();
  const ferry = await startWorkerd(BUILD, authVars(mockVars(mock.url), auth), {
    limits: true,
    inspectorPort: ferryPort,
  });
  const floor = await startPassThrough(mock.url, { inspectorPort: floorPort });
  const ferrySession = await inspect(ferryPort, '');
  const floorSession = await inspect(floorPort, '');
  try {
    for (const kind of KINDS) {
      const through = () => viaProxy(ferry.url, kind.provider, kind.body, auth.token);
      // The floor forwards the request Ferry makes upstream, as the other benches do.
      const sent = await captureDirect(mock, through());
      const straight = () => ({ ...sent, url: sent.url.replace(mock.url, floor.url) });
      const runs = {};
      runs.floor = await profileKind(floorSession, straight);
      runs.Ferry = await profileKind(ferrySession, through);
      report(kind.name, runs);
    }
  } finally {
    ferrySession.close();
    floorSession.close();
    agent.destroy();
    await Promise.all([ferry.stop(), floor.stop(), mock.close()]);
    auth.stop();
  }
}

await main();
