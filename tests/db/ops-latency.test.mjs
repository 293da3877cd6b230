// ops_latency_daily: p50 / p95 / p99 of answered calls' latency per UTC day, route and provider,
// with percentile_disc (each figure a latency some call had). That anon and signed-in users
// cannot read it is checked with the other operator views in ops-views.test.mjs.
//
// As there, the server runs at +05:45 to show that days are UTC, and the seed and the figures
// are read in one transaction, so now() is one instant for both.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { DAY, HOUR, isoDay, serverDays, startPostgres } from './support/postgres.mjs';

const MIN = 60_000;

let db;
let alice;
let bob;
let figures;
let days;

/** 1..n in an order that is neither ascending nor descending: the view must sort. */
const shuffled = (n) => Array.from({ length: n }, (_, i) => ((i * 37) % n) + 1);

before(async () => {
  db = await startPostgres({ timezone: 'Asia/Kathmandu' });
  alice = await db.createUser('alice@example.test');
  bob = await db.createUser('bob@example.test');

  figures = await db.transaction(
    async (q) => {
      // Today's calls fall between midnight UTC and now, whatever the time of day.
      const { today, yesterday, todayAt, at } = await serverDays(q);
      days = {
        today: isoDay(today),
        yesterday: isoDay(yesterday),
        edge: isoDay(today - 89 * DAY),
      };

      // [user, created_at, route, provider, latency_ms, error_code]
      const seed = [
        // Yesterday, proxy, openai: 1..100 ms → p50 50, p95 95, p99 99 with percentile_disc
        // (percentile_cont would give 50.5, 95.05, 99.01).
        ...shuffled(100).map((ms, i) => [bob, at(yesterday + 10 * HOUR + i * MIN), 'proxy', 'openai', ms, null]),
        // ... failed calls there, slow (timeouts) and fast (refusals): not answered, not counted.
        [bob, at(yesterday + 12 * HOUR), 'proxy', 'openai', 60_000, 'upstream_timeout'],
        [bob, at(yesterday + 12 * HOUR + MIN), 'proxy', 'openai', 60_000, 'upstream_timeout'],
        [bob, at(yesterday + 12 * HOUR + 2 * MIN), 'proxy', 'openai', 0, 'rate_limited'],
        // ... and calls without a latency: not counted either.
        [bob, at(yesterday + 13 * HOUR), 'proxy', 'openai', null, null],
        [bob, at(yesterday + 13 * HOUR + MIN), 'proxy', 'openai', null, null],

        // Yesterday, direct, openai: 10, 20, 30, 40 → p50 20 (the 2nd of 4), p95 = p99 = 40.
        // The 23:30 UTC call is already "today" in the server's zone: it counts as yesterday.
        [alice, at(yesterday + 9 * HOUR), 'direct', 'openai', 30, null],
        [alice, at(yesterday + 9 * HOUR + MIN), 'direct', 'openai', 10, null],
        [alice, at(yesterday + 9 * HOUR + 2 * MIN), 'direct', 'openai', 20, null],
        [alice, at(yesterday + 23 * HOUR + 30 * MIN), 'direct', 'openai', 40, null],

        // Yesterday, proxy, anthropic: one call → all three percentiles are that call.
        [bob, at(yesterday + 8 * HOUR), 'proxy', 'anthropic', 1234, null],

        // Yesterday, proxy, groq: failed calls only, and today, proxy, google: no latency only →
        // no row for either.
        [bob, at(yesterday + 8 * HOUR), 'proxy', 'groq', 900, 'upstream_error'],
        [bob, todayAt(0.2), 'proxy', 'google', null, null],

        // Today, direct, anthropic: 700, 300, 500, 900 → p50 500, p95 = p99 = 900.
        [alice, todayAt(0.1), 'direct', 'anthropic', 700, null],
        [alice, todayAt(0.3), 'direct', 'anthropic', 300, null],
        [alice, todayAt(0.5), 'direct', 'anthropic', 500, null],
        [alice, todayAt(0.7), 'direct', 'anthropic', 900, null],

        // Today, proxy, openai: 1..20 ms → p50 10, p95 19 (not the slowest), p99 20.
        ...shuffled(20).map((ms, i) => [bob, todayAt(0.1 + i * 0.01), 'proxy', 'openai', ms, null]),

        // The oldest day in the window (89 days ago) is in; 90 days ago is out.
        [bob, at(today - 89 * DAY + 30 * MIN), 'proxy', 'openai', 5000, null],
        [bob, at(today - 90 * DAY + 23 * HOUR + 30 * MIN), 'proxy', 'openai', 7000, null],
      ];
      let n = 0;
      for (const [user, createdAt, route, provider, latency, error] of seed) {
        await q(
          `insert into public.usage_events
             (request_id, user_id, created_at, route, provider, model, latency_ms, error_code)
           values ($1, $2, $3, $4, $5, 'some-model', $6, $7)`,
          [`req_seed_${++n}`, user, createdAt, route, provider, latency, error],
        );
      }

      return (await q('select * from public.ops_latency_daily')).rows;
    },
    { role: 'service_role' },
  );
});

after(async () => {
  await db?.stop();
});

test('p50, p95 and p99 of 1..100 ms are 50, 95 and 99: latencies calls really had', () => {
  const row = figures.find((r) => r.day === days.yesterday && r.route === 'proxy' && r.provider === 'openai');
  assert.deepEqual(row, {
    day: days.yesterday, route: 'proxy', provider: 'openai',
    timed_requests: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99,
  });
});

test('one row per UTC day, route and provider, newest day first; failed and untimed calls left out', () => {
  assert.deepEqual(figures, [
    { day: days.today, route: 'direct', provider: 'anthropic', timed_requests: 4, p50_ms: 500, p95_ms: 900, p99_ms: 900 },
    { day: days.today, route: 'proxy', provider: 'openai', timed_requests: 20, p50_ms: 10, p95_ms: 19, p99_ms: 20 },
    { day: days.yesterday, route: 'direct', provider: 'openai', timed_requests: 4, p50_ms: 20, p95_ms: 40, p99_ms: 40 },
    { day: days.yesterday, route: 'proxy', provider: 'anthropic', timed_requests: 1, p50_ms: 1234, p95_ms: 1234, p99_ms: 1234 },
    { day: days.yesterday, route: 'proxy', provider: 'openai', timed_requests: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99 },
    { day: days.edge, route: 'proxy', provider: 'openai', timed_requests: 1, p50_ms: 5000, p95_ms: 5000, p99_ms: 5000 },
  ]);
});

test("the view reads with its caller's rights: a mistaken grant shows a user only their own calls", async () => {
  const seen = await db.transaction(
    async (q) => {
      await q('grant select on public.ops_latency_daily to authenticated');
      await q('set local role authenticated');
      await q(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: alice, role: 'authenticated' })]);
      return (await q('select day, route, provider, timed_requests from public.ops_latency_daily')).rows;
    },
    { rollback: true },
  );
  assert.deepEqual(seen, [
    { day: days.today, route: 'direct', provider: 'anthropic', timed_requests: 4 },
    { day: days.yesterday, route: 'direct', provider: 'openai', timed_requests: 4 },
  ]);
});
