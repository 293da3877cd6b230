// profiles and user_settings: each signed-in user reads and writes only their own row; anon
// gets nothing. Every query runs the way PostgREST runs it (see support/postgres.mjs).

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { startPostgres } from './support/postgres.mjs';

const DENIED = { code: '42501', message: /permission denied/ };
const RLS_REFUSED = { code: '42501', message: /row-level security/ };

let db;
let alice;
let bob;
const as = (sub) => ({ role: 'authenticated', sub });

before(async () => {
  db = await startPostgres();
  alice = await db.createUser('alice@example.test');
  bob = await db.createUser('bob@example.test');
  await db.query(`insert into public.profiles (id, display_name) values ($1, 'Bob')`, [bob]);
  await db.query(`insert into public.user_settings (user_id, settings) values ($1, '{"theme":"dark"}')`, [bob]);
});

after(async () => {
  await db?.stop();
});

test('the Supabase CLI applied every migration and row-level security is on for every table', async () => {
  const { rows: versions } = await db.query('select version from supabase_migrations.schema_migrations order by version');
  const files = readdirSync(new URL('../../supabase/migrations/', import.meta.url))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.split('_')[0])
    .sort();
  assert.ok(files.length >= 3, 'the migrations directory holds the migrations');
  assert.deepEqual(versions.map((r) => r.version), files);
  const { rows } = await db.query(
    `select relname, relrowsecurity from pg_class
      where relnamespace = 'public'::regnamespace and relname in ('profiles', 'user_settings', 'usage_events')
      order by relname`,
  );
  assert.deepEqual(rows, [
    { relname: 'profiles', relrowsecurity: true },
    { relname: 'usage_events', relrowsecurity: true },
    { relname: 'user_settings', relrowsecurity: true },
  ]);
});

test('a user creates, reads and updates their own profile', async () => {
  const inserted = await db.query(
    `insert into public.profiles (id, display_name) values ($1, 'Alice') returning id, display_name`,
    [alice],
    as(alice),
  );
  assert.deepEqual(inserted.rows, [{ id: alice, display_name: 'Alice' }]);

  const updated = await db.query(
    `update public.profiles set display_name = 'Alice L.' where id = $1`,
    [alice],
    as(alice),
  );
  assert.equal(updated.rowCount, 1);

  const { rows } = await db.query('select id, display_name from public.profiles', [], as(alice));
  assert.deepEqual(rows, [{ id: alice, display_name: 'Alice L.' }], 'sees exactly her own profile');
});

test("an update with no WHERE clause changes only the user's own profile", async () => {
  const updated = await db.query(`update public.profiles set display_name = 'Alice L.'`, [], as(alice));
  assert.equal(updated.rowCount, 1);
  const { rows } = await db.query('select id, display_name from public.profiles order by display_name');
  assert.deepEqual(rows, [
    { id: alice, display_name: 'Alice L.' },
    { id: bob, display_name: 'Bob' },
  ]);
});

test("a user cannot read another user's profile", async () => {
  const { rows } = await db.query('select * from public.profiles where id = $1', [bob], as(alice));
  assert.deepEqual(rows, []);
});

test("a user cannot update or delete another user's profile", async () => {
  const updated = await db.query(
    `update public.profiles set display_name = 'hacked' where id = $1`,
    [bob],
    as(alice),
  );
  assert.equal(updated.rowCount, 0);
  const deleted = await db.query('delete from public.profiles where id = $1', [bob], as(alice));
  assert.equal(deleted.rowCount, 0);

  const { rows } = await db.query('select display_name from public.profiles where id = $1', [bob]);
  assert.deepEqual(rows, [{ display_name: 'Bob' }], "Bob's profile is untouched");
});

test('a user cannot create a profile for another user', async () => {
  const carol = await db.createUser('carol@example.test');
  await assert.rejects(
    db.query(`insert into public.profiles (id, display_name) values ($1, 'Carol?')`, [carol], as(alice)),
    RLS_REFUSED,
  );
  const { rows } = await db.query('select * from public.profiles where id = $1', [carol]);
  assert.deepEqual(rows, []);
});

