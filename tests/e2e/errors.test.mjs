// Errors: every one is `{"error":{"type","code","message"}}` with the contract's status, and
// carries X-Request-Id; provider refusals keep their status and words, minus the key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';

import { freePort } from './support/worker.mjs';
import { KEY, MESSAGES, assertError, modelFor, post, providerHeaders, useStack } from './support/stack.mjs';

const CHAT = '/v1/chat/completions';
const BIG = 200 * 1024;

// deepseek points at a port nobody listens on: the unreachable provider.
const stack = useStack(async () => ({
  vars: { DEEPSEEK_BASE_URL: `http://127.0.0.1:${await freePort()}/v1` },
}));

function assertNothingUpstream() {
  assert.deepEqual(
    stack.mock.requests.map((r) => r.path),
    [],
    'the request should have been refused before reaching the provider',
  );
}

describe('400 invalid_request', () => {
  it('malformed JSON', async () => {
    const res = await post(stack.url, CHAT, '{"model": "gpt-4o-mini", "messages": [', providerHeaders('openai'));
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });

  it('no provider: no X-Provider and no prefix on the model', async () => {
    const res = await post(stack.url, CHAT, { model: 'gpt-4o-mini', messages: MESSAGES }, { 'X-Provider-Key': KEY });
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });

  it('unknown provider in X-Provider', async () => {
    const res = await post(stack.url, CHAT, { model: 'gpt-4o-mini', messages: MESSAGES }, providerHeaders('nope'));
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });

  it('unknown provider as a model prefix', async () => {
    const res = await post(stack.url, CHAT, { model: 'nope/gpt-4o', messages: MESSAGES }, { 'X-Provider-Key': KEY });
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });

  it('missing X-Provider-Key', async () => {
    const res = await post(stack.url, CHAT, { model: 'gpt-4o-mini', messages: MESSAGES }, { 'X-Provider': 'openai' });
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });

  it('a model name that is not printable or too long, on chat and embeddings, before any upstream call', async () => {
    const names = {
      'U+0000': 'gpt-4o\u0000mini',
      'only U+0000': '\u0000',
      'a newline': 'gpt-4o\nmini',
      'a right-to-left override': 'gpt-4o\u202Emini',
      '257 characters': 'g'.repeat(257),
    };
    for (const [what, model] of Object.entries(names)) {
      const chat = await post(stack.url, CHAT, { model, messages: MESSAGES }, providerHeaders('openai'));
      const error = await assertError(chat, 400, 'invalid_request');
      assert.match(error.message, /model/, what);
      assert.ok(!error.message.includes('\u0000'), `${what}: the message repeats the name`);
      const embeddings = await post(stack.url, '/v1/embeddings', { model, input: 'hi' }, providerHeaders('openai'));
      await assertError(embeddings, 400, 'invalid_request');
    }
    assertNothingUpstream();
    // 256 printable characters are fine.
    const res = await post(stack.url, CHAT, { model: 'g'.repeat(256), messages: MESSAGES }, providerHeaders('openai'));
    assert.equal(res.status, 200, await res.clone().text());
  });

  it('a body without messages', async () => {
    const res = await post(stack.url, CHAT, { model: 'gpt-4o-mini' }, providerHeaders('openai'));
    await assertError(res, 400, 'invalid_request');
    assertNothingUpstream();
  });
});

describe('404 and 405', () => {
  it('unknown route', async () => {
    const res = await fetch(`${stack.url}/v1/nope`);
    await assertError(res, 404, 'not_found');
  });

  it('wrong method on a known route', async () => {
    await assertError(await fetch(`${stack.url}${CHAT}`), 405, 'method_not_allowed');
    await assertError(
      await fetch(`${stack.url}/v1/embeddings`, { method: 'PUT', body: '{}' }),
      405,
      'method_not_allowed',
    );
    assertNothingUpstream();
  });
});

