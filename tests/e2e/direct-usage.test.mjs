// Direct-call usage from the browser: the agent in headless Chromium calls the (mock)
// Anthropic API straight, not through the proxy, and logs each call as a `route = 'direct'`
// row in `usage_events` through Supabase's REST API with the signed-in user's own token —
// here the PostgREST stand-in over a real PostgreSQL with Ferry's migrations, so the
// row-level security that lets a user add only their own direct rows is exercised. While
// Supabase is unreachable the rows wait in IndexedDB; they are sent later, exactly once,
// and only with their own user's token (another user's would be refused by RLS).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startPostgres } from '../db/support/postgres.mjs';
import { startBrowser, startStatic } from './support/browser.mjs';
import { USAGE, startMockProvider } from './support/mock-provider.mjs';
import { apiKey, startPostgrest } from './support/postgrest.mjs';
import { eventually } from './support/supabase-stack.mjs';
import { claims, hs256 } from './support/tokens.mjs';
import { ROOT } from './support/worker.mjs';

const SECRET = 'direct-usage-test-jwt-secret-32-chars-min';
const KEY = 'sk-ant-DIRECT-4242';

let db;
let rest;
let mock;
let site;
let browser;
let page;
let user;
before(async () => {
  db = await startPostgres();
  rest = await startPostgrest({ db, jwtSecret: SECRET });
  mock = await startMockProvider();
  site = await startStatic({
    routes: { '/': { type: 'text/html', body: '<!doctype html><title>direct</title>' } },
    mounts: { '/pkg/': path.join(ROOT, 'target', 'web-agent-pkg') },
  });
  const id = await db.createUser('direct@example.test');
  user = { id, token: hs256(SECRET, claims(rest.url, { sub: id })) };
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${site.url}/`);
  const settings = {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    // No proxy at all: the call can only be direct.
    provider_base_url: `${mock.url}/anthropic`,
    supabase_url: rest.url,
    supabase_anon_key: apiKey(SECRET, { role: 'anon', iss: 'supabase' }),
  };
  await page.evaluate(
    async ({ settings, key, token }) => {
      const module = await import('/pkg/web_agent.js');
      await module.default();
      window.agent = await module.openAgent('ferry-direct', JSON.stringify(settings));
      window.run = async (command) => {
        const events = [];
        await window.agent.command(JSON.stringify(command), (e) => events.push(JSON.parse(e)));
        return events;
      };
      // The page handle is `command` and `stop` only: a session and its messages come as
      // events, as the app gets them.
      window.newSession = async () =>
        (await window.run({ type: 'new_session' })).find((e) => e.type === 'session_created').session;
      await window.run({ type: 'set_key', provider: 'anthropic', key, remember: false });
      await window.run({ type: 'set_access_token', token });
      window.session = await window.newSession();
      window.outbox = () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('ferry-direct');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const request = open.result.transaction('usage_outbox').objectStore('usage_outbox').getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          };
        });
    },
    { settings, key: KEY, token: user.token },
  );
});
after(async () => {
  await browser?.stop();
  await site?.stop();
  await mock?.close();
  await rest?.stop();
  await db?.stop();
});

const send = (text) =>
  page.evaluate((text) => window.run({ type: 'send_message', session: window.session, text }), text);

const rows = async () =>
  (await db.query("select * from public.usage_events where route = 'direct' order by created_at")).rows;

describe('direct-call usage', () => {
  it('calls the provider straight and logs a direct row with the user\'s token', async () => {
    const events = await send('hello');
    assert.ok(events.some((e) => e.type === 'turn_finished'), JSON.stringify(events));
    const call = mock.requests.find((r) => r.path === '/anthropic/v1/messages');
    assert.equal(call.headers['x-api-key'], KEY);
    assert.equal(call.headers['anthropic-dangerous-direct-browser-access'], 'true');

    const [row] = await eventually(async () => (await rows()).length === 1 && rows(), { what: 'the direct row' });
    assert.equal(row.user_id, user.id);
    assert.equal(row.provider, 'anthropic');
    assert.equal(row.model, 'claude-sonnet-4-5');
    assert.equal(row.output_tokens, USAGE.output);
    assert.ok(row.input_tokens >= USAGE.input, `input ${row.input_tokens}`);
    assert.ok(Number(row.cost_usd) > 0, `cost ${row.cost_usd}`);
    assert.deepEqual(await page.evaluate(() => window.outbox()), []);
    assert.ok(!JSON.stringify(row).includes(KEY));
  });

  it('keeps rows while Supabase is unreachable and sends them later, once', async () => {
    await rest.down();
    await send('while offline');
    const waiting = await page.evaluate(() => window.outbox());
    assert.equal(waiting.length, 1, 'queued in IndexedDB');
    assert.equal((await rows()).length, 1);

    await rest.up();
    // A refreshed token is when the agent sends what waited.
    await page.evaluate((token) => window.run({ type: 'set_access_token', token }), user.token);
    assert.equal((await rows()).length, 2);
    assert.deepEqual(await page.evaluate(() => window.outbox()), []);
    // A later turn adds its own row; none of the earlier ones is sent again.
    await send('and once more');
    assert.equal((await rows()).length, 3);
  });

  it('rows of a user who signed out wait for that user; the next user\'s rows go meanwhile', async () => {
    const mine = async (id) =>
      (await db.query("select 1 from public.usage_events where route = 'direct' and user_id = $1", [id])).rows.length;
    const before = await mine(user.id);
    await rest.down();
    await send('queued, then signed out');
    await rest.up();
    // Someone else signs in on this browser and chats.
    const otherId = await db.createUser('other@example.test');
    const other = hs256(SECRET, claims(rest.url, { sub: otherId }));
    await page.evaluate((token) => window.run({ type: 'set_access_token', token }), other);
    await send('the other user\'s call');
    assert.equal(await mine(otherId), 1, 'their own row went, with their token');
    const waiting = await page.evaluate(() => window.outbox());
    assert.deepEqual(waiting.map((r) => r.user_id), [user.id], 'the first user\'s row waits, set aside');
    assert.equal(await mine(user.id), before);
    // The first user back: their row goes.
    await page.evaluate((token) => window.run({ type: 'set_access_token', token }), user.token);
    assert.equal(await mine(user.id), before + 1);
    assert.deepEqual(await page.evaluate(() => window.outbox()), []);
  });
});
