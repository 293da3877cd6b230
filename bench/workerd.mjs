// The built worker in workerd itself, through Miniflare's API (no wrangler in between): what
// the benches measure Ferry in.

import path from 'node:path';
import { Miniflare } from 'miniflare';

import { freePort } from '../tests/e2e/support/worker.mjs';

/**
 * Starts the worker built in `build` (a directory like proxy-worker/build) with `vars` as its
 * bindings, its usage queue (a producer, as deployed: each call's row is sent, not retried
 * and logged as lost), and the limits' Durable Object when `limits`; resolves to
 * { url, stop }. With
 * `inspectorPort`, workerd's DevTools inspector listens there (bench/profile.mjs).
 */
export async function startWorkerd(build, vars, { limits = false, inspectorPort } = {}) {
  const port = await freePort();
  const mf = new Miniflare({
    ...(limits ? { durableObjects: { LIMITS: { className: 'LimitsObject', useSQLite: true } } } : {}),
    queueProducers: { USAGE: 'ferry-usage' },
    ...(inspectorPort ? { inspectorPort } : {}),
    modulesRoot: build,
    modules: [
      { type: 'ESModule', path: path.join(build, 'index.js') },
      { type: 'CompiledWasm', path: path.join(build, 'index_bg.wasm') },
    ],
    compatibilityDate: '2026-04-01',
    bindings: vars,
    host: '127.0.0.1',
    port,
    // Drain the worker's per-request log lines.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  });
  const url = await mf.ready;
  return { url: String(url).replace(/\/$/, ''), stop: () => mf.dispose() };
}
