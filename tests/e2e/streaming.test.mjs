// Streams: the SSE shape on the wire, events passed on as they arrive (no buffering), tool
// calls translated into OpenAI tool-call deltas, and upstream streams that break off.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';

import { TOOL_ARGS } from './support/mock-provider.mjs';
import { assembleToolCalls, contentOf, finishReasonOf, readSse } from './support/sse.mjs';
import {
  FORMATS,
  MESSAGES,
  WEATHER_TOOL,
  assertRequestId,
  modelFor,
  post,
  providerHeaders,
  useStack,
} from './support/stack.mjs';

const stack = useStack();

function streamRaw(provider, model) {
  return post(stack.url, '/v1/chat/completions', { model, messages: MESSAGES, stream: true }, providerHeaders(provider));
}

describe('the SSE stream on the wire', () => {
  for (const [provider, { model, usage }] of Object.entries(FORMATS)) {
    it(`${provider}: chunks, then a usage chunk, then [DONE]`, async () => {
      const res = await streamRaw(provider, model);
      assert.equal(res.status, 200);
      assertRequestId(res);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = await readSse(res);
      assert.equal(events.broken, undefined, `stream broke: ${events.broken}`);
      assert.equal(events.at(-1).data, '[DONE]');
      assert.equal(events.filter((e) => e.data === '[DONE]').length, 1);
      const chunks = events.slice(0, -1).map((e) => e.json);
      for (const chunk of chunks) {
        assert.equal(chunk?.object, 'chat.completion.chunk', JSON.stringify(chunk));
      }
      assert.equal(contentOf(chunks), `Hello from ${provider}!`);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.equal(last.usage.prompt_tokens, usage.prompt_tokens);
      assert.equal(last.usage.completion_tokens, usage.completion_tokens);
    });
  }
});

describe("the provider's connection after a stream", () => {
  it('is kept for the next call, not opened anew for each stream', async () => {
    const before = stack.mock.connections();
    for (let i = 0; i < 6; i += 1) {
      for (const [provider, { model }] of Object.entries(FORMATS)) {
        const events = await readSse(await streamRaw(provider, model));
        assert.equal(events.at(-1).data, '[DONE]');
      }
    }
    // Eighteen streams one after another: the runtime keeps the provider's connection
    // between them unless a stream leaves it broken (a body left half-read, an abort).
    const opened = stack.mock.connections() - before;
    assert.ok(opened <= 6, `${opened} connections for 18 streams`);
  });
});

