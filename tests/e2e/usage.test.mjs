// Usage events: every proxied model call becomes one `usage_events` row in Supabase, with
// the provider's own token counts (streams included) and an estimated cost — written by
// the worker's queue consumer through the PostgREST stand-in onto a real PostgreSQL. The
// stand-in goes down mid-test: requests still succeed, and the rows arrive once it is back,
// each exactly once.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { readSse } from './support/sse.mjs';
import { FORMATS, MESSAGES, modelFor, post, providerHeaders } from './support/stack.mjs';
import { eventually, startSupabaseStack } from './support/supabase-stack.mjs';

let stack;
let user;
before(async () => {
  stack = await startSupabaseStack();
  user = await stack.user();
});
after(async () => {
  await stack?.stop();
});

async function call(provider, { model = FORMATS[provider].model, stream = false } = {}) {
  const res = await post(
    stack.url,
    '/v1/chat/completions',
    { model, messages: MESSAGES, stream },
    { ...providerHeaders(provider), authorization: `Bearer ${user.token}` },
  );
  const requestId = res.headers.get('x-request-id');
  if (stream && res.status === 200) await readSse(res);
  else await res.text();
  return { status: res.status, requestId };
}

const rowsFor = (ids) =>
  stack.db
    .query('select * from public.usage_events where request_id = any($1) order by created_at', [ids])
    .then((r) => r.rows);

async function rowsArrive(ids) {
  return eventually(async () => {
    const rows = await rowsFor(ids);
    return rows.length >= ids.length && rows;
  }, { what: `${ids.length} usage rows` });
}

describe('usage rows', () => {
  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: stream and non-stream, the provider's token counts`, async () => {
      const whole = await call(provider);
      const streamed = await call(provider, { stream: true });
      assert.equal(whole.status, 200);
      assert.equal(streamed.status, 200);
      const rows = await rowsArrive([whole.requestId, streamed.requestId]);
      const { usage, model } = FORMATS[provider];
      for (const row of rows) {
        assert.equal(row.user_id, user.id);
        assert.equal(row.route, 'proxy');
        assert.equal(row.provider, provider);
        assert.equal(row.model, model);
        assert.equal(row.input_tokens, usage.prompt_tokens);
        assert.equal(row.output_tokens, usage.completion_tokens);
        assert.equal(row.cached_tokens, usage.cached_tokens ?? 0);
        assert.equal(row.error_code, null);
        assert.ok(row.latency_ms >= 0);
        assert.ok(Date.now() - new Date(row.created_at).getTime() < 60_000, 'created_at is now');
      }
    });
  }

  it('estimates the cost from the price table', async () => {
    // claude-sonnet-4-5 at $3 / $15 / $0.30 (cache read) per million tokens: 11 fresh input,
    // 3 cached input and 7 output tokens = $0.0001389, stored to six places.
    const { requestId } = await call('anthropic', { model: 'claude-sonnet-4-5' });
    const [row] = await rowsArrive([requestId]);
    assert.equal(row.cost_usd, '0.000139');
  });

  it('a model without a known price has no cost, not a guess', async () => {
    const { requestId } = await call('openai', { model: 'my-own-finetune' });
    const [row] = await rowsArrive([requestId]);
    assert.equal(row.cost_usd, null);
  });

  it('a failed call is recorded with its error code', async () => {
    const failed = await call('anthropic', { model: modelFor('anthropic', 'error500') });
    assert.equal(failed.status, 502);
    const [row] = await rowsArrive([failed.requestId]);
    assert.equal(row.error_code, 'upstream_error');
    assert.equal(row.input_tokens, 0);
  });

  it('a Supabase outage delays rows but loses none, and doubles none', async () => {
    await stack.rest.down();
    const ids = [];
    for (const provider of ['openai', 'anthropic', 'google']) {
      const whole = await call(provider);
      const streamed = await call(provider, { stream: true });
      assert.equal(whole.status, 200, 'requests succeed while Supabase is down');
      assert.equal(streamed.status, 200);
      ids.push(whole.requestId, streamed.requestId);
    }
    // Let the consumer try, and fail, at least once.
    await stack.worker.waitForLog(/usage rows not written/);
    assert.equal((await rowsFor(ids)).length, 0);
    await stack.rest.up();
    const rows = await rowsArrive(ids);
    assert.deepEqual(rows.map((r) => r.request_id).sort(), [...ids].sort());
    // Nothing more arrives later, either.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal((await rowsFor(ids)).length, ids.length);
  });
});
