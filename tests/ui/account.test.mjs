// A signed-in user's account data, through Supabase's REST API with their own token — the
// PostgREST stand-in over a real PostgreSQL with Ferry's migrations, so row-level security
// is exercised: settings follow the user to a second browser (never the key), and the Usage
// page shows their own calls, logged by the proxy, as cost and token charts and a table.
// A row's owner writes what they like into it: endpoints and routing in it are never taken.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { startPostgres } from '../db/support/postgres.mjs';
import { startBrowser } from '../e2e/support/browser.mjs';
import { apiKey, startPostgrest } from '../e2e/support/postgrest.mjs';
import { eventually } from '../e2e/support/supabase-stack.mjs';
import { configVariant } from '../e2e/support/worker.mjs';
import { FerryPage, KEY, startApp } from './support/app.mjs';
import { startAuthStandin } from './support/auth-standin.mjs';

const SECRET = 'ui-account-test-jwt-secret-32-chars-or-more';

let db;
let rest;
let auth;
let app;
let ferry;
before(async () => {
  db = await startPostgres();
  rest = await startPostgrest({ db, jwtSecret: SECRET });
  const userId = await db.createUser('ada@example.test');
  auth = await startAuthStandin({ secret: SECRET, userId, restUrl: rest.url });
  // Usage rows leave the worker's queue after a second here.
  const workerConfig = configVariant('ui-account', (text) =>
    text.replace(/^max_batch_timeout = \d+$/m, 'max_batch_timeout = 1'),
  );
  app = await startApp({
    workerConfig,
    vars: {
      AUTH_MODE: 'supabase',
      SUPABASE_URL: auth.url,
      SUPABASE_JWT_SECRET: SECRET,
      SUPABASE_SERVICE_ROLE_KEY: apiKey(SECRET, { role: 'service_role', iss: 'supabase' }),
    },
    config: { auth_mode: 'supabase', supabase_url: auth.url, supabase_anon_key: apiKey(SECRET, { role: 'anon', iss: 'supabase' }) },
  });
  ferry = await app.page();
  await signIn(ferry);
});

/** Asks for the emailed link in `page`'s browser and follows it (PKCE: only there). */
async function signIn(page) {
  await page.page.goto(`${app.site.url}/`);
  await page.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
  await page.page.getByLabel('Email').fill('ada@example.test');
  await page.button('Email me a sign-in link').click();
  await page.page.getByRole('status').filter({ hasText: 'on its way' }).waitFor();
  await page.page.goto(auth.magicLink());
  await page.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
  await page.button('Sign out').waitFor();
}
after(async () => {
  await app?.stop();
  await auth?.stop();
  await rest?.stop();
  await db?.stop();
});

