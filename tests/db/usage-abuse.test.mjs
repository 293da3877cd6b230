// usage_events against a signed-in user who lies: direct rows cannot take the proxy's request
// ids (so they cannot erase the proxy's rows), cannot be dated away from now, cannot claim
// huge costs or token counts, and do not count towards the operator's cost alert.
//
// Every insert runs as PostgREST runs the clients' inserts: as `authenticated` (the browser)
// or `service_role` (the proxy), with `on conflict (request_id) do nothing`, the
// `resolution=ignore-duplicates` both clients ask for.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startPostgres } from './support/postgres.mjs';

const RLS_REFUSED = { code: '42501', message: /row-level security/ };
const CHECK_FAILED = { code: '23514' };
const SERVICE = { role: 'service_role' };
const MINUTE = 60_000;

let db;
let alice;
const as = (sub) => ({ role: 'authenticated', sub });
let serial = 0;
/** An id of the proxy's own form: `req_` and 24 hex digits. */
const proxyId = () => `req_${(++serial).toString(16).padStart(24, '0')}`;
/** An id of the browser's form: 24 hex digits. */
const browserId = () => `${(++serial).toString(16).padStart(24, 'b')}`;

/** The insert both clients send through PostgREST: a batch, duplicates ignored. */
async function insert(rows, options) {
  const columns = Object.keys(rows[0]);
  return db.query(
    `insert into public.usage_events (${columns.join(', ')})
     select ${columns.join(', ')} from json_populate_recordset(null::public.usage_events, $1::json)
     on conflict (request_id) do nothing`,
    [JSON.stringify(rows)],
    options,
  );
}

function row(fields) {
  return {
    user_id: alice,
    route: 'direct',
    provider: 'openai',
    model: 'gpt-4o-mini',
    input_tokens: 10,
    output_tokens: 5,
    cost_usd: 0.0001,
    ...fields,
  };
}

/** Every row with `request_id` among `ids`, read behind the API's back. */
async function stored(...ids) {
  const { rows } = await db.query(
    'select request_id, route, cost_usd, created_at from public.usage_events where request_id = any($1) order by request_id',
    [ids],
  );
  return rows;
}

before(async () => {
  db = await startPostgres();
  alice = await db.createUser('alice@example.test');
});

after(async () => {
  await db?.stop();
});

test("a direct row sent first with the proxy's request id does not keep out the proxy's row", async () => {
  const id = proxyId();
  const fake = await insert([row({ request_id: id, cost_usd: 0 })], as(alice));
  assert.equal(fake.rowCount, 1, "the user's row is taken, in its own namespace");

  const real = await insert([row({ request_id: id, route: 'proxy', cost_usd: 0.25 })], SERVICE);
  assert.equal(real.rowCount, 1, "the proxy's row lands");
  assert.deepEqual(
    (await stored(id, `direct:${id}`)).map((r) => [r.request_id, r.route, r.cost_usd]),
    [
      [`direct:${id}`, 'direct', '0.000000'],
      [id, 'proxy', '0.250000'],
    ],
  );
});

test('retried inserts stay idempotent on both routes', async () => {
  const viaProxy = proxyId();
  const direct = browserId();
  assert.equal((await insert([row({ request_id: viaProxy, route: 'proxy' })], SERVICE)).rowCount, 1);
  assert.equal((await insert([row({ request_id: viaProxy, route: 'proxy' })], SERVICE)).rowCount, 0);
  assert.equal((await insert([row({ request_id: direct })], as(alice))).rowCount, 1);
  assert.equal((await insert([row({ request_id: direct })], as(alice))).rowCount, 0, 'the same browser id again');
  assert.equal((await stored(viaProxy)).length, 1);
  assert.equal((await stored(`direct:${direct}`)).length, 1);
});

test("no row outside its route's namespace: proxy rows never 'direct:', direct rows always", async () => {
  await assert.rejects(insert([row({ request_id: `direct:${proxyId()}`, route: 'proxy' })], SERVICE), CHECK_FAILED);
  const direct = browserId();
  await insert([row({ request_id: direct })], as(alice));
  await assert.rejects(
    db.query(`update public.usage_events set request_id = $1 where request_id = $2`, [direct, `direct:${direct}`], SERVICE),
    CHECK_FAILED,
    'not even the service role moves a direct row out of its namespace',
  );
  await assert.rejects(
    db.query(`update public.usage_events set route = 'proxy' where request_id = $1`, [`direct:${direct}`], SERVICE),
    CHECK_FAILED,
  );
});

