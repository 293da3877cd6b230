// CORS: preflights answered for the browser app, and the allow-origin header on real answers
// (successes, streams and errors alike, so the page can read them).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MESSAGES, assertRequestId, post, providerHeaders, useStack } from './support/stack.mjs';

const ORIGIN = 'http://localhost:5173';
const WANTED_HEADERS = ['authorization', 'content-type', 'x-provider', 'x-provider-key'];

const stack = useStack();

function assertAllowOrigin(res) {
  const allowed = res.headers.get('access-control-allow-origin');
  assert.ok(allowed === '*' || allowed === ORIGIN, `access-control-allow-origin: ${allowed}`);
}

const listOf = (value) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

describe('CORS', () => {
  for (const [path, method] of [
    ['/v1/chat/completions', 'POST'],
    ['/v1/proxy/chat/completions', 'POST'],
    ['/v1/embeddings', 'POST'],
    ['/v1/models', 'GET'],
  ]) {
    it(`preflight for ${method} ${path}`, async () => {
      const res = await fetch(`${stack.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: ORIGIN,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'authorization, content-type, x-provider, x-provider-key',
        },
      });
      await res.arrayBuffer();
      assert.ok(res.status === 204 || res.status === 200, `preflight answered ${res.status}`);
      assertRequestId(res);
      assertAllowOrigin(res);
      const methods = listOf(res.headers.get('access-control-allow-methods'));
      assert.ok(methods.includes(method.toLowerCase()) || methods.includes('*'), `allow-methods: ${methods}`);
      // A wildcard does not cover Authorization, so the headers must be named.
      const headers = listOf(res.headers.get('access-control-allow-headers'));
      for (const name of WANTED_HEADERS) {
        assert.ok(headers.includes(name), `access-control-allow-headers lacks ${name}: ${headers}`);
      }
    });
  }

  it('a preflight never reaches a provider', () => {
    assert.deepEqual(stack.mock.requests.map((r) => r.path), []);
  });

  it('answers carry access-control-allow-origin: whole, streamed and errors', async () => {
    const headers = { Origin: ORIGIN, ...providerHeaders('openai') };
    const whole = await post(stack.url, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: MESSAGES }, headers);
    await whole.arrayBuffer();
    assert.equal(whole.status, 200);
    assertAllowOrigin(whole);

    const streamed = await post(
      stack.url,
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', messages: MESSAGES, stream: true },
      headers,
    );
    await streamed.arrayBuffer();
    assert.equal(streamed.status, 200);
    assertAllowOrigin(streamed);

    const refused = await post(stack.url, '/v1/chat/completions', '{not json', headers);
    await refused.arrayBuffer();
    assert.equal(refused.status, 400);
    assertAllowOrigin(refused);
  });
});
