// Reasoning models end to end through the proxy under `wrangler dev`, against the mock
// provider, which thinks in each provider's documented format and enforces each provider's
// rules on what comes back (support/mock-thinking.mjs):
// - a two-round tool loop with thinking on works for Anthropic and Gemini when the client
//   sends the assistant message back unchanged (reasoning_details, tool call ids), and is
//   refused by the provider when it does not;
// - the official `openai` SDK sees the thinking (`delta.reasoning_content`) and the usage
//   (reasoning, cached and cache-write tokens, `usage.cost`) in the last chunk;
// - a parameter the model refuses while it thinks is dropped and named in
//   X-Ferry-Dropped-Params, which browsers may read;
// - the usage row in PostgreSQL carries the reasoning and cache-write tokens.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';

import { AFTER_TOOL, OPENROUTER_COST, THINKING, THINKING_USAGE } from './support/mock-thinking.mjs';
import { assembleToolCalls, contentOf, readSse } from './support/sse.mjs';
import { KEY, WEATHER_TOOL, post, providerHeaders } from './support/stack.mjs';
import { eventually, startSupabaseStack } from './support/supabase-stack.mjs';
import { ROOT } from './support/worker.mjs';

/** The model table (core/models.json, which a core test keeps equal to core's). */
const MODELS = JSON.parse(readFileSync(path.join(ROOT, 'core', 'models.json'), 'utf8'));
const priceOf = (provider, prefix) => MODELS.find((f) => f.provider === provider && f.prefix === prefix).price;

const QUESTION = [{ role: 'user', content: 'What is the weather in Paris?' }];
const TOOL_RESULT = '{"sky":"sunny","celsius":21}';
const DROPPED = 'x-ferry-dropped-params';

let stack;
let user;
before(async () => {
  stack = await startSupabaseStack();
  user = await stack.user();
});
after(async () => {
  await stack?.stop();
});
beforeEach(() => stack.mock.clear());

const headers = (provider) => ({ ...providerHeaders(provider), authorization: `Bearer ${user.token}` });

function chat(provider, body, extra = {}) {
  return post(stack.url, '/v1/chat/completions', body, { ...headers(provider), ...extra });
}

/** The OpenAI SDK against the proxy, as `provider`, signed in. */
function sdk(provider) {
  return new OpenAI({
    apiKey: 'unused',
    baseURL: `${stack.url}/v1`,
    defaultHeaders: { ...providerHeaders(provider, KEY), authorization: `Bearer ${user.token}` },
    maxRetries: 0,
    timeout: 20_000,
  });
}

