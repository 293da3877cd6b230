// Chat completions through the official OpenAI SDK for each upstream dialect, and the exact
// requests the proxy sends upstream (read back from the mock's records).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FORMATS, KEY, MESSAGES, assertRequestId, post, providerHeaders, useStack } from './support/stack.mjs';

const stack = useStack();

function assertUsage(usage, expected) {
  assert.ok(usage, 'usage missing');
  assert.equal(usage.prompt_tokens, expected.prompt_tokens);
  assert.equal(usage.completion_tokens, expected.completion_tokens);
  assert.equal(usage.total_tokens, expected.total_tokens);
  if (expected.cached_tokens !== undefined) {
    assert.equal(usage.prompt_tokens_details?.cached_tokens, expected.cached_tokens);
  }
}

/** The one request the mock received since the last clear; never the client's key header. */
function upstream() {
  const { requests } = stack.mock;
  assert.equal(requests.length, 1, `expected one upstream request, got ${JSON.stringify(requests.map((r) => r.path))}`);
  const [record] = requests;
  assert.equal(record.headers['x-provider-key'], undefined, 'X-Provider-Key must not be forwarded');
  return record;
}

/** Text of an Anthropic `system` or message `content`: a string or text blocks. */
function anthropicText(content) {
  if (typeof content === 'string') return content;
  assert.ok(Array.isArray(content), `unexpected content ${JSON.stringify(content)}`);
  return content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

describe('answers through the OpenAI SDK', () => {
  for (const [provider, { model, usage }] of Object.entries(FORMATS)) {
    it(`${provider}: a whole answer has the text, finish_reason and usage`, async () => {
      const { data, response } = await stack
        .client(provider)
        .chat.completions.create({ model, messages: MESSAGES })
        .withResponse();
      assertRequestId(response);
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.choices.length, 1);
      assert.equal(data.choices[0].message.role, 'assistant');
      assert.equal(data.choices[0].message.content, `Hello from ${provider}!`);
      assert.equal(data.choices[0].finish_reason, 'stop');
      assertUsage(data.usage, usage);
    });

    it(`${provider}: a streamed answer has the text, then usage in the last chunk`, async () => {
      const { data: stream, response } = await stack
        .client(provider)
        .chat.completions.create({ model, messages: MESSAGES, stream: true })
        .withResponse();
      assertRequestId(response);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.ok(chunks.length >= 3, `only ${chunks.length} chunks`);
      for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, `Hello from ${provider}!`);
      assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
      assert.equal(chunks.find((c) => c.choices[0]?.finish_reason).choices[0].finish_reason, 'stop');
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
      assertUsage(last.usage, usage);
      assert.equal(chunks.filter((c) => c.usage).length, 1, 'usage only in the last chunk');
    });
  }
});

