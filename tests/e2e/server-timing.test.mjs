// Server-Timing on every response: the proxy's own time apart from the provider's, so
// overhead shows in a browser's devtools; readable by an allowed page (exposed, and
// Timing-Allow-Origin).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SLOW_GAP_MS } from './support/mock-provider.mjs';
import { MESSAGES, modelFor, post, providerHeaders, useStack } from './support/stack.mjs';

const stack = useStack();

/** The `Server-Timing` entries of `res`: `{ name: { dur, desc } }`. */
function timings(res) {
  const header = res.headers.get('server-timing');
  assert.ok(header, `Server-Timing missing on ${res.status} ${res.url}`);
  const entries = {};
  for (const entry of header.split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const fields = Object.fromEntries(params.map((p) => p.split('=')));
    entries[name] = { dur: Number(fields.dur), desc: fields.desc };
  }
  for (const [name, { dur }] of Object.entries(entries)) {
    assert.ok(Number.isFinite(dur) && dur >= 0, `${name}: ${header}`);
  }
  return entries;
}

const chat = (model, stream = false) =>
  post(stack.url, '/v1/chat/completions', { model, messages: MESSAGES, stream }, providerHeaders('openai'));

describe('Server-Timing', () => {
  it("parts the proxy's time from the provider's", async () => {
    // The mock answers this one after four gaps.
    const res = await chat(modelFor('openai', 'slow'));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const { proxy, upstream } = timings(res);
    assert.equal(proxy.desc, '"Ferry"');
    assert.equal(upstream.desc, '"provider"');
    assert.ok(upstream.dur >= SLOW_GAP_MS * 4 - 50, `upstream ${upstream.dur} ms`);
    assert.ok(proxy.dur < upstream.dur, `proxy ${proxy.dur} ms, upstream ${upstream.dur} ms`);
  });

  it('on a stream, upstream is the wait for its headers', async () => {
    const res = await chat(modelFor('openai', 'ok'), true);
    assert.equal(res.status, 200);
    const entries = timings(res);
    await res.text();
    assert.deepEqual(Object.keys(entries), ['proxy', 'upstream', 'limits']);
  });

  it('a response that called nobody has the proxy only: health, a refusal, a preflight', async () => {
    const health = await fetch(`${stack.url}/health`);
    await health.arrayBuffer();
    const refused = await post(stack.url, '/v1/chat/completions', { model: 'gpt-x', messages: MESSAGES });
    await refused.arrayBuffer();
    assert.equal(refused.status, 400);
    const preflight = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    await preflight.arrayBuffer();
    for (const res of [health, refused, preflight]) {
      assert.deepEqual(Object.keys(timings(res)), ['proxy'], res.url);
    }
    assert.deepEqual(stack.mock.requests, []);
  });

  it('an allowed page may read it', async () => {
    const origin = 'https://app.example';
    const res = await post(
      stack.url,
      '/v1/chat/completions',
      { model: modelFor('openai', 'ok'), messages: MESSAGES },
      { ...providerHeaders('openai'), origin },
    );
    await res.arrayBuffer();
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    assert.ok(exposed.includes('server-timing'), exposed.join());
    assert.equal(res.headers.get('timing-allow-origin'), res.headers.get('access-control-allow-origin'));
  });
});