/** The assistant message of an answer, streamed or whole, as a client would keep it. */
async function assistantOf(res, stream) {
  if (!stream) return (await res.json()).choices[0].message;
  const events = await readSse(res);
  assert.equal(events.broken, undefined);
  const chunks = events.map((e) => e.json).filter(Boolean);
  const deltas = chunks.map((c) => c.choices?.[0]?.delta ?? {});
  const details = [];
  for (const d of deltas.flatMap((delta) => delta.reasoning_details ?? [])) {
    // The documented stream rule: entries of one index are one detail, strings appended.
    const same = details.find((x) => x.index === d.index);
    if (!same) details.push({ ...d });
    else {
      for (const [k, v] of Object.entries(d)) {
        same[k] = ['text', 'summary', 'data'].includes(k) && typeof same[k] === 'string' ? same[k] + v : v;
      }
    }
  }
  const calls = assembleToolCalls(chunks);
  const message = {
    role: 'assistant',
    content: contentOf(chunks) || null,
    reasoning_content: deltas.map((d) => d.reasoning_content ?? '').join('') || undefined,
  };
  if (details.length > 0) message.reasoning_details = details;
  if (calls.length > 0) {
    message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return message;
}

const LOOPS = [
  { provider: 'anthropic', model: 'claude-sonnet-4-5-tools', upstream: '/v1/messages' },
  { provider: 'anthropic', model: 'claude-sonnet-4-5-tools-redacted', upstream: '/v1/messages' },
  { provider: 'google', model: 'gemini-2.5-flash-tools', upstream: ':stream' },
  { provider: 'google', model: 'gemini-3-pro-preview-tools', upstream: ':stream' },
  { provider: 'openrouter', model: 'anthropic/claude-sonnet-4.5-tools', upstream: '/chat/completions' },
];
/** The upstream path of a provider's chat calls on the mock. */
const UPSTREAM = { anthropic: '/v1/messages', google: '/google/', openrouter: '/chat/completions' };
/** The words of each provider's refusal when the thinking did not come back. */
const REFUSED = { anthropic: /must start with a thinking block/, google: /thought_signature/, openrouter: /reasoning_details/ };

describe('a two-round tool loop with thinking on', () => {
  for (const { provider, model } of LOOPS) {
    for (const stream of [true, false]) {
      it(`${model}, ${stream ? 'streamed' : 'whole'}: the assistant message sent back as it came is accepted`, async () => {
        const ask = (messages) => chat(provider, { model, messages, tools: [WEATHER_TOOL], reasoning_effort: 'low', stream });
        const first = await ask(QUESTION);
        assert.equal(first.status, 200, await first.clone().text());
        const assistant = await assistantOf(first, stream);
        assert.equal(assistant.reasoning_content, THINKING.join(''));
        assert.equal(assistant.tool_calls?.length, 1, JSON.stringify(assistant));
        assert.equal(assistant.tool_calls[0].function.name, 'get_weather');
        if (provider !== 'google') {
          const [thinking, ...rest] = assistant.reasoning_details;
          assert.equal(thinking.type, 'reasoning.text');
          assert.equal(thinking.format, 'anthropic-claude-v1');
          assert.equal(thinking.text, THINKING.join(''));
          assert.ok(thinking.signature?.length > 20, 'the signature reaches the client');
          assert.equal(rest.length, model.includes('redacted') ? 1 : 0);
          if (model.includes('redacted')) assert.equal(rest[0].type, 'reasoning.encrypted');
        }

        const tool = { role: 'tool', tool_call_id: assistant.tool_calls[0].id, content: TOOL_RESULT };
        stack.mock.clear();
        const second = await ask([...QUESTION, assistant, tool]);
        assert.equal(second.status, 200, await second.clone().text());
        const answer = await assistantOf(second, stream);
        assert.equal(answer.content, AFTER_TOOL);

        // What the provider got back: the thinking restored before the call, signatures intact.
        const [sent] = stack.mock.requestsTo(UPSTREAM[provider]);
        if (provider === 'openrouter') {
          // OpenRouter takes the details back as they came, and its own spelling of the effort.
          const turn = sent.body.messages.find((m) => m.role === 'assistant');
          assert.deepEqual(turn.reasoning_details, assistant.reasoning_details);
          assert.equal(turn.reasoning_content, undefined);
          assert.deepEqual(sent.body.reasoning, { effort: 'low' });
          assert.equal(sent.body.reasoning_effort, undefined);
        } else if (provider === 'anthropic') {
          const turn = sent.body.messages.find((m) => m.role === 'assistant');
          assert.deepEqual(turn.content.map((b) => b.type), [
            'thinking',
            ...(model.includes('redacted') ? ['redacted_thinking'] : []),
            'tool_use',
          ]);
          assert.equal(turn.content[0].signature, assistant.reasoning_details[0].signature);
          assert.equal(sent.body.temperature, undefined);
        } else {
          const turn = sent.body.contents.find((c) => c.role === 'model');
          const call = turn.parts.find((p) => p.functionCall);
          assert.ok(call.thoughtSignature?.length > 20, 'the thought signature goes back with the call');
        }
      });
    }

    const paused = provider === 'anthropic';
    const title = paused
      ? `${model}: without its thinking, the proxy goes on without thinking and says so`
      : `${model}: without what it was given, the provider refuses the second round`;
    it(title, async () => {
      const ask = (messages) => chat(provider, { model, messages, tools: [WEATHER_TOOL], reasoning_effort: 'low' });
      const assistant = await assistantOf(await ask(QUESTION), false);
      // The client forgets the thinking (Anthropic) or the signature in the call id (Gemini).
      const bare = {
        role: 'assistant',
        content: assistant.content,
        tool_calls: assistant.tool_calls.map((c) => ({ ...c, id: provider === 'google' ? 'call_0' : c.id })),
      };
      const tool = { role: 'tool', tool_call_id: bare.tool_calls[0].id, content: TOOL_RESULT };
      stack.mock.clear();
      const res = await ask([...QUESTION, bare, tool]);
      const text = await res.text();
      if (paused) {
        // Anthropic refuses a thinking request whose tool loop lost its thinking, so the proxy
        // asks this round without thinking, and names the effort it left out.
        assert.equal(res.status, 200, text);
        assert.match(res.headers.get(DROPPED) ?? '', /reasoning_effort/);
        const [sent] = stack.mock.requestsTo(UPSTREAM[provider]);
        assert.equal(sent.body.thinking, undefined);
        return;
      }
      assert.equal(res.status, 400, text);
      assert.match(JSON.parse(text).error.message, REFUSED[provider]);
    });
  }

  it('a thinking block whose text was changed is refused (its signature no longer matches)', async () => {
    const model = 'claude-sonnet-4-5-tools';
    const ask = (messages) => chat('anthropic', { model, messages, tools: [WEATHER_TOOL], reasoning_effort: 'low' });
    const assistant = await assistantOf(await ask(QUESTION), false);
    assistant.reasoning_details[0].text += ' (edited)';
    const tool = { role: 'tool', tool_call_id: assistant.tool_calls[0].id, content: TOOL_RESULT };
    const res = await ask([...QUESTION, assistant, tool]);
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(JSON.parse(text).error.message, /Invalid `signature`/);
  });
});

/** Reads an SDK stream: the thinking, the answer and the last chunk. */
async function readStream(stream) {
  let thinking = '';
  let content = '';
  let last;
  for await (const chunk of stream) {
    thinking += chunk.choices[0]?.delta?.reasoning_content ?? '';
    content += chunk.choices[0]?.delta?.content ?? '';
    last = chunk;
  }
  return { thinking, content, last };
}

const usd = (price, { fresh = 0, read = 0, written = 0, output = 0 }) =>
  (fresh * price.input + read * price.cached_input + written * price.cache_write + output * price.output) / 1e6;

describe('the official openai SDK sees the thinking and the true usage', () => {
  it('deepseek-reasoner: reasoning_content, reasoning and cached tokens, and the cost in the last chunk', async () => {
    const { thinking, content, last } = await readStream(
      await sdk('deepseek').chat.completions.create({ model: 'deepseek-reasoner', messages: QUESTION, stream: true }),
    );
    assert.equal(thinking, THINKING.join(''));
    assert.equal(content, 'Hello from openai!');
    assert.deepEqual(last.choices, []);
    const { usage } = last;
    assert.equal(usage.completion_tokens_details.reasoning_tokens, THINKING_USAGE.reasoning);
    assert.equal(usage.prompt_tokens_details.cached_tokens, THINKING_USAGE.cacheRead);
    const expected = usd(priceOf('deepseek', 'deepseek-reasoner'), {
      fresh: THINKING_USAGE.input,
      read: THINKING_USAGE.cacheRead,
      output: THINKING_USAGE.answer + THINKING_USAGE.reasoning,
    });
    assert.ok(Math.abs(usage.cost - expected) < 1e-12, `${usage.cost} ≠ ${expected}`);
  });

  it('anthropic with thinking: cache reads and writes in prompt_tokens, each priced at its own rate', async () => {
    const { thinking, content, last } = await readStream(
      await sdk('anthropic').chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: QUESTION,
        reasoning_effort: 'low',
        stream: true,
      }),
    );
    assert.equal(thinking, THINKING.join(''));
    assert.equal(content, 'Hello from anthropic!');
    const { usage } = last;
    const { input, cacheRead, cacheWrite, output } = THINKING_USAGE;
    assert.equal(usage.prompt_tokens, input + cacheRead + cacheWrite);
    assert.equal(usage.completion_tokens, output);
    assert.equal(usage.prompt_tokens_details.cached_tokens, cacheRead);
    assert.equal(usage.prompt_tokens_details.cache_write_tokens, cacheWrite);
    // Anthropic reports no thinking count: estimated from the thinking text, within the output.
    const reasoning = usage.completion_tokens_details.reasoning_tokens;
    assert.ok(reasoning > 0 && reasoning <= output, `${reasoning}`);
    const expected = usd(priceOf('anthropic', 'claude-sonnet-4'), { fresh: input, read: cacheRead, written: cacheWrite, output });
    assert.ok(Math.abs(usage.cost - expected) < 1e-12, `${usage.cost} ≠ ${expected}`);
  });

  it('gemini with thinking: thoughtsTokenCount in completion_tokens and reasoning_tokens', async () => {
    const { thinking, content, last } = await readStream(
      await sdk('google').chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: QUESTION,
        reasoning_effort: 'medium',
        stream: true,
      }),
    );
    assert.equal(thinking, THINKING.join(''));
    assert.equal(content, 'Hello from google!');
    const { usage } = last;
    const { input, cacheRead, answer, reasoning } = THINKING_USAGE;
    assert.equal(usage.prompt_tokens, input + cacheRead);
    assert.equal(usage.prompt_tokens_details.cached_tokens, cacheRead);
    assert.equal(usage.completion_tokens, answer + reasoning);
    assert.equal(usage.completion_tokens_details.reasoning_tokens, reasoning);
    const expected = usd(priceOf('google', 'gemini-2.5-flash'), { fresh: input, read: cacheRead, output: answer + reasoning });
    assert.ok(Math.abs(usage.cost - expected) < 1e-12, `${usage.cost} ≠ ${expected}`);
  });

  it("openrouter: OpenRouter's own cost is what the client sees and the row keeps", async () => {
    const { thinking, last } = await readStream(
      await sdk('openrouter').chat.completions.create({
        model: 'anthropic/claude-sonnet-4.5',
        messages: QUESTION,
        reasoning_effort: 'high',
        stream: true,
      }),
    );
    assert.equal(thinking, THINKING.join(''));
    assert.equal(last.usage.cost, OPENROUTER_COST);
    assert.equal(last.usage.completion_tokens_details.reasoning_tokens, THINKING_USAGE.reasoning);
    const [sent] = stack.mock.requestsTo('/chat/completions');
    assert.deepEqual(sent.body.reasoning, { effort: 'high' });
  });
});

