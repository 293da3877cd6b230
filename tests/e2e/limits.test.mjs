// Per-user rate limits under AUTH_MODE=supabase: exact at the boundary, also for
// concurrent requests; users independent of each other; X-RateLimit-* headers; and what
// happens when the limits' Durable Object cannot be reached (chat under a per-isolate
// limiter of the same rate; web fetch and search refused with 503 limits_unavailable).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertError, chatAs, post, providerHeaders, useStack } from './support/stack.mjs';
import { claims, hs256 } from './support/tokens.mjs';
import { configVariant, mockVars, startWorker } from './support/worker.mjs';
import { startMockProvider } from './support/mock-provider.mjs';

const SECRET = 'limits-test-secret-with-at-least-32-chars!';
const SUPABASE_URL = 'https://limits-test.supabase.invalid';
const PER_MINUTE = 5;

const stack = useStack({
  vars: {
    AUTH_MODE: 'supabase',
    SUPABASE_URL,
    SUPABASE_JWT_SECRET: SECRET,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
  },
});

const newUser = () => hs256(SECRET, claims(SUPABASE_URL));

const chat = (url, bearer) => chatAs(url, bearer);

const rateHeaders = (res) => ['limit', 'remaining', 'reset'].map((h) => res.headers.get(`x-ratelimit-${h}`));

describe('requests per minute', () => {
  it('admits exactly the limit, then 429 with Retry-After and the headers', async () => {
    const user = newUser();
    for (let i = 1; i <= PER_MINUTE; i += 1) {
      const res = await chat(stack.url, user);
      assert.equal(res.status, 200, await res.clone().text());
      const [limit, remaining, reset] = rateHeaders(res);
      assert.equal(limit, String(PER_MINUTE));
      assert.equal(remaining, String(PER_MINUTE - i));
      assert.ok(Number(reset) > 0 && Number(reset) <= 60, `reset ${reset}`);
      await res.text();
    }
    const calls = stack.mock.requests.length;
    const refused = await chat(stack.url, user);
    assert.deepEqual(rateHeaders(refused).slice(0, 2), [String(PER_MINUTE), '0']);
    const retryAfter = Number(refused.headers.get('retry-after'));
    // Five a minute: one request comes back every 12 s.
    assert.ok(retryAfter >= 1 && retryAfter <= 12, `Retry-After ${retryAfter}`);
    await assertError(refused, 429, 'rate_limited');
    assert.equal(stack.mock.requests.length, calls, 'a refused request reached the provider');
  });

  it('of 30 concurrent requests of one user, exactly the limit get through', async () => {
    const user = newUser();
    const answers = await Promise.all(Array.from({ length: 30 }, () => chat(stack.url, user)));
    const statuses = await Promise.all(answers.map(async (res) => (await res.text(), res.status)));
    assert.equal(statuses.filter((s) => s === 200).length, PER_MINUTE, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 30 - PER_MINUTE);
  });

  it("the limits' round trip runs beside the provider call while the last answer shows room", async () => {
    const user = newUser();
    const paths = [];
    for (let i = 0; i <= PER_MINUTE; i += 1) {
      const res = await chat(stack.url, user);
      await res.text();
      paths.push(res.headers.get('server-timing').match(/limits;dur=\d+;desc="(\w+) upstream"/)?.[1]);
    }
    // The first call waits (nothing known of the user yet); the next four go out beside
    // their check, each on the word that one more is left; after the answer "none left",
    // the sixth waits, and is refused without reaching the provider (the test above).
    assert.deepEqual(paths, ['before', 'beside', 'beside', 'beside', 'beside', 'before']);
  });

  it('one user at the limit does not hold back another', async () => {
    const busy = newUser();
    for (let i = 0; i < PER_MINUTE; i += 1) await (await chat(stack.url, busy)).text();
    await assertError(await chat(stack.url, busy), 429, 'rate_limited');
    const other = await chat(stack.url, newUser());
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('x-ratelimit-remaining'), String(PER_MINUTE - 1));
  });
});

describe('when the limits cannot be reached', () => {
  let mock;
  let worker;
  before(async () => {
    // The same worker, its Durable Object binding pointing at a worker that does not run:
    // every call to a user's limits object fails, as in an outage.
    const config = configVariant('brokenlimits', (text) =>
      text.replace(/^class_name = "LimitsObject"$/m, 'class_name = "LimitsObject"\nscript_name = "ferry-limits-nowhere"'),
    );
    mock = await startMockProvider();
    worker = await startWorker({
      config,
      vars: { ...mockVars(mock.url), AUTH_MODE: 'supabase', SUPABASE_URL, SUPABASE_JWT_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: '2' },
    });
  });
  after(async () => {
    await worker?.stop();
    await mock?.close();
  });

  it('chat goes on under a per-isolate limiter at the same rate, not unlimited', async () => {
    const user = newUser();
    for (let i = 1; i <= 2; i += 1) {
      const res = await chat(worker.url, user);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(rateHeaders(res).slice(0, 2), ['2', String(2 - i)]);
      await res.text();
    }
    const refused = await chat(worker.url, user);
    await assertError(refused, 429, 'rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(mock.requests.length, 2, 'the refused request reached the provider');
    // Another user has their own allowance.
    assert.equal((await chat(worker.url, newUser())).status, 200);
    assert.ok(await worker.waitForLog(/limits unavailable/), 'no warning in the log');
  });

  it('web fetch and search fail closed: 503 limits_unavailable, nothing fetched', async () => {
    mock.clear();
    const auth = { authorization: `Bearer ${newUser()}` };
    await assertError(
      await post(worker.url, '/v1/proxy/fetch', { url: `${mock.url}/openai/v1/models` }, auth),
      503,
      'limits_unavailable',
    );
    await assertError(
      await post(worker.url, '/v1/proxy/search', { query: 'ferry', count: 3 }, { ...auth, ...providerHeaders('brave') }),
      503,
      'limits_unavailable',
    );
    assert.deepEqual(mock.requests.map((r) => r.path), []);
  });
});
