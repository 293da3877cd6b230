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

// A kill switch must fail safe: a value meant as "off" that the proxy does not read as a
// switch turns the proxy (or the provider) off, never on.
const misspelt = useStack({ vars: { PROXY_ENABLED: 'disabled' } });
const providerMisspelt = useStack({ vars: { PROXY_DISABLE_ANTHROPIC: 'please' } });

describe('kill switches that do not parse', () => {
  it('PROXY_ENABLED=disabled switches the proxy off', async () => {
    const health = await (await fetch(`${misspelt.url}/health`)).json();
    assert.equal(health.status, 'disabled');
    await assertError(
      await post(misspelt.url, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: MESSAGES }, providerHeaders('openai')),
      503,
      'proxy_disabled',
    );
    assert.deepEqual(misspelt.mock.requests.map((r) => r.path), []);
    assert.ok(await misspelt.worker.waitForLog(/PROXY_ENABLED: expected true or false/), 'no warning in the log');
  });

  it('PROXY_DISABLE_ANTHROPIC=please disables Anthropic, and only Anthropic', async () => {
    const health = await (await fetch(`${providerMisspelt.url}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.equal(health.providers.anthropic, 'disabled');
    assert.equal(health.providers.openai, 'enabled');
    await assertError(
      await post(providerMisspelt.url, '/v1/chat/completions', { model: 'claude-sonnet-4-5', messages: MESSAGES }, providerHeaders('anthropic')),
      503,
      'provider_disabled',
    );
    const res = await post(providerMisspelt.url, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: MESSAGES }, providerHeaders('openai'));
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(providerMisspelt.mock.requests.map((r) => r.path), ['/openai/v1/chat/completions']);
  });
});
