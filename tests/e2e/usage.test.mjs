// Usage events: every proxied model call becomes one `usage_events` row in Supabase, with
// the provider's own token counts (streams included) and an estimated cost — written by
// the worker's queue consumer through the PostgREST stand-in onto a real PostgreSQL. The
// stand-in goes down mid-test: requests still succeed, and the rows arrive once it is back,
// each exactly once. A row the database refuses sinks alone, not with its batch; requests
// refused before any upstream call write no row; a stream the client leaves is recorded
// with what it used so far.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { abortAfterContent, readSse } from './support/sse.mjs';
import { FORMATS, MESSAGES, modelFor, post, providerHeaders } from './support/stack.mjs';
import { eventually, startSupabaseStack } from './support/supabase-stack.mjs';

let stack;
let user;
before(async () => {
  // Mistral is switched off: requests for it are refused before any upstream call.
  stack = await startSupabaseStack({ vars: { PROXY_DISABLE_MISTRAL: 'true' } });
  user = await stack.user();
});
after(async () => {
  await stack?.stop();
});

async function call(provider, { model = FORMATS[provider]?.model ?? 'm', stream = false, as = user, messages = MESSAGES } = {}) {
  const res = await post(
    stack.url,
    '/v1/chat/completions',
    { model, messages, stream },
    { ...providerHeaders(provider), authorization: `Bearer ${as.token}` },
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

  it('calls that end together are queued together, each row once', async () => {
    // Their rows wait for one another in the isolate and go in one batch.
    const calls = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call(['openai', 'anthropic', 'google'][i % 3], { stream: i % 2 === 0 })),
    );
    assert.ok(calls.every((c) => c.status === 200));
    const ids = calls.map((c) => c.requestId);
    const rows = await rowsArrive(ids);
    assert.deepEqual(rows.map((r) => r.request_id).sort(), [...ids].sort());
  });

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

  it('a row the database refuses (a deleted user) sinks alone: the rest of its batch arrives', async () => {
    const gone = await stack.user();
    await stack.db.query('delete from auth.users where id = $1', [gone.id]);
    // Sent together, so their rows travel in one batch.
    const [bad, ...good] = await Promise.all([
      call('openai', { as: gone }),
      call('openai'),
      call('anthropic'),
      call('google'),
    ]);
    for (const c of [bad, ...good]) assert.equal(c.status, 200);
    const rows = await rowsArrive(good.map((c) => c.requestId));
    assert.deepEqual(rows.map((r) => r.request_id).sort(), good.map((c) => c.requestId).sort());
    assert.ok(await stack.worker.waitForLog(/inserting row by row/), 'the batch was not split');
    assert.ok(
      await stack.worker.waitForLog(new RegExp(`usage row ${bad.requestId} not written`)),
      'the refused row is not named in the log',
    );
    assert.equal((await rowsFor([bad.requestId])).length, 0);
  });

  it('requests refused before any upstream call write no row, and the log counts them', async () => {
    const flooder = await stack.user();
    const refused = [];
    for (let i = 0; i < 8; i += 1) {
      refused.push(call('mistral', { as: flooder, model: 'mistral-small' })); // kill switch: 503
      refused.push(call('openai', { as: flooder, messages: [] })); // bad request: 400
      refused.push(call('openai', { as: flooder, model: 'gpt\u0000' })); // bad model: 400
    }
    const statuses = (await Promise.all(refused)).map((c) => c.status);
    assert.deepEqual([...new Set(statuses)].sort(), [400, 503]);
    const ids = (await Promise.all(refused)).map((c) => c.requestId);
    // One call that does reach the provider, sent after them: once its row is in, theirs
    // would be too.
    const last = await call('openai', { as: flooder });
    await rowsArrive([last.requestId]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { rows } = await stack.db.query('select request_id from public.usage_events where user_id = $1', [flooder.id]);
    assert.deepEqual(rows.map((r) => r.request_id), [last.requestId]);
    for (const id of ids) {
      assert.ok(
        await stack.worker.waitForLog(new RegExp(`"request_id":"${id}"[^\\n]*"refused":true`)),
        `no refused log line for ${id}`,
      );
    }
  });

  it('a stream the client leaves is recorded with the input estimate and the output so far', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...providerHeaders('openai'), authorization: `Bearer ${user.token}` },
      // "slow": five events 300 ms apart; the usage comes only with the last.
      body: JSON.stringify({ model: 'gpt-4o-slow', messages: MESSAGES, stream: true }),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-request-id');
    assert.equal(await abortAfterContent(res, controller, 2), 'one two');
    const [row] = await rowsArrive([requestId]);
    // 11 characters sent ("Be brief." and "Hi"): 3 tokens by the estimate; "one two" and
    // perhaps a little more before the proxy noticed: 2 to 6 tokens.
    assert.equal(row.input_tokens, 3);
    assert.ok(row.output_tokens >= 2 && row.output_tokens <= 6, `output_tokens ${row.output_tokens}`);
    // Leaving is the client's choice, not a failure of the call.
    assert.equal(row.error_code, null);
  });
});