test('a user writes and reads their own settings; updated_at moves on update', async () => {
  await db.query(
    `insert into public.user_settings (user_id, settings) values ($1, '{"model":"gpt-4o-mini"}')`,
    [alice],
    as(alice),
  );
  const earlier = await db.query('select updated_at from public.user_settings where user_id = $1', [alice]);
  const updated = await db.query(
    `update public.user_settings set settings = settings || '{"theme":"light"}' where user_id = $1`,
    [alice],
    as(alice),
  );
  assert.equal(updated.rowCount, 1);

  const { rows } = await db.query('select user_id, settings, updated_at from public.user_settings', [], as(alice));
  assert.equal(rows.length, 1, 'sees exactly her own settings');
  assert.equal(rows[0].user_id, alice);
  assert.deepEqual(rows[0].settings, { model: 'gpt-4o-mini', theme: 'light' });
  assert.ok(rows[0].updated_at > earlier.rows[0].updated_at, 'updated_at is set by the trigger');
});

test("a user cannot read, update or delete another user's settings", async () => {
  const read = await db.query('select * from public.user_settings where user_id = $1', [bob], as(alice));
  assert.deepEqual(read.rows, []);
  const updated = await db.query(
    `update public.user_settings set settings = '{}' where user_id = $1`,
    [bob],
    as(alice),
  );
  assert.equal(updated.rowCount, 0);
  const deleted = await db.query('delete from public.user_settings where user_id = $1', [bob], as(alice));
  assert.equal(deleted.rowCount, 0);

  const { rows } = await db.query('select settings from public.user_settings where user_id = $1', [bob]);
  assert.deepEqual(rows, [{ settings: { theme: 'dark' } }], "Bob's settings are untouched");
});

test('a user cannot hand their own settings row over to another user', async () => {
  const carol = await db.createUser('carol2@example.test');
  await assert.rejects(
    db.query('update public.user_settings set user_id = $2 where user_id = $1', [alice, carol], as(alice)),
    RLS_REFUSED,
  );
  const { rows } = await db.query('select user_id from public.user_settings where user_id in ($1, $2)', [alice, carol]);
  assert.deepEqual(rows, [{ user_id: alice }]);
});

test('settings must be a JSON object', async () => {
  await assert.rejects(
    db.query(`update public.user_settings set settings = '[1,2]' where user_id = $1`, [alice], as(alice)),
    { code: '23514' },
  );
});

test('a user deletes their own profile', async () => {
  const dave = await db.createUser('dave@example.test');
  await db.query(`insert into public.profiles (id) values ($1)`, [dave]);
  const deleted = await db.query('delete from public.profiles where id = $1', [dave], as(dave));
  assert.equal(deleted.rowCount, 1);
  const { rows } = await db.query('select * from public.profiles where id = $1', [dave]);
  assert.deepEqual(rows, []);
});

test('a signed-in user cannot truncate profiles or settings (TRUNCATE ignores row-level security)', async () => {
  for (const table of ['public.profiles', 'public.user_settings']) {
    await assert.rejects(db.query(`truncate ${table}`, [], as(alice)), DENIED, table);
  }
  const { rows } = await db.query('select count(*) as n from public.profiles');
  assert.ok(rows[0].n >= 2);
});

test('anon can neither read nor write profiles or settings', async () => {
  for (const table of ['public.profiles', 'public.user_settings']) {
    await assert.rejects(db.query(`select * from ${table}`, [], { role: 'anon' }), DENIED, `select ${table}`);
  }
  await assert.rejects(
    db.query(`insert into public.profiles (id) values ($1)`, [alice], { role: 'anon' }),
    DENIED,
  );
  await assert.rejects(
    db.query(`update public.user_settings set settings = '{}'`, [], { role: 'anon' }),
    DENIED,
  );
  await assert.rejects(db.query('delete from public.profiles', [], { role: 'anon' }), DENIED);
});

test('deleting a user in auth.users removes their profile and settings', async () => {
  const erin = await db.createUser('erin@example.test');
  await db.query(`insert into public.profiles (id) values ($1)`, [erin], as(erin));
  await db.query(`insert into public.user_settings (user_id) values ($1)`, [erin], as(erin));
  await db.query('delete from auth.users where id = $1', [erin]);
  const { rows } = await db.query(
    `select (select count(*) from public.profiles where id = $1) as profiles,
            (select count(*) from public.user_settings where user_id = $1) as settings`,
    [erin],
  );
  assert.deepEqual(rows, [{ profiles: 0, settings: 0 }]);
});
