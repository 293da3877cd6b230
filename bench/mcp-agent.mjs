// From the model's tool call to the request at the MCP server, with Ferry's own agent in
// headless Chromium: the built agent module on a page, its model calls through the proxy
// worker (in workerd, Miniflare's API, with the limits' Durable Object as deployed) to the
// loopback mock provider, whose `agent` model calls `everything__echo` when told
// `use <tool> <json>`. The MCP server is the official reference server behind two recording
// fronts: one passes its CORS headers on (the browser calls it directly), the other strips
// them (the browser is refused, so the agent goes through the worker's /v1/proxy/mcp). The
// tool is set to `always`, so no approval waits. Turns alternate between the two ways.
//
//   bash scripts/build-worker.sh && bash scripts/build-agent.sh && node bench/mcp-agent.mjs
//   BENCH_SAMPLES=100 node bench/mcp-agent.mjs        (turns per way; 30 by default)
//   BENCH_WORKER=wrangler node bench/mcp-agent.mjs    (the worker under `wrangler dev`)
//
// What is measured, per turn, from one moment: the mock handing the chunk that carries the
// tool call to Node (`res.write` of the `tool_calls` delta; the finish chunk, `[DONE]` and
// the end of the answer follow in the same tick, and the agent acts only once the stream
// has ended), to
//   - the agent's `tool_call_started` event reaching the page's callback,
//   - the whole `tools/call` request having arrived at the front before the server,
//   - the agent's `tool_call_finished` event reaching the page's callback (the server's
//     answer back through the same way, read and stored by the agent).
// The mock, the fronts and the bench share one Node process and clock (performance.now());
// the page's times (performance.timeOrigin + performance.now()) are brought onto it by the
// offset measured with the fastest of 40 page round trips (before and after the run, the
// tighter one kept), whose half-width is printed. Preflights: the browser's OPTIONS at the
// front between the chunk and the call (Chromium caches them a while).
// Figures only; nothing is asserted. Everything is on loopback: over the internet, add the
// browser↔server round trip (direct) or browser↔proxy and proxy↔server (relayed).

import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { startEverything, startFront } from '../tests/e2e/support/mcp-servers.mjs';
import { startMockProvider } from '../tests/e2e/support/mock-provider.mjs';
import { ROOT, mockVars, startWorker } from '../tests/e2e/support/worker.mjs';
import { startWorkerd } from './workerd.mjs';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const WARMUP = 5;
const WAYS = ['direct', 'relay'];
const KEY = 'sk-bench-mcp-agent';

// The moment the mock writes each tool-call chunk, by the echo's message (unique per turn).
// Only the mock's chat answers are looked at; the fronts' writes pass untouched.
const toolChunkAt = new Map();
const write = http.ServerResponse.prototype.write;
http.ServerResponse.prototype.write = function (chunk, ...rest) {
  if (typeof chunk === 'string' && chunk.includes('"tool_calls":[') && this.req?.url?.includes('/chat/completions')) {
    const tag = chunk.match(/bench-(?:direct|relay)-\d+/)?.[0];
    if (tag && !toolChunkAt.has(tag)) toolChunkAt.set(tag, performance.now());
  }
  return write.call(this, chunk, ...rest);
};

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

/** The page clock's offset from this process's, from the fastest of `rounds` round trips. */
async function clockOffset(page, rounds = 40) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < rounds; i += 1) {
    const sent = performance.now();
    const there = await page.evaluate(() => performance.timeOrigin + performance.now());
    const back = performance.now();
    if (back - sent < best.rtt) best = { rtt: back - sent, offset: there - (sent + back) / 2 };
  }
  return best;
}

const loadBefore = os.loadavg();
const mock = await startMockProvider();
const everything = await startEverything();
const fronts = {
  direct: await startFront(everything.url, { cors: true }),
  relay: await startFront(everything.url, { cors: false }),
};
// The relay reaches loopback servers only with FETCH_ALLOW_PRIVATE.
const vars = { ...mockVars(mock.url), FETCH_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '1000000' };
const underWrangler = process.env.BENCH_WORKER === 'wrangler';
const worker = underWrangler
  ? await startWorker({ vars })
  : await startWorkerd(path.join(ROOT, 'proxy-worker', 'build'), vars, { limits: true });
const site = await startStatic({
  routes: { '/': { type: 'text/html', body: '<!doctype html><title>bench</title>' } },
  mounts: { '/pkg/': path.join(ROOT, 'target', 'web-agent-pkg') },
});
const browser = await startBrowser();

