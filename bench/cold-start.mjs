// Cold start: a fresh workerd process (through Miniflare, as the other benches run the
// worker) until its first answer, for Ferry and for a JavaScript pass-through worker, many
// times, interleaved. Each sample starts a new process, so each first request also creates
// the isolate and compiles and instantiates the worker's module.
//
//   bash scripts/build-worker.sh && node bench/cold-start.mjs      (BENCH_SAMPLES=20)
//
// Printed per worker: `ready` (process up, config loaded, the port listening), `first` (the
// first chat completion, non-streaming, through to the mock provider and back), `start to
// answer` (the two together), and `warm` (the second request, for comparison).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { BUILD, startMock, startPassThrough } from './proxy-targets.mjs';
import { startWorkerd } from './workerd.mjs';
import { mockVars } from '../tests/e2e/support/worker.mjs';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

/** One chat completion at `url`; resolves to its milliseconds, the answer read whole. */
async function chat(url) {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-provider': 'openai', 'x-provider-key': 'sk-bench-key', authorization: 'Bearer sk-bench-key' },
    body: BODY,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - started;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function main() {
  const mock = await startMock();
  // Each worker, and where it takes a chat completion (the floor forwards paths untouched).
  const starts = {
    Ferry: [() => startWorkerd(BUILD, { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' }), '/v1/chat/completions'],
    'JS pass-through': [() => startPassThrough(mock.url), '/openai/v1/chat/completions'],
  };
  const samples = Object.fromEntries(Object.keys(starts).map((name) => [name, { ready: [], first: [], total: [], warm: [] }]));
  try {
    for (let i = 0; i < SAMPLES; i++) {
      for (const [name, [start, route]] of Object.entries(starts)) {
        const t0 = performance.now();
        const worker = await start();
        const ready = performance.now() - t0;
        try {
          const first = await chat(`${worker.url}${route}`);
          const warm = await chat(`${worker.url}${route}`);
          const s = samples[name];
          s.ready.push(ready);
          s.first.push(first);
          s.total.push(ready + first);
          s.warm.push(warm);
        } finally {
          await worker.stop();
        }
      }
    }
  } finally {
    await mock.close();
  }
  const f = (ms) => `${ms.toFixed(1)} ms`.padStart(9);
  console.log(`Cold start, ${SAMPLES} fresh workerd processes each, interleaved: p50 / p95`);
  console.log(`${''.padEnd(16)} ${'ready'.padStart(19)} ${'first answer'.padStart(19)} ${'start to answer'.padStart(19)} ${'warm request'.padStart(19)}`);
  for (const [name, s] of Object.entries(samples)) {
    const cell = (xs) => `${f(quantile(xs, 0.5))} /${f(quantile(xs, 0.95))}`;
    console.log(`${name.padEnd(16)} ${cell(s.ready)} ${cell(s.first)} ${cell(s.total)} ${cell(s.warm)}`);
  }
  const wasm = readFileSync(path.join(BUILD, 'index_bg.wasm'));
  const glue = readFileSync(path.join(BUILD, 'index.js'));
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `Ferry's module: ${kb(wasm.length + glue.length)} raw, ${kb(gzipSync(wasm, { level: 9 }).length + gzipSync(glue, { level: 9 }).length)} gzip (wasm + JS glue)`,
  );
}

await main();
