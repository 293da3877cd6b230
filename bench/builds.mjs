// Two builds of the worker side by side, for a build setting such as an opt-level: the same
// requests to each, interleaved, at concurrency 1 (p50 and mean total time), then at
// concurrency 32 (requests a second, three rounds of 2 s each, the builds taken in turn).
//
//   cp -r proxy-worker/build /tmp/a    # after one build
//   cp -r proxy-worker/build /tmp/b    # after the other
//   node bench/builds.mjs /tmp/a /tmp/b    # N=1000 requests of each kind per build
//   BENCH_LIMITS=1 node bench/builds.mjs /tmp/a /tmp/b    # + auth + limits, 64 users in turn

import path from 'node:path';

import { authVars, percentile, startAuth, startMock, timed, viaProxy } from './proxy-targets.mjs';
import { startWorkerd } from './workerd.mjs';
import { mockVars } from '../tests/e2e/support/worker.mjs';

const N = Number(process.env.N ?? 1000);
const WARMUP = 100;
const ROUNDS = 3;
const ROUND_MS = 2000;
const CONCURRENCY = 32;
// With BENCH_LIMITS=1, both builds verify tokens and count requests in the limits' Durable
// Objects, as deployed: requests come from 64 users in turn, so that requests in flight
// together are distinct users'.
const LIMITS = process.env.BENCH_LIMITS === '1';

const dirs = process.argv.slice(2);
if (dirs.length !== 2) throw new Error('usage: node bench/builds.mjs BUILD_DIR_A BUILD_DIR_B');
const names = dirs.map((dir) => path.basename(dir));

const messages = [
  { role: 'system', content: 'You are Ferry.' },
  { role: 'user', content: 'Say hello.' },
];
const KINDS = [
  { name: 'openai json', provider: 'openai', body: { model: 'gpt-4o-mini', messages }, events: false },
  { name: 'anthropic stream', provider: 'anthropic', body: { model: 'claude-sonnet-4-5', stream: true, messages }, events: true },
  { name: 'google stream', provider: 'google', body: { model: 'gemini-2.5-flash', stream: true, messages }, events: true },
];

const mock = await startMock();
const auth = LIMITS ? await startAuth(64) : null;
const plain = { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' };
const vars = auth ? authVars(plain, auth) : plain;
const workers = await Promise.all(dirs.map((dir) => startWorkerd(dir, vars, { limits: LIMITS })));

const summary = (ms) => {
  ms.sort((x, y) => x - y);
  const mean = ms.reduce((x, y) => x + y, 0) / ms.length;
  return `p50 ${percentile(ms, 50).toFixed(3)} mean ${mean.toFixed(3)} ms`;
};

for (const { name, provider, body, events } of KINDS) {
  const send = (i) => timed(viaProxy(workers[i].url, provider, body, auth?.next()), { events });
  for (let n = 0; n < WARMUP; n++) for (const i of [0, 1]) await send(i);
  const totals = [[], []];
  for (let n = 0; n < N; n++) {
    for (const i of n % 2 ? [0, 1] : [1, 0]) totals[i].push((await send(i)).total);
  }
  console.log(`${name.padEnd(18)} ${names.map((b, i) => `${b}: ${summary(totals[i])}`).join('   ')}`);

  const rates = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of [0, 1]) {
      let done = 0;
      const end = Date.now() + ROUND_MS;
      const loop = async () => {
        while (Date.now() < end) {
          await send(i);
          done++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, loop));
      rates[i].push(done / (ROUND_MS / 1000));
    }
  }
  const rate = names.map((b, i) => `${b}: ${rates[i].join(' ')}`).join('   ');
  console.log(`${''.padEnd(18)} req/s at ${CONCURRENCY}: ${rate}`);
}

await Promise.all(workers.map((w) => w.stop()));
mock.close();
auth?.stop();