describe('X-Ferry-Dropped-Params', () => {
  for (const stream of [true, false]) {
    it(`names the temperature a thinking Claude refuses, ${stream ? 'streamed' : 'whole'}, readable by a browser`, async () => {
      const res = await chat(
        'anthropic',
        { model: 'claude-sonnet-4-5', messages: QUESTION, reasoning_effort: 'low', temperature: 0.2, top_p: 0.5, stream },
        { origin: 'https://app.example' },
      );
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get(DROPPED), 'temperature, top_p');
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
      assert.ok(exposed.includes(DROPPED), exposed.join(', '));
      await res.text();
      const [sent] = stack.mock.requestsTo('/v1/messages');
      assert.equal(sent.body.temperature, undefined);
      assert.equal(sent.body.top_p, undefined);
      assert.ok(sent.body.max_tokens > sent.body.thinking.budget_tokens);
    });
  }

  it("names OpenAI's reasoning model's temperature and a plain model's reasoning_effort", async () => {
    const o3 = await chat('openai', { model: 'o3', messages: QUESTION, temperature: 0.3, reasoning_effort: 'high' });
    assert.equal(o3.status, 200, await o3.clone().text());
    assert.equal(o3.headers.get(DROPPED), 'temperature');
    const plain = await chat('openai', { model: 'gpt-4o-mini', messages: QUESTION, reasoning_effort: 'high' });
    assert.equal(plain.status, 200, await plain.clone().text());
    assert.equal(plain.headers.get(DROPPED), 'reasoning_effort');
    const sent = stack.mock.requestsTo('/chat/completions').map((r) => r.body);
    assert.equal(sent[0].reasoning_effort, 'high');
    assert.equal(sent[0].temperature, undefined);
    assert.equal(sent[1].reasoning_effort, undefined);
  });

  it('is absent when nothing was dropped', async () => {
    const res = await chat('anthropic', { model: 'claude-sonnet-4-5', messages: QUESTION, reasoning_effort: 'low' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get(DROPPED), null);
    await res.text();
  });
});