test('a direct row costs at most 100 USD and never less than 0', async () => {
  for (const cost of [999999, 100.000001, -0.01]) {
    const id = browserId();
    await assert.rejects(insert([row({ request_id: id, cost_usd: cost })], as(alice)), cost < 0 ? CHECK_FAILED : RLS_REFUSED, `${cost}`);
    assert.deepEqual(await stored(`direct:${id}`), []);
  }
  const id = browserId();
  assert.equal((await insert([row({ request_id: id, cost_usd: 100 })], as(alice))).rowCount, 1, 'exactly 100 USD is taken');
  assert.equal((await insert([row({ request_id: browserId(), cost_usd: null })], as(alice))).rowCount, 1, 'unpriced');
});

test('a direct row counts at most 10,000,000 tokens of each kind', async () => {
  for (const column of ['input_tokens', 'output_tokens', 'cached_tokens', 'reasoning_tokens', 'cache_write_tokens']) {
    await assert.rejects(insert([row({ request_id: browserId(), [column]: 10_000_001 })], as(alice)), RLS_REFUSED, column);
    await assert.rejects(insert([row({ request_id: browserId(), [column]: -1 })], as(alice)), CHECK_FAILED, column);
    assert.equal((await insert([row({ request_id: browserId(), [column]: 10_000_000 })], as(alice))).rowCount, 1);
  }
});

test("a direct row's text fields are short", async () => {
  const long = (n) => 'x'.repeat(n);
  for (const fields of [{ request_id: long(200) }, { model: long(201) }, { provider: long(41) }, { error_code: long(65) }]) {
    await assert.rejects(insert([row({ request_id: browserId(), ...fields })], as(alice)), RLS_REFUSED, Object.keys(fields)[0]);
  }
});

test('one refused row refuses the whole batch: nothing of it is stored', async () => {
  const fine = browserId();
  await assert.rejects(
    insert([row({ request_id: fine }), row({ request_id: browserId(), cost_usd: 999999 })], as(alice)),
    RLS_REFUSED,
  );
  assert.deepEqual(await stored(`direct:${fine}`), []);
});

test("a direct row's created_at is now, unless it was sent within 5 minutes of now", async () => {
  const { rows } = await db.query('select now() as now');
  const now = rows[0].now.getTime();
  const today = Math.floor(now / (24 * 60 * MINUTE)) * 24 * 60 * MINUTE;
  const forged = {
    'a year ago': new Date(now - 365 * 24 * 60 * MINUTE),
    'yesterday 00:01 UTC': new Date(today - 24 * 60 * MINUTE + MINUTE),
    tomorrow: new Date(now + 24 * 60 * MINUTE),
    'in 6 minutes': new Date(now + 6 * MINUTE),
    '6 minutes ago': new Date(now - 6 * MINUTE),
  };
  for (const [what, when] of Object.entries(forged)) {
    const id = browserId();
    const before = Date.now();
    await insert([row({ request_id: id, created_at: when.toISOString() })], as(alice));
    const [kept] = await stored(`direct:${id}`);
    assert.ok(
      kept.created_at.getTime() >= before - 5_000 && kept.created_at.getTime() <= Date.now() + 5_000,
      `${what}: stored at ${kept.created_at.toISOString()}, not at the time sent`,
    );
  }
  const recent = new Date(Date.now() - 2 * MINUTE);
  const id = browserId();
  await insert([row({ request_id: id, created_at: recent.toISOString() })], as(alice));
  assert.equal((await stored(`direct:${id}`))[0].created_at.getTime(), recent.getTime(), 'a call 2 minutes ago keeps its time');

  const missing = browserId();
  await insert([{ ...row({ request_id: missing }), created_at: null }], as(alice));
  assert.ok((await stored(`direct:${missing}`))[0].created_at, 'a missing time becomes now()');
});

test('the service role still dates rows as it likes (backfills)', async () => {
  const id = browserId();
  const then = new Date(Date.now() - 3 * 24 * 60 * MINUTE);
  await insert([row({ request_id: id, created_at: then.toISOString() })], SERVICE);
  assert.equal((await stored(`direct:${id}`))[0].created_at.getTime(), then.getTime());
});

test("the cost alert's figure counts proxy rows only, whatever direct rows claim", async () => {
  const bob = await db.createUser('bob@example.test');
  const figure = async () => (await db.query('select public.usage_cost_today() as v', [], SERVICE)).rows[0].v;
  const start = Number(await figure());
  await insert([row({ user_id: bob, request_id: proxyId(), route: 'proxy', cost_usd: 1.5 })], SERVICE);
  await insert([row({ user_id: bob, request_id: browserId(), cost_usd: 100 })], as(bob));
  await insert([row({ user_id: bob, request_id: browserId(), cost_usd: 99, created_at: new Date().toISOString() })], as(bob));
  assert.equal(Number(await figure()) - start, 1.5);
});
