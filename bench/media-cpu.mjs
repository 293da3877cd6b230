// The proxy's CPU time on requests carrying images and PDFs, in workerd itself (Miniflare's
// API over the built bundle), against a request without media: what a Worker's CPU limit
// (10 ms a request on the Workers Free plan) leaves room for.
//
//   node bench/media-cpu.mjs            (after scripts/build-worker.sh)
//   BENCH_REQUESTS=40 node bench/media-cpu.mjs
//
// CPU time is the workerd process's own (user + system, from /proc) over a run of requests,
// divided by their number: unlike wall time, it does not grow when other work shares the
// machine. It includes the runtime's HTTP work on both sides, which a Worker's limit does
// not count; a plain JavaScript worker forwarding the same bodies, in a workerd of its own,
// shows that floor, and the difference is the proxy's own work (parsing, translating,
// copying the body between JavaScript and WebAssembly). Wall-clock latency is printed
// beside it. The upstream is a sink that reads the body and answers a fixed completion in
// each provider's format, without parsing what it got. Linux only (/proc).

import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Miniflare } from 'miniflare';

import { startWorkerd } from './workerd.mjs';
import { ROOT, freePort, mockVars } from '../tests/e2e/support/worker.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50);
const WARMUP = 5;
// BENCH_BUILD: another build of the worker to measure (a directory like proxy-worker/build).
const BUILD = path.resolve(ROOT, process.env.BENCH_BUILD ?? path.join('proxy-worker', 'build'));
const KEY = 'sk-bench-key';
const MIB = 1024 * 1024;

