// A loopback OpenAI-format provider for the reasoning spec, in the format DeepSeek and vLLM
// document for thinking (`delta.reasoning_content` before `delta.content`), standing in
// front of the shared mock: the worker's MISTRAL_BASE_URL points here, and what this does
// not answer itself goes on to the shared mock unchanged.
//
// Scenarios, by model name (substring):
//   thinker   thinks in THINKING pieces, THINK_GAP_MS apart, then answers ANSWER pieces
//             (also THINK_GAP_MS apart), then a usage chunk whose `cost` is COST
//   rounds    three tool rounds (memory_search, each after a thought), then ROUNDS_DONE
//   teleport  a call to `teleport`, a tool Ferry does not have; after its result, TELEPORT_DONE
//   blank     a call to `memory_save` with a blank note, which the tool refuses (it fails);
//             after its result, BLANK_DONE
// GET /v1/models lists LISTED. Every chat request is recorded in `requests`.

import http from 'node:http';

export const THINK_GAP_MS = 500;
export const THINKING = ['Let me', ' weigh', ' the', ' question', ' carefully.'];
export const ANSWER = ['The answer', ' is 42.'];
export const COST = 0.0042;
export const ROUNDS_DONE = 'All three rounds done.';
export const TELEPORT_DONE = 'Teleporting is not something I can do.';
export const BLANK_DONE = 'That note was empty, so nothing was saved.';
/** The provider's live list: its current default (`mistral-medium-latest`) among others. */
export const LISTED = ['magistral-medium-latest', 'mistral-medium-latest', 'mistral-small-latest'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts it; `upstream` is the shared mock's OpenAI base URL (`…/openai/v1`), which may be
 * set later (`provider.upstream = …`), once the mock is up.
 */
export async function startThinkingProvider(upstream = null) {
  const requests = [];
  const self = { upstream };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://mock.invalid');
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: LISTED.map((id) => ({ id, object: 'model', created: 1_735_689_600, owned_by: 'mock' })) }));
      return;
    }
    let body = null;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {}
    const model = String(body?.model ?? '');
    const ours = ['thinker', 'rounds', 'teleport', 'blank'].find((s) => model.includes(s));
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions' && ours && body.stream) {
      requests.push({ path: url.pathname, headers: req.headers, body });
      await stream(res, ours, body);
      return;
    }
    if (!self.upstream) return res.writeHead(502).end();
    forward(req, res, raw, `${self.upstream}${url.pathname.replace(/^\/v1/, '')}${url.search}`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(self, {
    /** The base URL, as a provider's `…_BASE_URL`. */
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  });
}

function forward(req, res, raw, target) {
  const headers = { ...req.headers };
  delete headers.host;
  const out = http.request(target, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.writeHead(502).end());
  out.end(raw);
}

async function stream(res, scenario, body) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const chunk = (delta, finish = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-think',
      object: 'chat.completion.chunk',
      created: 1_735_689_600,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;
  const send = (text) => !res.destroyed && res.write(text);
  const call = (name, args) =>
    chunk({
      tool_calls: [
        { index: 0, id: `call_${name}_${Date.now()}`, type: 'function', function: { name, arguments: JSON.stringify(args) } },
      ],
    });
  const lastUser = body.messages.map((m) => m.role).lastIndexOf('user');
  const results = body.messages.slice(lastUser + 1).filter((m) => m.role === 'tool').length;
  let reasoning = 0;
  send(chunk({ role: 'assistant', content: '' }));
  if (scenario === 'thinker') {
    for (const piece of THINKING) {
      send(chunk({ reasoning_content: piece }));
      reasoning += 1;
      await sleep(THINK_GAP_MS);
    }
    for (const [i, piece] of ANSWER.entries()) {
      if (i > 0) await sleep(THINK_GAP_MS);
      send(chunk({ content: piece }));
    }
    send(chunk({}, 'stop'));
  } else if (scenario === 'rounds') {
    if (results < 3) {
      send(chunk({ reasoning_content: `Round ${results + 1}: look in the notes.` }));
      reasoning += 1;
      send(call('memory_search', { query: `tea ${results + 1}` }));
      send(chunk({}, 'tool_calls'));
    } else {
      send(chunk({ content: ROUNDS_DONE }));
      send(chunk({}, 'stop'));
    }
  } else if (results === 0) {
    send(scenario === 'blank' ? call('memory_save', { text: '   ' }) : call('teleport', { to: 'the moon' }));
    send(chunk({}, 'tool_calls'));
  } else {
    send(chunk({ content: scenario === 'blank' ? BLANK_DONE : TELEPORT_DONE }));
    send(chunk({}, 'stop'));
  }
  if (body.stream_options?.include_usage) {
    send(
      `data: ${JSON.stringify({
        id: 'chatcmpl-think',
        object: 'chat.completion.chunk',
        created: 1_735_689_600,
        model: body.model,
        choices: [],
        usage: {
          prompt_tokens: 20,
          completion_tokens: 10 + reasoning * 5,
          total_tokens: 30 + reasoning * 5,
          completion_tokens_details: { reasoning_tokens: reasoning * 5 },
          cost: COST,
        },
      })}\n\n`,
    );
  }
  send('data: [DONE]\n\n');
  res.end();
}
