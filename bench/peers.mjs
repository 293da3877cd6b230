// Ferry beside other LLM gateways: the same OpenAI-format requests to the same loopback mock
// provider, straight, through a plain JavaScript pass-through worker (the floor of one worker
// hop), through Ferry in workerd (plain AUTH_MODE=none, + auth, + auth + limits, as in
// proxy-overhead.mjs), through Portkey's gateway and through LiteLLM's proxy (one worker), at
// concurrency 1, 8 and 32.
//
//   npm run bench:peers            (after scripts/build-worker.sh; first run installs the peers)
//   BENCH_REQUESTS=40 BENCH_CONCURRENCY=1,8 BENCH_PEERS=portkey npm run bench:peers
//
// BENCH_REQUESTS is per target, workload and concurrency (default 400); BENCH_PEERS is a
// comma list of portkey and litellm, or none. The peers are installed on first use into
// target/bench-peers/ (see peer-gateways.mjs); one that cannot be installed or started is
// reported and left out.
//
// Three workloads: an OpenAI stream of 10 content events 5 ms apart (the mock's `paced`
// scenario, so a proxy's cost per event shows in the gap between events), the same stream
// with its 3 events sent at once, and a JSON answer. Per target: time to first byte, time to
// first token (the first SSE event with text), the mean and median gap between events with
// text, total time, requests per second, and what the target adds over going direct.
//
// Each target runs alone at the nominal concurrency, in blocks: a round is CYCLES cycles, and
// each cycle gives every target in turn (the order rotated) its block of the requests. A slow
// target then cannot hold the loops a fast one needs, while all of them still share the same
// stretch of the machine's load. With auth, requests come from 64 users in turn.

import os from 'node:os';

import { PEERS, startLitellm, startPortkey } from './peer-gateways.mjs';
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
import { mockVars } from '../tests/e2e/support/worker.mjs';

const PER_TARGET = Number(process.env.BENCH_REQUESTS ?? 400);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const WANTED = (process.env.BENCH_PEERS ?? 'portkey,litellm').split(',').map((s) => s.trim());
const CYCLES = 4;
const WARMUP = 30;
// `+ auth` and `+ auth + limits` requests come from this many users in turn, so requests in
// flight together are distinct users' and no one Durable Object serialises them.
const USERS = 64;

const messages = [
  { role: 'system', content: 'You are Ferry.' },
  { role: 'user', content: 'Say hello.' },
];
// Every target asks for usage in the stream, so the mock sends all of them the same events.
const usage = { stream_options: { include_usage: true } };
const WORKLOADS = [
  {
    name: 'stream, 10 events 5 ms apart',
    events: true,
    body: { model: 'gpt-4o-mini-paced', stream: true, ...usage, messages },
  },
  { name: 'stream, 3 events at once', events: true, body: { model: 'gpt-4o-mini', stream: true, ...usage, messages } },
  { name: 'JSON', events: false, body: { model: 'gpt-4o-mini', messages } },
];

/**
 * Sends `count` requests of `workload` to `target` from `concurrency` loops; resolves to its
 * wall time. After a failed request every loop stops, and the block fails.
 */
async function block(target, workload, concurrency, count, into) {
  let sent = 0;
  let failure = null;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < count && !failure) {
        sent += 1;
        try {
          into.push(await timed(target.request(workload), { events: workload.events }));
        } catch (err) {
          failure ??= err;
        }
      }
    }),
  );
  if (failure) throw failure;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** One workload at one concurrency: every live target's samples and wall time. */
async function round(targets, workload, concurrency, say) {
  const perBlock = Math.max(concurrency, Math.ceil(PER_TARGET / CYCLES));
  const samples = new Map(targets.map((t) => [t.name, { runs: [], wallMs: 0 }]));
  for (let cycle = 0; cycle < CYCLES; cycle += 1) {
    for (let k = 0; k < targets.length; k += 1) {
      const target = targets[(cycle + k) % targets.length];
      if (target.failed) continue;
      const s = samples.get(target.name);
      try {
        s.wallMs += await block(target, workload, concurrency, perBlock, s.runs);
      } catch (err) {
        target.failed = err.message;
        say(`${target.name} failed and is left out from here: ${err.message}`);
      }
    }
  }
  return targets.filter((t) => !t.failed).map((t) => summary(t.name, samples.get(t.name)));
}

function summary(name, { runs, wallMs }) {
  const sorted = (key) => runs.map((r) => r[key]).sort((a, b) => a - b);
  const ttfb = sorted('ttfb');
  const total = sorted('total');
  const row = {
    name,
    ttfb50: percentile(ttfb, 50),
    total50: percentile(total, 50),
    total99: percentile(total, 99),
    rps: runs.length / (wallMs / 1000),
  };
  if (runs[0]?.ttft !== undefined) {
    const ttft = sorted('ttft');
    const gaps = runs.flatMap((r) => r.gaps).sort((a, b) => a - b);
    Object.assign(row, {
      ttft50: percentile(ttft, 50),
      ttft99: percentile(ttft, 99),
      gapMean: gaps.reduce((a, b) => a + b, 0) / gaps.length,
      gap50: percentile(gaps, 50),
    });
  }
  return row;
}

const ms = (v) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const plus = (v) => (Number.isNaN(v) ? '–' : `${v < 0 ? '-' : '+'}${ms(Math.abs(v))}`);

