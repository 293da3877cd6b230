// The operator views and usage_cost_today(): service role only, and the right figures.
//
// The server runs in a non-UTC time zone (+05:45) to show that days and hours are UTC whatever
// the session's zone. The seed and every figure are read in one transaction, so now() is the
// same instant for both and a run across midnight cannot split them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { DAY, HOUR, isoDay, serverDays, startPostgres } from './support/postgres.mjs';

const DENIED = { code: '42501', message: /permission denied/ };
const VIEWS = [
  'ops_active_users_24h',
  'ops_requests_hourly',
  'ops_route_share_daily',
  'ops_cost_daily',
  'ops_top_users_30d',
  'ops_latency_daily', // its figures: ops-latency.test.mjs
];

let db;
let alice;
let bob;
let carol;
let figures;
let days;

before(async () => {
  db = await startPostgres({ timezone: 'Asia/Kathmandu' });
  alice = await db.createUser('alice@example.test');
  bob = await db.createUser('bob@example.test');
  carol = await db.createUser('carol@example.test');

  figures = await db.transaction(
    async (q) => {
      // Today's calls fall between midnight UTC and now, whatever the time of day.
      const { today, yesterday, todayAt, at } = await serverDays(q);
      const min = 60_000;
      days = {
        today: isoDay(today),
        yesterday: isoDay(yesterday),
        threeAgo: isoDay(today - 3 * DAY),
        fortyAgo: isoDay(today - 40 * DAY),
        yesterday10: at(yesterday + 10 * HOUR),
        yesterday11: at(yesterday + 11 * HOUR),
        yesterday23: at(yesterday + 23 * HOUR),
      };

      // [user, created_at, route, provider, model, input, output, cached, cost, error, reasoning, cache write]
      const seed = [
        // today: 5 calls (1 direct), 1 error, 1 unpriced; cost 0.0155
        [alice, todayAt(0.1), 'proxy', 'anthropic', 'claude-sonnet-4-5', 100, 50, 20, '0.001000', null, 30, 10],
        [alice, todayAt(0.2), 'direct', 'anthropic', 'claude-haiku-4-5', 200, 100, 0, '0.002500', null],
        [bob, todayAt(0.3), 'proxy', 'openai', 'o3', 1000, 500, 0, '0.012000', null, 400, 0],
        [bob, todayAt(0.4), 'proxy', 'groq', 'unpriced-model', 300, 30, 0, null, null],
        [bob, todayAt(0.5), 'proxy', 'openai', 'gpt-4o', 0, 0, 0, '0.000000', 'upstream_timeout'],
        // yesterday 10:xx UTC: 4 calls, 1 error; 11:xx UTC: 2 calls, 1 error; 23:xx: 1 call; 2 of 7 direct
        [bob, at(yesterday + 10 * HOUR + 15 * min), 'proxy', 'openai', 'gpt-4o', 10, 5, 0, '0.000100', null],
        [bob, at(yesterday + 10 * HOUR + 30 * min), 'proxy', 'openai', 'gpt-4o', 20, 10, 0, '0.000200', 'rate_limited'],
        [alice, at(yesterday + 10 * HOUR + 45 * min), 'direct', 'openai', 'gpt-4o', 30, 15, 0, '0.000300', null],
        [alice, at(yesterday + 10 * HOUR + 50 * min), 'direct', 'openai', 'gpt-4o', 40, 20, 0, '0.000400', null],
        [bob, at(yesterday + 11 * HOUR + 5 * min), 'proxy', 'openai', 'gpt-4o', 50, 25, 0, '0.000500', 'upstream_error'],
        [alice, at(yesterday + 11 * HOUR + 10 * min), 'proxy', 'openai', 'gpt-4o', 60, 30, 0, '0.000600', null],
        // yesterday 23:30 UTC, already "today" in the server's zone (+05:45): must count as yesterday
        [bob, at(yesterday + 23 * HOUR + 30 * min), 'proxy', 'openai', 'gpt-4o', 5, 5, 0, '0.000050', null],
        // Carol: one big call 3 days ago (in the 30-day ranking, not in the last 24 h) ...
        [carol, at(today - 3 * DAY + 12 * HOUR), 'direct', 'google', 'gemini-2.5-pro', 5000, 1000, 0, '0.050000', null, 700, 2000],
        // ... one 40 days ago (in the 90-day daily views only) and one 100 days ago (in none).
        [carol, at(today - 40 * DAY + 12 * HOUR), 'proxy', 'openai', 'gpt-4o', 900000, 0, 0, '1.000000', null],
        [carol, at(today - 100 * DAY + 12 * HOUR), 'proxy', 'openai', 'gpt-4o', 800000, 0, 0, '2.000000', null],
      ];
      let n = 0;
      for (const [user, createdAt, route, provider, model, input, output, cached, cost, error, reasoning = 0, written = 0] of seed) {
        await q(
          `insert into public.usage_events
             (request_id, user_id, created_at, route, provider, model,
              input_tokens, output_tokens, cached_tokens, latency_ms, cost_usd, error_code,
              reasoning_tokens, cache_write_tokens)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 250, $10, $11, $12, $13)`,
          [`req_seed_${++n}`, user, createdAt, route, provider, model, input, output, cached, cost, error, reasoning, written],
        );
      }

      const all = async (sql) => (await q(sql)).rows;
      return {
        active: await all('select * from public.ops_active_users_24h'),
        hourly: await all('select * from public.ops_requests_hourly'),
        share: await all('select * from public.ops_route_share_daily'),
        cost: await all('select * from public.ops_cost_daily'),
        top: await all('select * from public.ops_top_users_30d'),
        costToday: (await q('select public.usage_cost_today() as v')).rows[0].v,
      };
    },
    { role: 'service_role' },
  );
});

