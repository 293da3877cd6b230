// usage_events: a signed-in user reads their own rows and adds their own 'direct' rows only;
// 'proxy' rows, updates and deletes are the service role's alone; anon gets nothing; a retried
// insert with the same request id counts once.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startPostgres } from './support/postgres.mjs';

const DENIED = { code: '42501', message: /permission denied/ };
const RLS_REFUSED = { code: '42501', message: /row-level security/ };
const SERVICE = { role: 'service_role' };

let db;
let alice;
let bob;
const as = (sub) => ({ role: 'authenticated', sub });
let serial = 0;
const requestId = (tag) => `req_${tag}_${++serial}`;

const INSERT = `insert into public.usage_events
  (request_id, user_id, route, provider, model, input_tokens, output_tokens, latency_ms, cost_usd)
  values ($1, $2, $3, 'openai', 'gpt-4o-mini', 11, 7, 420, 0.000123)`;

/** Every column of a row, read behind the API's back. */
async function rowOf(id) {
  const { rows } = await db.query('select * from public.usage_events where request_id = $1', [id]);
  return rows[0];
}

before(async () => {
  db = await startPostgres();
  alice = await db.createUser('alice@example.test');
  bob = await db.createUser('bob@example.test');
});

after(async () => {
  await db?.stop();
});

test("a user adds their own 'direct' usage row; defaults fill the rest", async () => {
  const id = requestId('direct');
  const res = await db.query(INSERT, [id, alice, 'direct'], as(alice));
  assert.equal(res.rowCount, 1);
  const row = await rowOf(`direct:${id}`);
  assert.equal(row.request_id, `direct:${id}`, "a direct row's id is kept apart from the proxy's ids");
  assert.equal(row.user_id, alice);
  assert.equal(row.route, 'direct');
  assert.equal(row.cost_usd, '0.000123');
  assert.equal(row.cached_tokens, 0);
  assert.equal(row.reasoning_tokens, 0, 'a client that sends no reasoning count stores 0');
  assert.equal(row.cache_write_tokens, 0);
  assert.equal(row.error_code, null);
  assert.match(row.id, /^[0-9a-f-]{36}$/);
  assert.ok(Math.abs(Date.now() - row.created_at.getTime()) < 60_000);
});

test("a user cannot add a 'proxy' usage row", async () => {
  const id = requestId('fake-proxy');
  await assert.rejects(db.query(INSERT, [id, alice, 'proxy'], as(alice)), RLS_REFUSED);
  assert.equal(await rowOf(id), undefined);
});

test("a user cannot add a usage row for another user", async () => {
  const id = requestId('for-bob');
  await assert.rejects(db.query(INSERT, [id, bob, 'direct'], as(alice)), RLS_REFUSED);
  assert.equal(await rowOf(id), undefined);
});

test('a user cannot update their own usage row', async () => {
  const sent = requestId('own');
  await db.query(INSERT, [sent, alice, 'direct'], as(alice));
  const id = `direct:${sent}`;
  const original = await rowOf(id);
  await assert.rejects(
    db.query('update public.usage_events set input_tokens = 0, cost_usd = 0 where request_id = $1', [id], as(alice)),
    DENIED,
  );
  await assert.rejects(
    db.query(`update public.usage_events set route = 'proxy' where request_id = $1`, [id], as(alice)),
    DENIED,
  );
  const { rows } = await db.query('select * from public.usage_events where request_id = $1', [id], SERVICE);
  assert.deepEqual(rows, [original], 'the service role reads the row unchanged');
});

test('a user cannot delete their own usage rows', async () => {
  const sent = requestId('keep');
  await db.query(INSERT, [sent, alice, 'direct'], as(alice));
  const id = `direct:${sent}`;
  const original = await rowOf(id);
  await assert.rejects(db.query('delete from public.usage_events where request_id = $1', [id], as(alice)), DENIED);
  await assert.rejects(db.query('delete from public.usage_events', [], as(alice)), DENIED);
  await assert.rejects(db.query('truncate public.usage_events', [], as(alice)), DENIED);
  const { rows } = await db.query('select * from public.usage_events where request_id = $1', [id], SERVICE);
  assert.deepEqual(rows, [original]);
});

test("a user reads their own usage rows, proxy and direct, and none of anyone else's", async () => {
  const proxied = requestId('alice-proxy');
  const bobs = requestId('bob-proxy');
  const bobsDirect = requestId('bob-direct');
  await db.query(INSERT, [proxied, alice, 'proxy'], SERVICE);
  await db.query(INSERT, [bobs, bob, 'proxy'], SERVICE);
  await db.query(INSERT, [bobsDirect, bob, 'direct'], as(bob));

  const all = await db.query('select request_id, user_id from public.usage_events');
  const mine = await db.query('select request_id, user_id from public.usage_events', [], as(alice));
  const expected = all.rows.filter((r) => r.user_id === alice).map((r) => r.request_id).sort();
  assert.ok(all.rows.some((r) => r.user_id === bob), 'there are rows of Bob to hide');
  assert.deepEqual(mine.rows.map((r) => r.request_id).sort(), expected);
  assert.ok(expected.includes(proxied), "Alice sees the proxy's row about her");

  const asked = await db.query('select * from public.usage_events where user_id = $1', [bob], as(alice));
  assert.deepEqual(asked.rows, [], "asking for Bob's rows by id finds nothing");
});