describe('usage rows', () => {
  it('carry reasoning and cache-write tokens and their cost', async () => {
    const ids = [];
    const calls = [
      ['anthropic', 'claude-sonnet-4-5'],
      ['google', 'gemini-2.5-flash'],
      ['deepseek', 'deepseek-reasoner'],
      ['openrouter', 'anthropic/claude-sonnet-4.5'],
    ];
    for (const [provider, model] of calls) {
      for (const stream of [true, false]) {
        const res = await chat(provider, { model, messages: QUESTION, reasoning_effort: 'low', stream });
        assert.equal(res.status, 200, await res.clone().text());
        await res.text();
        ids.push([provider, res.headers.get('x-request-id')]);
      }
    }
    const rows = await eventually(async () => {
      const { rows } = await stack.db.query('select * from public.usage_events where request_id = any($1)', [ids.map(([, id]) => id)]);
      return rows.length === ids.length && rows;
    }, { what: `${ids.length} usage rows` });
    const { input, cacheRead, cacheWrite, output, answer, reasoning } = THINKING_USAGE;
    for (const [provider, id] of ids) {
      const row = rows.find((r) => r.request_id === id);
      assert.equal(row.provider, provider);
      assert.equal(row.cached_tokens, cacheRead, provider);
      if (provider === 'anthropic') {
        assert.equal(row.input_tokens, input + cacheRead + cacheWrite);
        assert.equal(row.cache_write_tokens, cacheWrite);
        assert.equal(row.output_tokens, output);
        assert.ok(row.reasoning_tokens > 0 && row.reasoning_tokens <= output, `${row.reasoning_tokens}`);
        const cost = usd(priceOf('anthropic', 'claude-sonnet-4'), { fresh: input, read: cacheRead, written: cacheWrite, output });
        assert.equal(row.cost_usd, cost.toFixed(6));
      } else {
        assert.equal(row.cache_write_tokens, 0);
        assert.equal(row.output_tokens, answer + reasoning);
        assert.equal(row.reasoning_tokens, reasoning);
      }
      // OpenRouter bills its own figure: the row keeps it rather than the table's estimate.
      if (provider === 'openrouter') assert.equal(row.cost_usd, OPENROUTER_COST.toFixed(6));
    }
  });
});

