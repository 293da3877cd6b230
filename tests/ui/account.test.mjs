// A signed-in user's account data, through Supabase's REST API with their own token — the
// PostgREST stand-in over a real PostgreSQL with Ferry's migrations, so row-level security
// is exercised: settings follow the user to a second browser (never the key), and the Usage
// page shows their own calls, logged by the proxy, as cost and token charts and a table.

import assert from 'node:assert/strict';
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
  await ferry.page.goto(`${app.site.url}/#${auth.magicLinkFragment()}`);
  await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
  await ferry.button('Sign out').waitFor();
});
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
    const stored = await eventually(
      async () => {
        const { rows } = await db.query('select settings from public.user_settings');
        return rows[0]?.settings.system_prompt === 'Answer like a ship captain.' && rows[0].settings;
      },
      { what: 'synced settings' },
    );
    assert.equal(stored.model, 'mistral-small-2409');
    assert.ok(!JSON.stringify(stored).includes(KEY), 'never the key');

    const other = await startBrowser();
    try {
      const second = new FerryPage(await other.page(), app.site.url);
      await second.page.goto(`${app.site.url}/#${auth.magicLinkFragment()}`);
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
});