test('anon can neither read nor write usage', async () => {
  await assert.rejects(db.query('select * from public.usage_events', [], { role: 'anon' }), DENIED);
  await assert.rejects(db.query(INSERT, [requestId('anon'), alice, 'direct'], { role: 'anon' }), DENIED);
  await assert.rejects(db.query('update public.usage_events set model = $1', ['x'], { role: 'anon' }), DENIED);
  await assert.rejects(db.query('delete from public.usage_events', [], { role: 'anon' }), DENIED);
});

test("the service role adds 'proxy' rows for any user", async () => {
  const forAlice = requestId('svc-alice');
  const forBob = requestId('svc-bob');
  assert.equal((await db.query(INSERT, [forAlice, alice, 'proxy'], SERVICE)).rowCount, 1);
  assert.equal((await db.query(INSERT, [forBob, bob, 'proxy'], SERVICE)).rowCount, 1);
  assert.equal((await rowOf(forAlice)).user_id, alice);
  assert.equal((await rowOf(forBob)).user_id, bob);
});

test('the service role updates and deletes usage rows', async () => {
  const id = requestId('svc-edit');
  await db.query(INSERT, [id, bob, 'proxy'], SERVICE);
  const updated = await db.query(
    `update public.usage_events set error_code = 'upstream_timeout', cost_usd = null where request_id = $1`,
    [id],
    SERVICE,
  );
  assert.equal(updated.rowCount, 1);
  const row = await rowOf(id);
  assert.equal(row.error_code, 'upstream_timeout');
  assert.equal(row.cost_usd, null);

  const deleted = await db.query('delete from public.usage_events where request_id = $1', [id], SERVICE);
  assert.equal(deleted.rowCount, 1);
  assert.equal(await rowOf(id), undefined);
});

test('a retried insert with the same request id adds nothing the second time', async () => {
  const id = requestId('retry');
  const upsert = `${INSERT} on conflict (request_id) do nothing`;
  assert.equal((await db.query(upsert, [id, alice, 'proxy'], SERVICE)).rowCount, 1);
  assert.equal((await db.query(upsert, [id, alice, 'proxy'], SERVICE)).rowCount, 0);
  const { rows } = await db.query('select count(*) as n from public.usage_events where request_id = $1', [id]);
  assert.deepEqual(rows, [{ n: 1 }]);
  await assert.rejects(db.query(INSERT, [id, alice, 'proxy'], SERVICE), { code: '23505' }, 'request_id is unique');
});

test('usage rows are checked: known route, no negative tokens, latency or cost', async () => {
  const bad = {
    route: 'edge', input_tokens: -1, output_tokens: -1, cached_tokens: -1, reasoning_tokens: -1,
    cache_write_tokens: -1, latency_ms: -1, cost_usd: -0.01,
  };
  for (const [column, value] of Object.entries(bad)) {
    const row = { request_id: requestId('bad'), user_id: alice, route: 'proxy', provider: 'openai', [column]: value };
    const columns = Object.keys(row);
    const sql = `insert into public.usage_events (${columns.join(', ')})
      values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`;
    await assert.rejects(db.query(sql, Object.values(row), SERVICE), { code: '23514' }, `${column} = ${value}`);
  }
  await assert.rejects(
    db.query(`insert into public.usage_events (user_id, route, provider) values ($1, 'proxy', 'openai')`, [alice], SERVICE),
    { code: '23502' },
    'request_id is required',
  );
});

test("the proxy's row keeps its reasoning and cache-write tokens", async () => {
  const id = requestId('reasoning');
  await db.query(
    `insert into public.usage_events
       (request_id, user_id, route, provider, model, input_tokens, output_tokens, cached_tokens,
        reasoning_tokens, cache_write_tokens, cost_usd)
     values ($1, $2, 'proxy', 'anthropic', 'claude-sonnet-4-5', 3000, 2000, 1000, 1500, 1000, 0.03705)`,
    [id, alice],
    SERVICE,
  );
  const row = await rowOf(id);
  assert.deepEqual(
    [row.input_tokens, row.output_tokens, row.cached_tokens, row.reasoning_tokens, row.cache_write_tokens, row.cost_usd],
    [3000, 2000, 1000, 1500, 1000, '0.037050'],
  );
  // The owner reads them back as the Usage page does.
  const { rows } = await db.query(
    'select reasoning_tokens, cache_write_tokens from public.usage_events where request_id = $1',
    [id],
    as(alice),
  );
  assert.deepEqual(rows, [{ reasoning_tokens: 1500, cache_write_tokens: 1000 }]);
});

test('deleting a user in auth.users removes their usage rows', async () => {
  const frank = await db.createUser('frank@example.test');
  await db.query(INSERT, [requestId('frank'), frank, 'proxy'], SERVICE);
  await db.query('delete from auth.users where id = $1', [frank]);
  const { rows } = await db.query('select count(*) as n from public.usage_events where user_id = $1', [frank]);
  assert.deepEqual(rows, [{ n: 0 }]);
});
