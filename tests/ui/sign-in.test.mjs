// Signing in when the proxy runs with AUTH_MODE=supabase, against a loopback stand-in for
// Supabase Auth: the emailed link, GitHub through the OAuth redirect, chats through the
// proxy with the verified token, a refresh before the token runs out, and sign-out.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { claims, hs256 } from '../e2e/support/tokens.mjs';
import { startApp } from './support/app.mjs';
import { startAuthStandin } from './support/auth-standin.mjs';

const SECRET = 'ui-sign-in-test-jwt-secret-32-chars-or-more';

let auth;
let app;
let ferry;
before(async () => {
  auth = await startAuthStandin({ secret: SECRET });
  app = await startApp({
    vars: { AUTH_MODE: 'supabase', SUPABASE_URL: auth.url, SUPABASE_JWT_SECRET: SECRET },
    config: { auth_mode: 'supabase', supabase_url: auth.url, supabase_anon_key: 'anon-public-key' },
  });
  ferry = await app.page();
  await ferry.open();
});
after(async () => {
  await app?.stop();
  await auth?.stop();
});

const signInView = () => ferry.page.getByRole('heading', { name: 'Sign in to Ferry' });

describe('sign-in', () => {
  it('asks for a sign-in first, and emails a link that leads back here', async () => {
    await signInView().waitFor();
    await ferry.screenshot('sign-in');
    await ferry.page.getByLabel('Email').fill('ada@example.test');
    await ferry.button('Email me a sign-in link').click();
    await ferry.page.getByRole('status').filter({ hasText: 'on its way to ada@example.test' }).waitFor();
    const otp = auth.requests.find((r) => r.path === '/auth/v1/otp' && r.method === 'POST');
    assert.deepEqual(otp.body, { email: 'ada@example.test', create_user: true });
    assert.equal(otp.headers.apikey, 'anon-public-key');
    assert.equal(otp.query.redirect_to, `${app.site.url}/`);
  });

  it('the link signs in; chats go through the proxy with the verified token', async () => {
    // The link opens the app afresh (not a jump within the page already open).
    await ferry.page.goto('about:blank');
    await ferry.page.goto(`${app.site.url}/#${auth.magicLinkFragment()}`);
    await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    await ferry.button('Sign out').waitFor();
    assert.equal(new URL(ferry.page.url()).hash, '', 'the tokens leave the address bar');
    await ferry.configure();
    await ferry.send('Hello, signed in');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
  });

  it('stays signed in across a reload', async () => {
    await ferry.page.reload();
    await ferry.open();
    await ferry.button('Sign out').waitFor();
    assert.equal(await signInView().count(), 0);
  });

  it('refreshes a token about to run out, and calls go on with the new one', async () => {
    const refreshes = () => auth.requests.filter((r) => r.path === '/auth/v1/token' && r.method === 'POST');
    const before = refreshes().length;
    // A session whose access token has 30 s left: inside the one-minute margin.
    await ferry.page.goto('about:blank');
    await ferry.page.goto(`${app.site.url}/#${auth.magicLinkFragment(30)}`);
    await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    await ferry.send('After a refresh');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    assert.equal(refreshes().length, before + 1, 'refreshed once, then good for an hour');
    assert.match(refreshes().at(-1).body.refresh_token, /^refresh-/);
  });

  it('sign-out ends the session and shows the sign-in again', async () => {
    await ferry.button('Sign out').click();
    await signInView().waitFor();
    assert.ok(auth.requests.some((r) => r.path === '/auth/v1/logout' && r.method === 'POST'));
    await ferry.page.reload();
    await signInView().waitFor();
  });

  it('GitHub signs in through the OAuth redirect', async () => {
    await ferry.button('Continue with GitHub').click();
    await ferry.button('Sign out').waitFor();
    const authorize = auth.requests.find((r) => r.path === '/auth/v1/authorize');
    assert.equal(authorize.query.provider, 'github');
    assert.equal(authorize.query.redirect_to, `${app.site.url}/`);
  });
});

describe('an expired or rejected sign-in', () => {
  it('a 401 from the proxy asks for a sign-in again, saying why', async () => {
    // A session the proxy will not accept: signed with another project's secret.
    const forged = new URLSearchParams({
      access_token: hs256('some-other-projects-secret-of-32-characters', claims(auth.url)),
      refresh_token: 'refresh-forged',
      expires_in: '3600',
      token_type: 'bearer',
    });
    await ferry.page.goto('about:blank');
    await ferry.page.goto(`${app.site.url}/#${forged}`);
    await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    await ferry.button('Sign out').waitFor();
    // The key saved earlier in this profile is still there: the chat goes to the proxy.
    await ferry.send('Will this pass?');
    await signInView().waitFor();
    await ferry.banner.getByText('Your sign-in has expired. Sign in again.').waitFor();
  });
});