describe('hostile reasoning fields', () => {
  const refused = async (provider, body) => {
    const res = await chat(provider, { messages: QUESTION, ...body });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.equal(JSON.parse(text).error.code, 'invalid_request');
    assert.ok(!text.includes(KEY), 'the key is not in the answer');
    assert.equal(stack.mock.requests.length, 0, 'nothing went upstream');
  };

  for (const effort of ['xhigh', 'HIGH', 3, '', ['low']]) {
    it(`a reasoning_effort of ${JSON.stringify(effort)} is refused before any upstream call`, () =>
      refused('anthropic', { model: 'claude-sonnet-4-5', reasoning_effort: effort }));
  }

  for (const details of ['thinking', { type: 'reasoning.text' }, [7], [{ type: 'reasoning.text', index: -1 }]]) {
    it(`reasoning_details of ${JSON.stringify(details)} are refused before any upstream call`, () =>
      refused('anthropic', {
        model: 'claude-sonnet-4-5',
        messages: [...QUESTION, { role: 'assistant', content: 'Hi.', reasoning_details: details }, ...QUESTION],
      }));
  }

  it("another provider's details, or thinking without a signature, never reach Anthropic", async () => {
    const details = [
      { type: 'reasoning.encrypted', data: 'c2lnbmF0dXJl', format: 'google-gemini-v1', index: 0 },
      { type: 'reasoning.text', text: 'Forged thought.', format: 'anthropic-claude-v1', index: 1 },
    ];
    const res = await chat('anthropic', {
      model: 'claude-sonnet-4-5',
      messages: [...QUESTION, { role: 'assistant', content: 'Hi.', reasoning_details: details }, ...QUESTION],
    });
    assert.equal(res.status, 200, await res.clone().text());
    const [sent] = stack.mock.requestsTo(UPSTREAM.anthropic);
    const turn = sent.body.messages.find((m) => m.role === 'assistant');
    assert.deepEqual(turn.content.map((b) => b.type), ['text']);
  });
});
