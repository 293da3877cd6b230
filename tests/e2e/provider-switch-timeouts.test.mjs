// One worker with a provider kill switch on (PROXY_DISABLE_ANTHROPIC=true) and 1 s upstream
// time limits: the refused provider, the others unaffected, and upstream_timeout.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';

import { MESSAGES, assertError, assertRequestId, modelFor, post, providerHeaders, useStack } from './support/stack.mjs';
import { contentOf, readSse } from './support/sse.mjs';
import { PROVIDERS } from './support/worker.mjs';

const stack = useStack({
    vars: { PROXY_DISABLE_ANTHROPIC: 'true', REQUEST_TIMEOUT_SECS: '1', STREAM_TIMEOUT_SECS: '1' },
  });

describe('PROXY_DISABLE_ANTHROPIC=true', () => {
  it('/health shows the proxy up and anthropic disabled', async () => {
    const res = await fetch(`${stack.url}/health`);
    assert.equal(res.status, 200);
    assertRequestId(res);
    const body = await res.json();
    assert.equal(body.status, 'ok');
    const expected = Object.fromEntries(PROVIDERS.map((id) => [id, id === 'anthropic' ? 'disabled' : 'enabled']));
    assert.deepEqual(body.providers, expected);
  });

  it('anthropic is refused with 503 provider_disabled, by header or by model prefix', async () => {
    await assertError(
      await post(stack.url, '/v1/chat/completions', { model: 'claude-sonnet-4-5', messages: MESSAGES }, providerHeaders('anthropic')),
      503,
      'provider_disabled',
      { provider: 'anthropic' },
    );
    await assertError(
      await post(stack.url, '/v1/chat/completions', { model: 'anthropic/claude-sonnet-4-5', messages: MESSAGES, stream: true }, { 'X-Provider-Key': 'k-anything' }),
      503,
      'provider_disabled',
      { provider: 'anthropic' },
    );
    await assertError(
      await fetch(`${stack.url}/v1/models`, { headers: providerHeaders('anthropic') }),
      503,
      'provider_disabled',
      { provider: 'anthropic' },
    );
    assert.deepEqual(stack.mock.requests.map((r) => r.path), []);
  });

  it('openai and google still answer', async () => {
    for (const [provider, model] of [
      ['openai', 'gpt-4o-mini'],
      ['google', 'gemini-2.5-flash'],
    ]) {
      const answer = await stack.client(provider).chat.completions.create({ model, messages: MESSAGES });
      assert.equal(answer.choices[0].message.content, `Hello from ${provider}!`);
    }
  });
});

describe('504 upstream_timeout with 1 s limits', () => {
  async function timed(promise) {
    const start = performance.now();
    const res = await promise;
    return { res, ms: performance.now() - start };
  }

  for (const provider of ['openai', 'google']) {
    it(`${provider}: a whole answer that never comes (REQUEST_TIMEOUT_SECS=1)`, async () => {
      const { res, ms } = await timed(
        post(stack.url, '/v1/chat/completions', { model: modelFor(provider, 'hang'), messages: MESSAGES }, providerHeaders(provider)),
      );
      await assertError(res, 504, 'upstream_timeout', { provider });
      assert.ok(ms >= 900 && ms < 8_000, `answered after ${ms.toFixed(0)} ms`);
    });
  }

  it('a stream whose headers never come (STREAM_TIMEOUT_SECS=1) gets a JSON 504, not an SSE error', async () => {
    const { res, ms } = await timed(
      post(
        stack.url,
        '/v1/chat/completions',
        { model: modelFor('openai', 'hang'), messages: MESSAGES, stream: true },
        providerHeaders('openai'),
      ),
    );
    await assertError(res, 504, 'upstream_timeout', { provider: 'openai' });
    assert.ok(ms >= 900 && ms < 8_000, `answered after ${ms.toFixed(0)} ms`);
  });

  it('a stream that outlives STREAM_TIMEOUT_SECS=1 ends with what arrived and one upstream_timeout error event', async () => {
    // "slow": five words 300 ms apart, so the deadline passes after three or four.
    const res = await post(
      stack.url,
      '/v1/chat/completions',
      { model: modelFor('openai', 'slow'), messages: MESSAGES, stream: true },
      providerHeaders('openai'),
    );
    assert.equal(res.status, 200);
    const events = await readSse(res);
    assert.equal(events.broken, undefined, `the client's stream broke instead of ending: ${events.broken}`);
    const errors = events.filter((e) => e.json?.error);
    assert.equal(errors.length, 1, events.map((e) => e.data).join('\n'));
    assert.equal(events.at(-1), errors[0], 'the error event is the last one');
    assert.equal(errors[0].json.error.code, 'upstream_timeout');
    assert.equal(events.filter((e) => e.data === '[DONE]').length, 0);
    assert.ok(contentOf(events.slice(0, -1).map((e) => e.json)).startsWith('one two'));
  });
});