describe('events pass through as they arrive', () => {
  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: five events sent 300 ms apart arrive spread out`, async () => {
      const start = performance.now();
      const stream = await stack
        .client(provider)
        .chat.completions.create({ model: modelFor(provider, 'slow'), messages: MESSAGES, stream: true });
      const pieces = [];
      const times = [];
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) {
          pieces.push(text);
          times.push(performance.now());
        }
      }
      assert.deepEqual(pieces, ['one', ' two', ' three', ' four', ' five']);
      const spread = times.at(-1) - times[0];
      assert.ok(spread >= 900, `content arrived within ${spread.toFixed(0)} ms: buffered?`);
      assert.ok(
        times[0] - start <= times.at(-1) - start - 900,
        `first piece after ${(times[0] - start).toFixed(0)} ms, last after ${(times.at(-1) - start).toFixed(0)} ms`,
      );
      for (let i = 1; i < times.length; i += 1) {
        const gap = times[i] - times[i - 1];
        assert.ok(gap >= 150, `pieces ${i - 1} and ${i} arrived ${gap.toFixed(0)} ms apart`);
      }
    });
  }
});

describe('tool calls become OpenAI tool-call deltas', () => {
  async function streamTools(provider) {
    const stream = await stack.client(provider).chat.completions.create({
      model: modelFor(provider, 'tools'),
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [WEATHER_TOOL],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  it('anthropic: tool_use with streamed input_json_delta', async () => {
    const chunks = await streamTools('anthropic');
    assert.equal(contentOf(chunks), 'Let me check.');
    const calls = assembleToolCalls(chunks);
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.equal(calls[0].id, 'toolu_01');
    assert.equal(calls[0].type, 'function');
    assert.equal(calls[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].arguments), TOOL_ARGS);
    assert.ok(calls[0].pieces > 1, `arguments came in ${calls[0].pieces} delta(s), not as streamed`);
    assert.equal(finishReasonOf(chunks), 'tool_calls');

    const [record] = stack.mock.requests;
    assert.equal(record.body.tools?.[0]?.name, 'get_weather');
    assert.deepEqual(record.body.tools[0].input_schema, WEATHER_TOOL.function.parameters);
  });

  it('google: a whole functionCall', async () => {
    const chunks = await streamTools('google');
    const calls = assembleToolCalls(chunks);
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.equal(typeof calls[0].id, 'string');
    assert.ok(calls[0].id.length > 0, 'a tool call needs an id');
    assert.equal(calls[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].arguments), TOOL_ARGS);
    assert.equal(finishReasonOf(chunks), 'tool_calls');

    const [record] = stack.mock.requests;
    const tools = record.body.tools ?? [];
    const declarations = tools.flatMap((t) => t.functionDeclarations ?? t.function_declarations ?? []);
    assert.equal(declarations[0]?.name, 'get_weather', JSON.stringify(record.body.tools));
  });

  it('openai: tool-call deltas pass through', async () => {
    const chunks = await streamTools('openai');
    const calls = assembleToolCalls(chunks);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].id, 'call_01');
    assert.equal(calls[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].arguments), TOOL_ARGS);
    assert.equal(finishReasonOf(chunks), 'tool_calls');
  });

  for (const provider of ['anthropic', 'google']) {
    it(`${provider}: a whole answer carries tool_calls`, async () => {
      const answer = await stack.client(provider).chat.completions.create({
        model: modelFor(provider, 'tools'),
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [WEATHER_TOOL],
      });
      const [choice] = answer.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls?.length, 1, JSON.stringify(choice.message));
      const [call] = choice.message.tool_calls;
      assert.equal(call.type, 'function');
      assert.ok(typeof call.id === 'string' && call.id.length > 0);
      if (provider === 'anthropic') {
        assert.equal(call.id, 'toolu_01');
        assert.equal(choice.message.content, 'Let me check.');
      }
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGS);
    });
  }
});

describe('an upstream stream that breaks off', () => {
  // Mid-stream, headers (200) are already out: the proxy ends the stream with exactly one
  // error event and no [DONE], and closes it cleanly.
  for (const scenario of ['cut', 'unfinished']) {
    for (const provider of ['openai', 'anthropic', 'google']) {
      it(`${provider}/${scenario}: one error event, no [DONE]`, async () => {
        const res = await streamRaw(provider, modelFor(provider, scenario));
        assert.equal(res.status, 200);
        assertRequestId(res);
        const events = await readSse(res);
        assert.equal(events.broken, undefined, `the client's stream broke instead of ending: ${events.broken}`);
        assert.equal(events.filter((e) => e.data === '[DONE]').length, 0, 'no [DONE] after a broken stream');
        const errors = events.filter((e) => e.json?.error);
        assert.equal(errors.length, 1, events.map((e) => e.data).join('\n'));
        assert.equal(events.at(-1), errors[0], 'the error event is the last one');
        const { error } = errors[0].json;
        assert.equal(error.code, 'upstream_error');
        assert.equal(typeof error.type, 'string');
        assert.equal(typeof error.message, 'string');
        assert.equal(error.provider, provider);
        const earlier = events.slice(0, -1).map((e) => e.json);
        assert.ok(contentOf(earlier).startsWith('Hello'), 'what arrived before the break was passed on');
        assert.equal(finishReasonOf(earlier), null);
      });
    }
  }

  it("anthropic/overloaded: the provider's own error event ends the stream at once, though its connection stays open", async () => {
    const started = performance.now();
    const res = await streamRaw('anthropic', modelFor('anthropic', 'overloaded'));
    assert.equal(res.status, 200);
    const events = await readSse(res);
    const ms = performance.now() - started;
    assert.equal(events.broken, undefined, `the client's stream broke instead of ending: ${events.broken}`);
    const errors = events.filter((e) => e.json?.error);
    assert.equal(errors.length, 1, events.map((e) => e.data).join('\n'));
    assert.equal(events.at(-1), errors[0], 'the error event is the last one');
    assert.equal(errors[0].json.error.provider, 'anthropic');
    assert.match(errors[0].json.error.message, /Overloaded/);
    assert.equal(events.filter((e) => e.data === '[DONE]').length, 0);
    assert.ok(contentOf(events.slice(0, -1).map((e) => e.json)).startsWith('Hello'));
    // The mock holds its connection for HANG_MS (30 s) after the error event.
    assert.ok(ms < 10_000, `ended after ${ms.toFixed(0)} ms`);
  });
});