const MODELS = { openai: 'gpt-4o', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.0-flash' };

/** Answers in each provider's format, whatever was asked. */
const ANSWERS = {
  openai: {
    id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Seen.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1000, completion_tokens: 2, total_tokens: 1002 },
  },
  anthropic: {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text: 'Seen.' }], stop_reason: 'end_turn',
    usage: { input_tokens: 1000, output_tokens: 2 },
  },
  google: {
    candidates: [{ content: { role: 'model', parts: [{ text: 'Seen.' }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 2, totalTokenCount: 1002 },
  },
};

/** The upstream: reads the body, answers by route; counts the bytes it got. */
async function startSink() {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (c) => {
      received += c.length;
    });
    req.on('end', () => {
      const provider = req.url.startsWith('/anthropic') ? 'anthropic' : req.url.startsWith('/google') ? 'google' : 'openai';
      const text = JSON.stringify(ANSWERS[provider]);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received: () => received,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The request body: a question, and `media` (an image or a PDF) of about `size` bytes in all. */
function body(provider, media, size) {
  const question = { type: 'text', text: 'Compare the chart in this file with the report, page by page.' };
  const content = [question];
  if (media) {
    const data = randomBytes(Math.floor(((size - 400) * 3) / 4)).toString('base64');
    content.push(
      media === 'image'
        ? { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${data}` } }
        : { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${data}` } },
    );
  }
  return Buffer.from(
    JSON.stringify({
      model: MODELS[provider],
      max_tokens: 512,
      messages: [
        { role: 'system', content: 'You are Ferry.' },
        { role: 'user', content: media ? content : question.text },
      ],
    }),
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One POST; resolves to its wall time in ms. */
function send(url, provider, payload) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'x-provider': provider,
          'x-provider-key': KEY,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode}`));
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const TICKS_PER_MS = 100 / 1000; // USER_HZ: 100 ticks a second on Linux

/** Pids of the workerd processes below this one. */
function workerdPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm === 'workerd') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU milliseconds (user + system) the process has used so far. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
}

/** Starts a workerd (through `start`) and finds its process: the one that was not there before. */
async function withPid(start) {
  const before = new Set(workerdPids());
  const instance = await start();
  const pid = workerdPids().find((p) => !before.has(p));
  if (!pid) throw new Error('no workerd process found');
  return { ...instance, pid };
}

/** Sends `payload` `n` times, one at a time; the median wall time and the CPU per request. */
async function run(pid, url, provider, payload, n) {
  const wall = [];
  const cpu0 = cpuMs(pid);
  for (let i = 0; i < n; i += 1) wall.push(await send(url, provider, payload));
  return { wall: median(wall), cpu: (cpuMs(pid) - cpu0) / n };
}

async function startPassThrough(upstream) {
  const port = await freePort();
  const mf = new Miniflare({
    modules: true,
    script: `export default {
      async fetch(request, env) {
        const url = new URL(request.url);
        return fetch(env.UPSTREAM + '/openai/v1' + url.pathname.replace('/v1', ''), {
          method: request.method, headers: request.headers, body: request.body,
        });
      },
    };`,
    compatibilityDate: '2026-04-01',
    bindings: { UPSTREAM: upstream },
    host: '127.0.0.1',
    port,
  });
  const url = await mf.ready;
  return { url: String(url).replace(/\/$/, ''), stop: () => mf.dispose() };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const sink = await startSink();
  // A media cap above the largest case, which is over the default on purpose.
  const vars = { ...mockVars(sink.url), STREAM_TIMEOUT_SECS: '30', MAX_MEDIA_BODY_BYTES: String(8 * MIB) };
  const workerd = await withPid(() => startWorkerd(BUILD, vars));
  const passThrough = await withPid(() => startPassThrough(sink.url));
  try {
    const cases = [
      ['no media', null, 0],
      ['1 MiB image', 'image', MIB],
      ['1 MiB PDF', 'pdf', MIB],
      ['2 MiB PDF', 'pdf', 2 * MIB],
      ['3 MiB image', 'image', 3 * MIB],
      ['4 MiB image', 'image', 4 * MIB - 1024],
      ['4 MiB PDF', 'pdf', 4 * MIB - 1024],
    ];
    console.log(`media CPU in workerd: ${REQUESTS} requests a case, one at a time, after ${WARMUP} to warm up`);
    console.log('CPU: the workerd process, per request; JS hop: a JavaScript worker forwarding the same body\n');
    console.log(
      `${'case'.padEnd(12)} ${'format'.padEnd(10)} ${'body'.padStart(9)} ${'proxy CPU'.padStart(10)} ${'JS hop CPU'.padStart(11)} ${'difference'.padStart(11)} ${'proxy wall'.padStart(11)} ${'JS hop wall'.padStart(12)}`,
    );
    const ms = (x) => `${x.toFixed(2)} ms`;
    // Warm up on every case first: WebAssembly's optimizing tier compiles in the background,
    // on the same process's CPU, during the first requests.
    for (const [, media, size] of cases) {
      for (const provider of ['openai', 'anthropic', 'google']) {
        const payload = body(provider, media, size);
        await run(workerd.pid, `${workerd.url}/v1/chat/completions`, provider, payload, WARMUP);
      }
    }
    for (const [name, media, size] of cases) {
      for (const provider of ['openai', 'anthropic', 'google']) {
        const payload = body(provider, media, size);
        const url = `${workerd.url}/v1/chat/completions`;
        const hopUrl = `${passThrough.url}/v1/chat/completions`;
        await run(workerd.pid, url, provider, payload, WARMUP);
        await run(passThrough.pid, hopUrl, provider, payload, WARMUP);
        const proxy = await run(workerd.pid, url, provider, payload, REQUESTS);
        const hop = await run(passThrough.pid, hopUrl, provider, payload, REQUESTS);
        console.log(
          `${name.padEnd(12)} ${provider.padEnd(10)} ${`${(payload.length / 1024).toFixed(0)} KiB`.padStart(9)} ${ms(proxy.cpu).padStart(10)} ${ms(hop.cpu).padStart(11)} ${ms(proxy.cpu - hop.cpu).padStart(11)} ${ms(proxy.wall).padStart(11)} ${ms(hop.wall).padStart(12)}`,
        );
      }
    }
    console.log(`\nthe sink received ${(sink.received() / MIB).toFixed(0)} MiB in all`);
  } finally {
    await workerd.stop();
    await passThrough.stop();
    await sink.stop();
    agent.destroy();
  }
}

await main();
