// The mock provider in a process of its own, so that it does not share an event loop with
// the benchmark's client. Prints its URL on the first line of stdout.
//
// On top of the e2e mock's scenarios it serves one for the benches, `paced`: an OpenAI chat
// stream (a model name containing "paced", `stream: true`) of PACED_EVENTS content events
// PACED_GAP_MS apart, so what a proxy adds per event shows as a longer gap. The default
// stream sends its events at once and `slow` spaces them 300 ms apart, where a proxy's
// cost per event is lost. Paced requests are answered here and not recorded.

import http from 'node:http';
import { Readable } from 'node:stream';

import { startMockProvider } from '../tests/e2e/support/mock-provider.mjs';

const PACED_EVENTS = 10;
const PACED_GAP_MS = 5;

const CHAT = '/openai/v1/chat/completions';

// The e2e mock keeps its handler to itself; wrap it as its server is created, so that the
// paced answer lives with the benches and every other request reaches the mock unchanged.
const createServer = http.createServer;
http.createServer = (options, handler) => createServer(options, (req, res) => route(req, res, handler));
const mock = await startMockProvider();
http.createServer = createServer;

process.stdout.write(`${mock.url}\n`);
process.on('SIGTERM', async () => {
  await mock.close();
  process.exit(0);
});

/** Answers a paced request itself; hands every other one to the mock's own handler. */
function route(req, res, handler) {
  if (req.method !== 'POST' || req.url !== CHAT) return handler(req, res);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    let body = null;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = null;
    }
    if (body?.stream === true && String(body.model ?? '').includes('paced')) {
      paced(res, body).catch(() => res.destroy());
      return;
    }
    // The body has been read: give the mock the same request with its body replayed.
    const replay = Object.assign(Readable.from([raw]), {
      method: req.method,
      url: req.url,
      headers: req.headers,
      socket: req.socket,
    });
    handler(replay, res);
  });
}

/** An OpenAI chat stream: the role, PACED_EVENTS words PACED_GAP_MS apart, stop, usage. */
async function paced(res, body) {
  const base = { id: 'chatcmpl-paced', object: 'chat.completion.chunk', created: 1_735_689_600, model: body.model };
  const event = (choices, extra = {}) => `data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`;
  const delta = (d, finish = null) => event([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(delta({ role: 'assistant', content: '' }));
  for (let i = 0; i < PACED_EVENTS; i += 1) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, PACED_GAP_MS));
    if (res.destroyed) return;
    res.write(delta({ content: i === 0 ? 'word0' : ` word${i}` }));
  }
  res.write(delta({}, 'stop'));
  if (body.stream_options?.include_usage === true) {
    const usage = { prompt_tokens: 11, completion_tokens: PACED_EVENTS, total_tokens: 11 + PACED_EVENTS };
    res.write(event([], { usage }));
  }
  res.end('data: [DONE]\n\n');
}