/** A Markdown table for one workload: a row per target and concurrency. */
function table(workload, byLevel) {
  const head = [
    'target',
    'conc.',
    'TTFB p50',
    'TTFT p50 / p99',
    'gap mean / p50',
    'total p50 / p99',
    'req/s',
    `added ${workload.events ? 'TTFT' : 'TTFB'} p50`,
    'added total p50',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [concurrency, rows] of byLevel) {
    const direct = rows.find((r) => r.name === 'direct');
    for (const r of rows) {
      const first = workload.events ? 'ttft50' : 'ttfb50';
      const added = r === direct || !direct ? ['', ''] : [plus(r[first] - direct[first]), plus(r.total50 - direct.total50)];
      const cells = [
        r.name,
        concurrency,
        ms(r.ttfb50),
        workload.events ? `${ms(r.ttft50)} / ${ms(r.ttft99)}` : '–',
        workload.events ? `${ms(r.gapMean)} / ${ms(r.gap50)}` : '–',
        `${ms(r.total50)} / ${ms(r.total99)}`,
        r.rps.toFixed(0),
        ...added,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * Starts the wanted peers beside each other, each one's stop pushed to `stops` as soon as it
 * runs; a peer that fails is reported and left out.
 */
async function startPeers(mockUrl, stops, say) {
  const starters = { portkey: ['Portkey', startPortkey], litellm: ['LiteLLM', startLitellm] };
  const started = await Promise.all(
    WANTED.filter((id) => starters[id]).map(async (id) => {
      const [name, start] = starters[id];
      const t0 = Date.now();
      try {
        const peer = await start(mockUrl, (line) => say(`${name}: ${line}`));
        stops.push(() => peer.stop());
        say(`${name} ${peer.version} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${peer.url}`);
        return { name, peer };
      } catch (err) {
        say(`${name}: not measured: ${err.message}`);
        return null;
      }
    }),
  );
  return started.filter(Boolean);
}

async function main() {
  const say = (line) => console.log(`# ${line}`);
  const stops = [];
  let peersStarting = null;
  try {
    const mock = await startMock();
    stops.push(() => mock.close());
    // The peers install and start (LiteLLM's import alone takes half a minute) while Ferry does.
    peersStarting = startPeers(mock.url, stops, say);
    const vars = { ...mockVars(mock.url), STREAM_TIMEOUT_SECS: '30' };
    const auth = await startAuth(USERS);
    stops.push(() => auth.stop());
    const ferry = await startWorkerd(BUILD, vars);
    stops.push(() => ferry.stop());
    // Without the limits binding the proxy admits unlimited: the difference is the object's cost.
    const authOnly = await startWorkerd(BUILD, authVars(vars, auth));
    stops.push(() => authOnly.stop());
    const limited = await startWorkerd(BUILD, authVars(vars, auth), { limits: true });
    stops.push(() => limited.stop());
    const passThrough = await startPassThrough(mock.url);
    stops.push(() => passThrough.stop());
    const peers = await peersStarting;

    // What Ferry sends upstream, replayed straight at the mock. The mock does not record its
    // paced answers, so that request is captured with the default model and renamed.
    const direct = new Map();
    for (const w of WORKLOADS) {
      const sent = await captureDirect(mock, viaProxy(ferry.url, 'openai', { ...w.body, model: 'gpt-4o-mini' }));
      direct.set(w, { ...sent, body: JSON.stringify({ ...JSON.parse(sent.body), model: w.body.model }) });
    }
    const targets = [
      { name: 'direct', request: (w) => direct.get(w) },
      { name: 'JS pass-through', request: (w) => ({ ...direct.get(w), url: direct.get(w).url.replace(mock.url, passThrough.url) }) },
      { name: 'Ferry', request: (w) => viaProxy(ferry.url, 'openai', w.body) },
      { name: 'Ferry + auth', request: (w) => viaProxy(authOnly.url, 'openai', w.body, auth.next()) },
      { name: 'Ferry + auth + limits', request: (w) => viaProxy(limited.url, 'openai', w.body, auth.next()) },
      ...peers.map(({ name, peer }) => ({ name, request: (w) => peer.request(w.body) })),
    ];

    const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
    say(
      `${PER_TARGET} requests per target, workload and concurrency (${LEVELS.join(', ')}); ` +
        `${os.cpus().length} cores, load ${load()} at the start`,
    );
    // Warm every target up, LiteLLM's first requests above all (a second or two each).
    for (const t of targets) {
      for (const w of WORKLOADS) {
        try {
          for (let i = 0; i < WARMUP; i += 1) await timed(t.request(w), { events: w.events });
          await block(t, w, Math.max(...LEVELS), 2 * Math.max(...LEVELS), []);
        } catch (err) {
          t.failed ??= err.message;
        }
      }
      if (t.failed) say(`${t.name} failed its warm-up and is left out: ${t.failed}`);
    }

    for (const w of WORKLOADS) {
      const byLevel = [];
      for (const concurrency of LEVELS) byLevel.push([concurrency, await round(targets, w, concurrency, say)]);
      console.log(`\n${w.name} (ms)\n\n${table(w, byLevel)}`);
    }
    say(`load ${load()} at the end`);
    const versions = peers.map(({ name, peer }) => `${name} ${peer.version}`);
    if (versions.length > 0) say(`peers: ${versions.join(', ')} (@hono/node-server ${PEERS.portkey.honoNodeServer} under Portkey)`);
    if (peers.some(({ name }) => name === 'Portkey')) {
      say("Portkey's stream loop sleeps 25 ms before the first event it forwards, by design.");
    }
    if (peers.some(({ name }) => name === 'LiteLLM')) say('LiteLLM: one worker, no master key.');
  } finally {
    // A peer still starting must be up (or given up) before it can be stopped.
    await peersStarting;
    for (const stop of stops.reverse()) await stop();
    agent.destroy();
  }
}

await main();