describe('requests sent upstream', () => {
  it('openai: bearer key, the body as sent', async () => {
    await stack.client('openai').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    const record = upstream();
    assert.equal(record.method, 'POST');
    assert.equal(record.path, '/openai/v1/chat/completions');
    assert.equal(record.headers.authorization, `Bearer ${KEY}`);
    assert.match(record.headers['content-type'], /^application\/json/);
    assert.equal(record.body.model, 'gpt-4o-mini');
    assert.deepEqual(record.body.messages, MESSAGES);
    assert.notEqual(record.body.stream, true);
  });

  it('openai: a stream asks upstream for usage', async () => {
    const stream = await stack
      .client('openai')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    for await (const _ of stream);
    const record = upstream();
    assert.equal(record.body.stream, true);
    assert.deepEqual(record.body.stream_options, { include_usage: true });
  });

  it('anthropic: x-api-key, anthropic-version, system lifted out, max_tokens defaulted', async () => {
    await stack.client('anthropic').chat.completions.create({ model: 'claude-sonnet-4-5', messages: MESSAGES });
    const record = upstream();
    assert.equal(record.method, 'POST');
    assert.equal(record.path, '/anthropic/v1/messages');
    assert.equal(record.headers['x-api-key'], KEY);
    assert.equal(record.headers['anthropic-version'], '2023-06-01');
    assert.equal(record.headers.authorization, undefined, 'the client Authorization header stays at the proxy');
    assert.equal(record.body.model, 'claude-sonnet-4-5');
    assert.equal(record.body.max_tokens, 4096);
    assert.equal(anthropicText(record.body.system), 'Be brief.');
    assert.equal(record.body.messages.length, 1);
    assert.equal(record.body.messages[0].role, 'user');
    assert.equal(anthropicText(record.body.messages[0].content), 'Hi');
    assert.notEqual(record.body.stream, true);
  });

  it("anthropic: the client's max_tokens is kept, stream is passed on", async () => {
    const stream = await stack.client('anthropic').chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: MESSAGES,
      max_tokens: 123,
      stream: true,
    });
    for await (const _ of stream);
    const record = upstream();
    assert.equal(record.body.max_tokens, 123);
    assert.equal(record.body.stream, true);
  });

  it('google: x-goog-api-key, contents and systemInstruction, generateContent', async () => {
    await stack.client('google').chat.completions.create({ model: 'gemini-2.5-flash', messages: MESSAGES });
    const record = upstream();
    assert.equal(record.method, 'POST');
    assert.equal(record.path, '/google/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(record.headers['x-goog-api-key'], KEY);
    assert.equal(record.query.key, undefined, 'the key travels in the header, not the URL');
    assert.equal(record.headers.authorization, undefined);
    assert.deepEqual(record.body.contents, [{ role: 'user', parts: [{ text: 'Hi' }] }]);
    const system = record.body.systemInstruction ?? record.body.system_instruction;
    assert.ok(system, 'systemInstruction missing');
    assert.equal(system.parts.map((p) => p.text).join(''), 'Be brief.');
  });

  it('google: a stream uses streamGenerateContent with alt=sse', async () => {
    const stream = await stack
      .client('google')
      .chat.completions.create({ model: 'gemini-2.5-flash', messages: MESSAGES, stream: true });
    for await (const _ of stream);
    const record = upstream();
    assert.equal(record.path, '/google/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    assert.equal(record.query.alt, 'sse');
    assert.equal(record.headers['x-goog-api-key'], KEY);
  });

  it('google: the model is one encoded path segment: ?, # and ../ do not reshape the URL', async () => {
    const cases = [
      ['gemini-2.5-flash?alt=json&key=x#y', '/google/v1beta/models/gemini-2.5-flash%3Falt%3Djson%26key%3Dx%23y:generateContent'],
      ['../../v1beta/files/secret', '/google/v1beta/models/..%2F..%2Fv1beta%2Ffiles%2Fsecret:generateContent'],
    ];
    for (const [model, path] of cases) {
      stack.mock.clear();
      const res = await post(stack.url, '/v1/chat/completions', { model, messages: MESSAGES }, providerHeaders('google'));
      assert.equal(res.status, 200, await res.clone().text());
      await res.text();
      const record = upstream();
      assert.equal(record.path, path);
      assert.deepEqual(record.query, {}, 'nothing of the model leaked into the query');
    }
  });
});

describe('choosing the provider', () => {
  it('a model prefix selects the provider without X-Provider and is stripped', async () => {
    const answer = await stack
      .client(null)
      .chat.completions.create({ model: 'anthropic/claude-x', messages: MESSAGES });
    assert.equal(answer.choices[0].message.content, 'Hello from anthropic!');
    const record = upstream();
    assert.equal(record.path, '/anthropic/v1/messages');
    assert.equal(record.body.model, 'claude-x');
    assert.equal(record.headers['x-api-key'], KEY);
  });

  it('the prefix works for OpenAI-style providers and Gemini too', async () => {
    await stack.client(null).chat.completions.create({ model: 'groq/llama-3.3-70b', messages: MESSAGES });
    let record = upstream();
    assert.equal(record.path, '/openai/v1/chat/completions');
    assert.equal(record.body.model, 'llama-3.3-70b');
    assert.equal(record.headers.authorization, `Bearer ${KEY}`);

    stack.mock.clear();
    await stack.client(null).chat.completions.create({ model: 'google/gemini-2.5-flash', messages: MESSAGES });
    record = upstream();
    assert.equal(record.path, '/google/v1beta/models/gemini-2.5-flash:generateContent');
  });

  it('with X-Provider the model is sent whole, slash and all', async () => {
    await stack.client('openrouter').chat.completions.create({ model: 'openai/gpt-4o', messages: MESSAGES });
    const record = upstream();
    assert.equal(record.path, '/openai/v1/chat/completions');
    assert.equal(record.body.model, 'openai/gpt-4o');
  });

  it('the /v1/proxy/chat/completions route answers like /v1/chat/completions', async () => {
    const res = await post(
      stack.url,
      '/v1/proxy/chat/completions',
      { model: 'gpt-4o-mini', messages: MESSAGES },
      providerHeaders('openai'),
    );
    assert.equal(res.status, 200);
    assertRequestId(res);
    const body = await res.json();
    assert.equal(body.choices[0].message.content, 'Hello from openai!');
    assert.equal(upstream().path, '/openai/v1/chat/completions');
  });
});