after(async () => {
  await db?.stop();
});

test('active users in the last 24 hours: all, via the proxy, direct', () => {
  assert.deepEqual(figures.active, [{ active_users: 2, proxy_users: 2, direct_users: 1 }]);
});

test('requests, errors and error rate per UTC hour', () => {
  const byHour = new Map(figures.hourly.map((r) => [r.hour.getTime(), r]));
  assert.deepEqual(byHour.get(days.yesterday10.getTime()), {
    hour: days.yesterday10,
    requests: 4,
    errors: 1,
    error_rate: '0.2500',
  });
  assert.deepEqual(byHour.get(days.yesterday11.getTime()), {
    hour: days.yesterday11,
    requests: 2,
    errors: 1,
    error_rate: '0.5000',
  });
  assert.deepEqual(byHour.get(days.yesterday23.getTime()), {
    hour: days.yesterday23,
    requests: 1,
    errors: 0,
    error_rate: '0.0000',
  });
  // Over the 7-day window: today's 5 calls, yesterday's 7, Carol's one 3 days ago.
  const sum = (key) => figures.hourly.reduce((s, r) => s + r[key], 0);
  assert.equal(sum('requests'), 13);
  assert.equal(sum('errors'), 3);
  for (const r of figures.hourly) {
    assert.equal(r.hour.getTime() % HOUR, 0, 'buckets start on the UTC hour');
  }
  const hours = figures.hourly.map((r) => r.hour.getTime());
  assert.deepEqual(hours, [...hours].sort((a, b) => b - a), 'newest first');
});

test('direct vs proxy share per UTC day', () => {
  assert.deepEqual(figures.share, [
    { day: days.today, requests: 5, direct_requests: 1, proxy_requests: 4, direct_share: '0.2000', proxy_share: '0.8000' },
    { day: days.yesterday, requests: 7, direct_requests: 2, proxy_requests: 5, direct_share: '0.2857', proxy_share: '0.7143' },
    { day: days.threeAgo, requests: 1, direct_requests: 1, proxy_requests: 0, direct_share: '1.0000', proxy_share: '0.0000' },
    { day: days.fortyAgo, requests: 1, direct_requests: 0, proxy_requests: 1, direct_share: '0.0000', proxy_share: '1.0000' },
  ]);
});

