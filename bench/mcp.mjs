// The MCP relay's cost: the official SDK client calls server-everything's `echo` tool
// straight and through the proxy worker's /v1/proxy/mcp (the built worker in workerd,
// Miniflare's API, with the limits' Durable Object as deployed), interleaved, one call at a
// time. A recording front before the server notes when each tools/call arrives there.
//
//   node bench/mcp.mjs                      (after scripts/build-worker.sh)
//   BENCH_SAMPLES=500 node bench/mcp.mjs
//
// Prints, per way, p50 / p95 / mean of: the time from the tools/call leaving the client
// (just before `callTool`) to the whole message having arrived at the server, and the time
// to the answer (the result back in the client). Figures only; nothing is asserted.
// Everything is on loopback, so the relay's figures are the proxy's own work plus one more
// local hop: over the internet, add the client↔proxy and proxy↔server round trips.

import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startEverything, startFront } from '../tests/e2e/support/mcp-servers.mjs';
import { ROOT } from '../tests/e2e/support/worker.mjs';
import { startWorkerd } from './workerd.mjs';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const WARMUP = 20;
const BUILD = path.join(ROOT, 'proxy-worker', 'build');

async function connect(url, headers = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'ferry-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), mean };
}

const everything = await startEverything();
const front = await startFront(everything.url);
const worker = await startWorkerd(
  BUILD,
  { AUTH_MODE: 'none', FETCH_ALLOW_PRIVATE: 'true', ALLOWED_ORIGINS: '*', RATE_LIMIT_PER_MINUTE: '1000000' },
  { limits: true },
);
const ways = {
  direct: await connect(front.url),
  relay: await connect(`${worker.url}/v1/proxy/mcp`, { 'X-MCP-Server': front.url }),
};
const figures = { direct: { arrival: [], answer: [] }, relay: { arrival: [], answer: [] } };

let tag = 0;
async function sample(way, keep) {
  tag += 1;
  const message = `bench-${way}-${tag}`;
  const t0 = performance.now();
  await ways[way].callTool({ name: 'echo', arguments: { message } });
  const answered = performance.now();
  const seen = front.requests.find((r) => r.body?.method === 'tools/call' && r.body.params?.arguments?.message === message);
  if (!seen) throw new Error(`the front never saw ${message}`);
  if (keep) {
    figures[way].arrival.push(seen.at - t0);
    figures[way].answer.push(answered - t0);
  }
  front.clear();
}

try {
  for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
    // Interleaved, the order alternating, so drift hits both ways alike.
    const order = i % 2 === 0 ? ['direct', 'relay'] : ['relay', 'direct'];
    for (const way of order) await sample(way, i >= WARMUP);
  }
} finally {
  for (const client of Object.values(ways)) await client.close().catch(() => {});
  await worker.stop();
  await front.stop();
  await everything.stop();
}

const fmt = (n) => n.toFixed(2).padStart(8);
console.log(`MCP tools/call (echo), ${SAMPLES} samples per way after ${WARMUP} warm-up, one at a time, loopback`);
console.log('way      |  to the server: p50      p95     mean |  to the answer: p50      p95     mean   (ms)');
for (const way of ['direct', 'relay']) {
  const a = summary(figures[way].arrival);
  const b = summary(figures[way].answer);
  console.log(`${way.padEnd(8)} |              ${fmt(a.p50)} ${fmt(a.p95)} ${fmt(a.mean)} |              ${fmt(b.p50)} ${fmt(b.p95)} ${fmt(b.mean)}`);
}
const d = (way, kind, q) => summary(figures[way][kind])[q];
console.log(
  `relay adds (p50): ${(d('relay', 'arrival', 'p50') - d('direct', 'arrival', 'p50')).toFixed(2)} ms to the server, ` +
    `${(d('relay', 'answer', 'p50') - d('direct', 'answer', 'p50')).toFixed(2)} ms to the answer`,
);