describe('413 payload_too_large', () => {
  it('a 200 KB body with Content-Length', async () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(BIG) }] };
    const res = await post(stack.url, CHAT, body, providerHeaders('openai'));
    await assertError(res, 413, 'payload_too_large');
    assertNothingUpstream();
  });

  it('a 200 KB chunked body without Content-Length', async () => {
    const encoder = new TextEncoder();
    const parts = [
      encoder.encode('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'),
      ...Array.from({ length: BIG / 16_384 }, () => encoder.encode('x'.repeat(16_384))),
      encoder.encode('"}]}'),
    ];
    const body = new ReadableStream({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    let res;
    try {
      res = await fetch(`${stack.url}${CHAT}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...providerHeaders('openai') },
        body,
        duplex: 'half',
        signal: AbortSignal.timeout(20_000),
      });
    } catch (err) {
      // Seen when the worker answers before the body is read to its end and drops the rest:
      // the client's upload is then reset instead of getting the 413.
      assert.fail(`no answer while sending the body (${err.cause?.code ?? err.message}): read past the limit and discard`);
    }
    await assertError(res, 413, 'payload_too_large');
    assertNothingUpstream();
  });
});

describe('502 upstream_error', () => {
  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: the provider answers 500`, async () => {
      const res = await post(stack.url, CHAT, { model: modelFor(provider, 'error500'), messages: MESSAGES }, providerHeaders(provider));
      await assertError(res, 502, 'upstream_error', { provider });
      assert.equal(stack.mock.requests.length, 1, 'a 5xx is not retried by the proxy');
    });
  }

  it('a stream whose provider answers 500 before any event gets a JSON 502', async () => {
    const res = await post(
      stack.url,
      CHAT,
      { model: modelFor('anthropic', 'error500'), messages: MESSAGES, stream: true },
      providerHeaders('anthropic'),
    );
    await assertError(res, 502, 'upstream_error', { provider: 'anthropic' });
  });

  it('the provider is unreachable', async () => {
    const res = await post(stack.url, CHAT, { model: 'deepseek-chat', messages: MESSAGES }, providerHeaders('deepseek'));
    await assertError(res, 502, 'upstream_error', { provider: 'deepseek' });
  });

  it('the provider breaks the connection half-way through a whole answer', async () => {
    const res = await post(stack.url, CHAT, { model: modelFor('openai', 'cut'), messages: MESSAGES }, providerHeaders('openai'));
    await assertError(res, 502, 'upstream_error', { provider: 'openai' });
  });
});

describe('a provider refusal keeps its status and message, without the key', () => {
  const expected = {
    openai: 'Incorrect API key provided',
    anthropic: 'invalid x-api-key',
    google: 'API key not valid',
  };
  for (const [provider, words] of Object.entries(expected)) {
    it(`${provider}: 401 for a bad key`, async () => {
      const res = await post(stack.url, CHAT, { model: modelFor(provider, 'x'), messages: MESSAGES }, providerHeaders(provider, 'bad-key'));
      const error = await assertError(res, 401, undefined, { provider });
      assert.ok(error.message.includes(words), `the provider's words are lost: ${error.message}`);
      assert.ok(!error.message.includes('bad-key'), `the key is echoed: ${error.message}`);
      assert.ok(!JSON.stringify(error).includes('bad-key'));
    });
  }

  for (const provider of ['openai', 'anthropic']) {
    it(`${provider}: a 429 passes on the provider's Retry-After, which the agent's fallback chain decides on`, async () => {
      const model = modelFor(provider, `ratelimit-${Date.now()}`);
      const res = await post(stack.url, CHAT, { model, messages: MESSAGES }, providerHeaders(provider));
      assert.equal(res.headers.get('retry-after'), '2');
      await assertError(res, 429, undefined, { provider });
    });
  }

  it('the SDK sees an authentication error with status 401', async () => {
    await assert.rejects(
      stack.client('openai', 'bad-key').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      (err) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.equal(err.status, 401);
        assert.ok(!String(err.message).includes('bad-key'), err.message);
        return true;
      },
    );
  });
});
