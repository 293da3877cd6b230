// GET /health: always 200, with the proxy's status, version and each provider's switch.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertRequestId, useStack } from './support/stack.mjs';
import { PROVIDERS } from './support/worker.mjs';

const stack = useStack();

describe('/health', () => {
  it('answers ok, a version and every provider enabled', async () => {
    const res = await fetch(`${stack.url}/health`);
    assert.equal(res.status, 200);
    assertRequestId(res);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = await res.json();
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    assert.ok(body.version.length > 0);
    assert.deepEqual(body.providers, Object.fromEntries(PROVIDERS.map((id) => [id, 'enabled'])));
  });

  it('needs no provider, key or token, and calls no provider', async () => {
    const res = await fetch(`${stack.url}/health`, { headers: { Authorization: 'Bearer not-a-jwt' } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(stack.mock.requests.map((r) => r.path), []);
  });

  it('each request gets its own X-Request-Id', async () => {
    const ids = new Set();
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${stack.url}/health`);
      await res.arrayBuffer();
      ids.add(res.headers.get('x-request-id'));
    }
    assert.equal(ids.size, 3);
  });
});