test('estimated cost and tokens (reasoning and cache writes too) per UTC day, unpriced calls counted apart', () => {
  assert.deepEqual(figures.cost, [
    {
      day: days.today, requests: 5, cost_usd: '0.015500', unpriced_requests: 1,
      input_tokens: 1600, output_tokens: 680, cached_tokens: 20,
      reasoning_tokens: 430, cache_write_tokens: 10,
    },
    {
      day: days.yesterday, requests: 7, cost_usd: '0.002150', unpriced_requests: 0,
      input_tokens: 215, output_tokens: 110, cached_tokens: 0,
      reasoning_tokens: 0, cache_write_tokens: 0,
    },
    {
      day: days.threeAgo, requests: 1, cost_usd: '0.050000', unpriced_requests: 0,
      input_tokens: 5000, output_tokens: 1000, cached_tokens: 0,
      reasoning_tokens: 700, cache_write_tokens: 2000,
    },
    {
      day: days.fortyAgo, requests: 1, cost_usd: '1.000000', unpriced_requests: 0,
      input_tokens: 900000, output_tokens: 0, cached_tokens: 0,
      reasoning_tokens: 0, cache_write_tokens: 0,
    },
  ]);
});

test('top users by tokens over the last 30 days, with their reasoning and cache-write tokens', () => {
  assert.deepEqual(figures.top, [
    {
      rank: 1, user_id: carol, requests: 1, total_tokens: 6000,
      input_tokens: 5000, output_tokens: 1000, cached_tokens: 0, cost_usd: '0.050000',
      reasoning_tokens: 700, cache_write_tokens: 2000,
    },
    {
      rank: 2, user_id: bob, requests: 7, total_tokens: 1960,
      input_tokens: 1385, output_tokens: 575, cached_tokens: 0, cost_usd: '0.012850',
      reasoning_tokens: 400, cache_write_tokens: 0,
    },
    {
      rank: 3, user_id: alice, requests: 5, total_tokens: 645,
      input_tokens: 430, output_tokens: 215, cached_tokens: 20, cost_usd: '0.004800',
      reasoning_tokens: 30, cache_write_tokens: 10,
    },
  ]);
});

test("usage_cost_today() is the sum of today's (UTC) estimated cost of proxied calls", () => {
  // Today's 0.0155 less Alice's direct call (0.0025): the operator pays for proxied calls only.
  assert.equal(figures.costToday, '0.013000');
});

test('anon can read no operator view and cannot call usage_cost_today()', async () => {
  for (const view of VIEWS) {
    await assert.rejects(db.query(`select * from public.${view}`, [], { role: 'anon' }), DENIED, view);
  }
  await assert.rejects(db.query('select public.usage_cost_today()', [], { role: 'anon' }), DENIED);
});

test('a signed-in user can read no operator view and cannot call usage_cost_today()', async () => {
  const as = { role: 'authenticated', sub: alice };
  for (const view of VIEWS) {
    await assert.rejects(db.query(`select * from public.${view}`, [], as), DENIED, view);
  }
  await assert.rejects(db.query('select public.usage_cost_today()', [], as), DENIED);
});

test("every operator view reads with its caller's rights, so even a mistaken grant leaks no one else's rows", async () => {
  const { rows } = await db.query(
    `select c.relname, c.reloptions from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'v' and c.relname like 'ops\\_%'
      order by c.relname`,
  );
  assert.deepEqual(rows.map((r) => r.relname), [...VIEWS].sort());
  for (const r of rows) {
    assert.ok(r.reloptions?.includes('security_invoker=true'), `${r.relname} is security_invoker`);
  }

  // Grant by mistake, inside a transaction that is rolled back: Alice still sees only herself.
  const seen = await db.transaction(
    async (q) => {
      await q('grant select on public.ops_top_users_30d, public.ops_active_users_24h to authenticated');
      await q('set local role authenticated');
      await q(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: alice, role: 'authenticated' })]);
      return {
        top: (await q('select user_id from public.ops_top_users_30d')).rows,
        active: (await q('select active_users from public.ops_active_users_24h')).rows,
      };
    },
    { rollback: true },
  );
  assert.deepEqual(seen.top, [{ user_id: alice }]);
  assert.deepEqual(seen.active, [{ active_users: 1 }]);
});

test('usage_cost_today() runs as its caller: executable by the service role only', async () => {
  const { rows } = await db.query(
    `select p.prosecdef, has_function_privilege('anon', p.oid, 'execute') as anon,
            has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
            has_function_privilege('service_role', p.oid, 'execute') as service_role
       from pg_proc p where p.oid = 'public.usage_cost_today()'::regprocedure`,
  );
  assert.deepEqual(rows, [{ prosecdef: false, anon: false, authenticated: false, service_role: true }]);
});