const figures = Object.fromEntries(WAYS.map((way) => [way, { started: [], arrival: [], finished: [], preflights: 0 }]));
let servers;
let clockBefore;
let clockAfter;
try {
  const page = await browser.page();
  await page.goto(`${site.url}/`);
  // Mistral takes no browser calls: every model call goes through the worker.
  const settings = { provider: 'mistral', model: 'agent-1', system_prompt: 'You are Ferry.', proxy_url: worker.url };
  servers = await page.evaluate(
    async ({ settings, key, urls }) => {
      const module = await import('/pkg/web_agent.js');
      await module.default();
      const agent = await module.openAgent('ferry-bench-mcp', JSON.stringify(settings));
      const clock = () => performance.timeOrigin + performance.now();
      window.run = async (command) => {
        const events = [];
        await agent.command(JSON.stringify(command), (e) => events.push({ at: clock(), event: JSON.parse(e) }));
        return events;
      };
      window.turn = async (text) => {
        const created = await window.run({ type: 'new_session' });
        const session = created.find((e) => e.event.type === 'session_created').event.session;
        const events = await window.run({ type: 'send_message', session, text });
        const started = events.find((e) => e.event.type === 'tool_call_started');
        const finished = events.find((e) => e.event.type === 'tool_call_finished');
        return {
          started: started?.at,
          finished: finished?.at,
          ok: finished?.event.ok,
          output: finished?.event.output,
          kinds: events.map((e) => e.event.type),
        };
      };
      await window.run({ type: 'set_key', provider: 'mistral', key, remember: true });
      const found = {};
      for (const [way, url] of Object.entries(urls)) {
        const added = await window.run({ type: 'add_mcp_server', url });
        const failed = added.find((e) => e.event.type === 'mcp_server_failed');
        if (failed) throw new Error(`adding the ${way} server failed: ${failed.event.message}`);
        const listed = added.findLast((e) => e.event.type === 'mcp_servers').event.servers;
        const fresh = listed.filter((s) => !Object.values(found).some((f) => f.id === s.id));
        const server = fresh.find((s) => s.url === url) ?? (fresh.length === 1 ? fresh[0] : undefined);
        if (!server) throw new Error(`the ${way} server is not listed: ${JSON.stringify(listed)}`);
        await window.run({ type: 'set_mcp_tool_approval', server: server.id, tool: 'echo', approval: 'always' });
        const echo = server.tools.find((t) => t.name === 'echo');
        found[way] = { id: server.id, via: server.via, qualified: echo.qualified };
      }
      const listed = (await window.run({ type: 'list_mcp_servers' })).findLast((e) => e.event.type === 'mcp_servers');
      for (const f of Object.values(found)) {
        f.approval = listed.event.servers.find((s) => s.id === f.id).tools.find((t) => t.name === 'echo').approval;
      }
      return found;
    },
    { settings, key: KEY, urls: Object.fromEntries(WAYS.map((way) => [way, fronts[way].url])) },
  );
  for (const way of WAYS) {
    if (servers[way].via !== way || servers[way].approval !== 'always') {
      throw new Error(`the ${way} server is reached ${servers[way].via}, echo approval ${servers[way].approval}`);
    }
  }
  clockBefore = await clockOffset(page);

  let tag = 0;
  const sample = async (way, keep) => {
    tag += 1;
    const message = `bench-${way}-${tag}`;
    const front = fronts[way];
    front.clear();
    mock.clear();
    const turn = await page.evaluate((text) => window.turn(text), `use ${servers[way].qualified} {"message":"${message}"}`);
    if (!turn.ok || !turn.output?.includes(message)) throw new Error(`the ${way} turn did not echo: ${JSON.stringify(turn)}`);
    const written = toolChunkAt.get(message);
    toolChunkAt.delete(message);
    const seen = front.requests.find((r) => r.body?.method === 'tools/call' && r.body.params?.arguments?.message === message);
    if (written === undefined || !seen) throw new Error(`the ${way} turn left no trace (chunk ${written}, front ${Boolean(seen)})`);
    // The way is the one meant: the browser's own request carries an Origin, the relay's not.
    if (Boolean(seen.headers.origin) !== (way === 'direct')) throw new Error(`the ${way} call came the other way`);
    if (!keep) return;
    const f = figures[way];
    // Page times stay on the page's clock until the offset is known best (after the run).
    f.started.push(turn.started - written);
    f.arrival.push(seen.at - written);
    f.finished.push(turn.finished - written);
    f.preflights += front.requests.filter((r) => r.method === 'OPTIONS' && r.startedAt >= written && r.startedAt <= seen.startedAt).length;
  };
  for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
    // Interleaved, the order alternating, so drift hits both ways alike.
    const order = i % 2 === 0 ? WAYS : [...WAYS].reverse();
    for (const way of order) await sample(way, i >= WARMUP);
  }
  clockAfter = await clockOffset(page);
} finally {
  await browser.stop();
  await site.stop();
  await worker.stop();
  for (const front of Object.values(fronts)) await front.stop();
  await everything.stop();
  await mock.close();
}
const loadAfter = os.loadavg();
const clock = clockBefore.rtt <= clockAfter.rtt ? clockBefore : clockAfter;
for (const f of Object.values(figures)) {
  f.started = f.started.map((t) => t - clock.offset);
  f.finished = f.finished.map((t) => t - clock.offset);
}

const ms = (n) => n.toFixed(2).padStart(7);
const cell = (values) => {
  const s = summary(values);
  return `${ms(s.p50)} / ${ms(s.p95)}`;
};
console.log(
  `Ferry's agent in Chromium calls ${servers.direct.qualified} (server-everything's echo): ${SAMPLES} turns per way after ${WARMUP} warm-up, interleaved, loopback, ` +
    `worker ${underWrangler ? 'under wrangler dev' : 'in workerd'}`,
);
console.log('From the mock writing the tool-call chunk, ms, p50 / p95:');
console.log('| way | → tool_call_started (page) | → tools/call at the server | → tool_call_finished (page) | preflights at the server |');
console.log('|---|---|---|---|---|');
for (const way of WAYS) {
  const f = figures[way];
  console.log(`| ${way} | ${cell(f.started)} | ${cell(f.arrival)} | ${cell(f.finished)} | ${f.preflights} in ${SAMPLES} calls |`);
}
const p50 = (way, kind) => summary(figures[way][kind]).p50;
console.log(
  `relayed − direct (p50): ${(p50('relay', 'arrival') - p50('direct', 'arrival')).toFixed(2)} ms to the server, ` +
    `${(p50('relay', 'finished') - p50('direct', 'finished')).toFixed(2)} ms to tool_call_finished`,
);
console.log(
  `page times brought onto the bench's clock within ± ${(clock.rtt / 2).toFixed(2)} ms (the offset measured before and after the run differs by ${(clockAfter.offset - clockBefore.offset).toFixed(2)} ms); ` +
    `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after, ${os.cpus().length} cores`,
);
