// The global kill switch: PROXY_ENABLED=false turns every proxy route into 503
// proxy_disabled, while /health still answers and says so.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MESSAGES, assertError, assertRequestId, post, providerHeaders, useStack } from './support/stack.mjs';
import { PROVIDERS } from './support/worker.mjs';

const stack = useStack({ vars: { PROXY_ENABLED: 'false' } });

describe('PROXY_ENABLED=false', () => {
  it('/health answers 200 with status "disabled"', async () => {
    const res = await fetch(`${stack.url}/health`);
    assert.equal(res.status, 200);
    assertRequestId(res);
    const body = await res.json();
    assert.equal(body.status, 'disabled');
    assert.equal(typeof body.version, 'string');
    assert.deepEqual(Object.keys(body.providers).sort(), [...PROVIDERS].sort());
  });

  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: chat completions answer 503 proxy_disabled`, async () => {
      const res = await post(stack.url, '/v1/chat/completions', { model: 'm', messages: MESSAGES }, providerHeaders(provider));
      await assertError(res, 503, 'proxy_disabled');
    });
  }

  it('streams, embeddings and models are refused too', async () => {
    await assertError(
      await post(stack.url, '/v1/chat/completions', { model: 'm', messages: MESSAGES, stream: true }, providerHeaders('openai')),
      503,
      'proxy_disabled',
    );
    await assertError(
      await post(stack.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }, providerHeaders('openai')),
      503,
      'proxy_disabled',
    );
    await assertError(
      await fetch(`${stack.url}/v1/models`, { headers: providerHeaders('openai') }),
      503,
      'proxy_disabled',
    );
    await assertError(
      await post(stack.url, '/v1/proxy/chat/completions', { model: 'm', messages: MESSAGES }, providerHeaders('anthropic')),
      503,
      'proxy_disabled',
    );
  });

  it('nothing reaches a provider', () => {
    assert.deepEqual(stack.mock.requests.map((r) => r.path), []);
  });

  it('the SDK sees status 503', async () => {
    await assert.rejects(
      stack.client('openai').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      (err) => err.status === 503,
    );
  });
});
