// GET /v1/models: each provider's list as an OpenAI list, cached per (provider, key).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { KEY, assertError, assertRequestId, providerHeaders, useStack } from './support/stack.mjs';

// The mock's lists; Gemini's `models/` name prefix is dropped to give the id clients send back.
const EXPECTED = {
  openai: {
    ids: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
    path: '/openai/v1/models',
    auth: (r, key) => assert.equal(r.headers.authorization, `Bearer ${key}`),
  },
  anthropic: {
    ids: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
    path: '/anthropic/v1/models',
    auth: (r, key) => {
      assert.equal(r.headers['x-api-key'], key);
      assert.equal(r.headers['anthropic-version'], '2023-06-01');
    },
  },
  google: {
    ids: ['gemini-2.5-flash', 'gemini-2.5-pro', 'text-embedding-004'],
    path: '/google/v1beta/models',
    auth: (r, key) => assert.equal(r.headers['x-goog-api-key'], key),
  },
};

const stack = useStack();

/** A key no earlier request used, so the proxy's cache cannot answer for it. */
const freshKey = () => `sk-test-models-${randomUUID()}`;

function listModels(provider, key, path = '/v1/models') {
  return fetch(`${stack.url}${path}`, { headers: providerHeaders(provider, key), signal: AbortSignal.timeout(20_000) });
}

const upstreamCalls = (provider) => stack.mock.requests.filter((r) => r.path === EXPECTED[provider].path).length;

describe('GET /v1/models', () => {
  for (const [provider, { ids, path, auth }] of Object.entries(EXPECTED)) {
    it(`${provider}: an OpenAI model list`, async () => {
      const key = freshKey();
      const res = await listModels(provider, key);
      assert.equal(res.status, 200);
      assertRequestId(res);
      const body = await res.json();
      assert.equal(body.object, 'list');
      assert.deepEqual(body.data.map((m) => m.id).sort(), [...ids].sort());
      for (const model of body.data) {
        assert.equal(model.object, 'model');
        assert.equal(typeof model.id, 'string');
      }
      const [record] = stack.mock.requests;
      assert.equal(stack.mock.requests.length, 1);
      assert.equal(record.method, 'GET');
      assert.equal(record.path, path);
      auth(record, key);
      assert.equal(record.headers['x-provider-key'], undefined);
    });

    it(`${provider}: cached per key: the same key reaches the provider once, another key again`, async () => {
      const first = freshKey();
      for (let i = 0; i < 2; i += 1) {
        const res = await listModels(provider, first);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).data.length, ids.length);
      }
      assert.equal(upstreamCalls(provider), 1, 'the second call should come from the cache');

      const res = await listModels(provider, freshKey());
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(upstreamCalls(provider), 2, 'a different key must not be answered from the cache');
    });
  }

  it('the official SDK lists the models', async () => {
    const ids = [];
    for await (const model of stack.client('openai', freshKey()).models.list()) ids.push(model.id);
    assert.deepEqual(ids.sort(), [...EXPECTED.openai.ids].sort());
  });

  it('/v1/proxy/models answers the same list', async () => {
    const res = await listModels('anthropic', KEY, '/v1/proxy/models');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((m) => m.id).sort(), [...EXPECTED.anthropic.ids].sort());
  });

  it('a refusal is passed on and not cached', async () => {
    for (let i = 0; i < 2; i += 1) {
      await assertError(await listModels('openai', 'bad-key-models'), 401, undefined, { provider: 'openai' });
    }
    assert.equal(upstreamCalls('openai'), 2);
  });
});
