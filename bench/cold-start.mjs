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

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';

import { startWorkerd } from './workerd.mjs';
import { ROOT, freePort, mockVars } from '../tests/e2e/support/worker.mjs';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const BUILD = path.join(ROOT, 'proxy-worker', 'build');
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

/** The mock provider, in its own process. */
async function startMock() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'mock-server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8');
  const [line] = await once(child.stdout, 'data');
  return {
    url: line.trim(),
    close: () => {
      child.kill('SIGTERM');
      return once(child, 'exit');
    },
  };
}

/** A JavaScript worker that forwards to the mock untouched: the floor of one worker hop. */
async function startFloor(mockUrl) {
  const mf = new Miniflare({
    modules: true,
    script: `export default {
      fetch(request, env) {
        const url = new URL(request.url);
        return fetch(env.UPSTREAM + '/openai/v1' + url.pathname.replace(/^\\/v1/, '') + url.search, {
          method: request.method, headers: request.headers, body: request.body,
        });
      },
    };`,
    compatibilityDate: '2026-04-01',
    bindings: { UPSTREAM: mockUrl },
    host: '127.0.0.1',
    port: await freePort(),
  });
  const url = await mf.ready;
  return { url: String(url).replace(/\/$/, ''), stop: () => mf.dispose() };
}

/** One chat completion; resolves to its milliseconds, the answer read whole. */
async function chat(url) {
  const started = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
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
  const starts = {
    Ferry: () => startWorkerd(BUILD, { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' }),
    'JS pass-through': () => startFloor(mock.url),
  };
  const samples = Object.fromEntries(Object.keys(starts).map((name) => [name, { ready: [], first: [], total: [], warm: [] }]));
  try {
    for (let i = 0; i < SAMPLES; i++) {
      for (const [name, start] of Object.entries(starts)) {
        const t0 = performance.now();
        const worker = await start();
        const ready = performance.now() - t0;
        try {
          const first = await chat(worker.url);
          const warm = await chat(worker.url);
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