describe('account data', () => {
  it('settings follow the user to another browser, without the key', async () => {
    await ferry.configure({ model: 'mistral-small-2409' });
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    await ferry.button('Settings').click();
    await dialog.getByLabel('System prompt').fill('Answer like a ship captain.');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await ferry.button('Sign out').waitFor();
    const stored = await eventually(
      async () => {
        const { rows } = await db.query('select settings from public.user_settings');
        return rows[0]?.settings.system_prompt === 'Answer like a ship captain.' && rows[0].settings;
      },
      { what: 'synced settings' },
    );
    assert.equal(stored.model, 'mistral-small-2409');
    assert.ok(!JSON.stringify(stored).includes(KEY), 'never the key');
    assert.deepEqual(Object.keys(stored).sort(), ['model', 'provider', 'system_prompt'], 'no endpoints, no routing');

    const other = await startBrowser();
    try {
      const second = new FerryPage(await other.page(), app.site.url);
      await signIn(second);
      const settings = second.page.getByRole('dialog', { name: 'Settings' });
      // No key on this device yet: Settings opens, with the synced choices in it.
      await settings.waitFor();
      await settings.getByRole('combobox', { name: 'Model' }).and(second.page.locator('[list]')).waitFor();
      await second.page.waitForFunction(
        () => document.querySelector('.settings textarea')?.value === 'Answer like a ship captain.',
      );
      assert.equal(await settings.getByRole('combobox', { name: 'Model' }).inputValue(), 'mistral-small-2409');
      assert.equal(await settings.getByLabel('API key').inputValue(), '');
      assert.match(await settings.getByLabel('API key').getAttribute('placeholder'), /Paste your key/);
    } finally {
      await other.stop();
    }
  });

  it('the Usage page charts and lists the user\'s own calls', async () => {
    await ferry.send('Log this call');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    // Another user's row, which must not show.
    const stranger = await db.createUser('someone@example.test');
    await db.query(
      `insert into public.usage_events (request_id, user_id, route, provider, model, input_tokens, output_tokens, cost_usd)
       values ('someone-1', $1, 'proxy', 'openai', 'gpt-4o', 1000, 1000, 9.99)`,
      [stranger],
    );
    await eventually(async () => (await db.query("select 1 from public.usage_events where route = 'proxy' and provider = 'mistral'")).rows.length > 0, {
      what: 'the proxy\'s usage row',
    });
    await ferry.button('Usage').click();
    await ferry.page.getByRole('heading', { name: 'Usage' }).waitFor();
    const table = ferry.page.getByRole('table', { name: 'Calls, newest first' });
    await table.getByRole('cell', { name: 'mistral-small-2409' }).first().waitFor();
    const text = await table.innerText();
    assert.ok(!text.includes('9.99'), 'only the user\'s own rows');
    assert.ok(!text.includes('gpt-4o\t'), text);
    const chart = ferry.page.getByRole('img', { name: /^Cost per day/ });
    await chart.waitFor();
    assert.equal(await chart.locator('rect').count(), 30, 'a bar for each of the last 30 days');
    assert.match(await chart.getAttribute('aria-label'), /days with calls: 1$/);
    const tokens = ferry.page.getByRole('img', { name: /^Tokens per day/ });
    assert.equal(await tokens.locator('rect').count(), 60, 'tokens in and out for each day');
    // The user's own tokens only (the stranger's 2,000 are not counted).
    const [, all, input, output] = (await tokens.getAttribute('aria-label')).match(/: (\d+) in all \((\d+) in, (\d+) out\)$/);
    assert.equal(Number(all), Number(input) + Number(output));
    assert.ok(Number(all) > 0 && Number(all) < 2000, all);
    await ferry.screenshot('usage');
    await ferry.button('Back to chat').click();
    await ferry.message.waitFor();
  });

  it('endpoints and routing its owner put in the row are not applied: the key goes to the proxy', async () => {
    // Where a planted proxy_url or provider_base_url would send the call (and the key).
    const caught = [];
    const evil = http.createServer((req, res) => {
      caught.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' }).end();
    });
    await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilUrl = `http://127.0.0.1:${evil.address().port}`;
    try {
      await db.query(
        `update public.user_settings set settings = settings || $1::jsonb`,
        [JSON.stringify({ proxy_url: evilUrl, provider_base_url: `${evilUrl}/v1`, always_proxy: true, supabase_url: evilUrl, model: 'mistral-large-latest' })],
      );
      // At start, the synced settings are read again.
      await ferry.page.reload();
      await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
      await ferry.button('Sign out').waitFor();
      app.mock.requests.length = 0;
      // The allowed field (the model) arrives; the rest of the row does not.
      await ferry.button('Settings').click();
      const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
      await ferry.page.waitForFunction(() => document.querySelector('.settings [list]')?.value === 'mistral-large-latest');
      assert.notEqual(await dialog.getByLabel('Proxy URL').inputValue(), evilUrl);
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await ferry.send('Where does my key go?');
      await ferry.answers.last().getByText('Hello from openai!').waitFor();
      await ferry.idle();
      assert.deepEqual(caught, [], 'nothing reached the planted endpoints');
      const upstream = app.mock.requests.filter((r) => JSON.stringify(r.headers ?? {}).includes(KEY));
      assert.ok(upstream.length > 0, 'the key reached the provider, through the proxy');
      // And the next save writes back the allowed fields only.
      await ferry.configure({ model: 'mistral-large-latest' });
      await eventually(
        async () => {
          const { rows } = await db.query('select settings from public.user_settings');
          return rows[0] && !JSON.stringify(rows[0].settings).includes(evilUrl);
        },
        { what: 'the row rewritten without the planted fields' },
      );
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
  });
});
