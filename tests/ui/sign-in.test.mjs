// Signing in when the proxy runs with AUTH_MODE=supabase, against a loopback stand-in for
// Supabase Auth speaking its PKCE flow: the emailed link, GitHub through the OAuth
// redirect, chats through the proxy with the verified token, a refresh before the token
// runs out, sign-out — and the links that must not sign anyone in: a session handed over
// in the address, a code made for someone else's sign-in, and (after asking) a sign-in to
// another account.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { eventually } from '../e2e/support/supabase-stack.mjs';
import { startApp } from './support/app.mjs';
import { challengeOf, startAuthStandin } from './support/auth-standin.mjs';

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
const ready = () => ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
/** Opens `url` afresh, as clicking a link in a mail does (not a jump within the page). */
async function follow(url) {
  await ferry.page.goto('about:blank');
  await ferry.page.goto(url);
  await ready();
}
async function askForLink(email) {
  await signInView().waitFor();
  await ferry.page.getByLabel('Email').fill(email);
  await ferry.button('Email me a sign-in link').click();
  await ferry.page.getByRole('status').filter({ hasText: `on its way to ${email}` }).waitFor();
}
const exchanges = () =>
  auth.requests.filter((r) => r.method === 'POST' && r.path === '/auth/v1/token' && r.query.grant_type === 'pkce');
/** The user ids whose tokens reached Supabase's REST API (the settings sync after a sign-in). */
const restUsers = () =>
  auth.requests
    .filter((r) => r.path.startsWith('/rest/v1/') && r.headers.authorization)
    .map((r) => JSON.parse(Buffer.from(r.headers.authorization.split('.')[1], 'base64url')).sub);

describe('sign-in', () => {
  it('asks for a sign-in first, and emails a link that leads back here, with a PKCE challenge', async () => {
    await signInView().waitFor();
    await ferry.screenshot('sign-in');
    await askForLink('ada@example.test');
    const otp = auth.requests.find((r) => r.path === '/auth/v1/otp' && r.method === 'POST');
    assert.equal(otp.body.email, 'ada@example.test');
    assert.equal(otp.body.create_user, true);
    assert.equal(otp.body.code_challenge_method, 's256');
    assert.match(otp.body.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(otp.headers.apikey, 'anon-public-key');
    assert.equal(otp.query.redirect_to, `${app.site.url}/`);
  });

  it('the link signs in with the code and this browser\'s verifier; chats go through the proxy', async () => {
    await follow(auth.magicLink());
    await ferry.button('Sign out').waitFor();
    const exchange = exchanges().at(-1);
    assert.ok(exchange, 'the code was traded at /token?grant_type=pkce');
    const otp = auth.requests.find((r) => r.path === '/auth/v1/otp' && r.method === 'POST');
    assert.equal(challengeOf(exchange.body.code_verifier), otp.body.code_challenge);
    assert.ok(exchange.body.code_verifier.length >= 43 && exchange.body.code_verifier.length <= 128);
    const address = new URL(ferry.page.url());
    assert.equal(address.search + address.hash, '', 'the code leaves the address bar');
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
    const refreshes = () =>
      auth.requests.filter((r) => r.method === 'POST' && r.path === '/auth/v1/token' && r.query.grant_type === 'refresh_token');
    const before = refreshes().length;
    // A session whose access token has 30 s left: inside the one-minute margin.
    await follow(auth.magicLink({ expiresIn: 30 }));
    // The app reopens the latest chat with a command queued behind the link's sign-in, so
    // once that chat shows, the new session is in force. Sent sooner, the message would
    // start a chat of its own while the earlier one's answer still showed.
    await ferry.questions.filter({ hasText: 'Hello, signed in' }).waitFor();
    const answered = await ferry.answers.count();
    await ferry.send('After a refresh');
    await ferry.answers.nth(answered).getByText('Hello from openai!').waitFor();
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

  it('GitHub signs in through the OAuth redirect, with a PKCE challenge', async () => {
    await ferry.button('Continue with GitHub').click();
    await ferry.button('Sign out').waitFor();
    const authorize = auth.requests.findLast((r) => r.path === '/auth/v1/authorize');
    assert.equal(authorize.query.provider, 'github');
    assert.equal(authorize.query.redirect_to, `${app.site.url}/`);
    assert.equal(authorize.query.code_challenge_method, 's256');
    assert.equal(challengeOf(exchanges().at(-1).body.code_verifier), authorize.query.code_challenge);
    const address = new URL(ferry.page.url());
    assert.equal(address.search + address.hash, '');
  });
});

describe('links that must not sign anyone in', () => {
  it('a link carrying #access_token=… signs no one in, and says so', async () => {
    await ferry.button('Sign out').click();
    await signInView().waitFor();
    const mallory = auth.addUser('mallory@example.test');
    const sessionsBefore = exchanges().length;
    await follow(`${app.site.url}/#${auth.implicitFragment(mallory.email)}`);
    await ferry.banner.getByText(/Nobody was signed in/).waitFor();
    await signInView().waitFor();
    assert.equal(await ferry.button('Sign out').count(), 0);
    assert.equal(new URL(ferry.page.url()).hash, '', 'the tokens leave the address bar');
    assert.equal(exchanges().length, sessionsBefore);
    // Not after a reload either.
    await ferry.page.reload();
    await ready();
    await signInView().waitFor();
  });

  it('a code made for someone else\'s sign-in (their verifier) signs no one in', async () => {
    // Mallory starts a sign-in in her own browser, and sends the link's code on.
    const code = auth.codeFor('mallory@example.test', challengeOf('mallorys-own-verifier-0123456789-abcdefghijklmnop'));
    await follow(`${app.site.url}/?code=${code}`);
    await ferry.banner.getByText(/code challenge does not match/).waitFor();
    await signInView().waitFor();
    assert.equal(exchanges().at(-1).body.auth_code, code);
    assert.equal(new URL(ferry.page.url()).search, '');
  });

  it('a link for a different account asks before switching', async () => {
    // Signed out, a link is asked for Mallory's address; then Ada signs in with GitHub.
    await askForLink('mallory@example.test');
    await ferry.button('Continue with GitHub').click();
    await ferry.button('Sign out').waitFor();
    const ada = auth.user.id;
    const mallory = auth.requests.findLast((r) => r.path === '/auth/v1/otp' && r.method === 'POST').body.email;
    assert.equal(mallory, 'mallory@example.test');
    // Mallory's link, opened in Ada's session: asked first, nothing of Mallory's in force.
    const restBefore = restUsers().length;
    await follow(auth.magicLink({ email: 'mallory@example.test' }));
    const dialog = ferry.page.getByRole('dialog', { name: 'Switch account?' });
    await dialog.waitFor();
    await dialog.getByText('You are signed in as ada@example.test').waitFor();
    await dialog.getByText(/This sign-in is for mallory@example\.test/).waitFor();
    assert.ok(restUsers().slice(restBefore).every((sub) => sub === ada), 'nothing asked for Mallory yet');
    await dialog.getByRole('button', { name: 'Stay signed in' }).click();
    await dialog.waitFor({ state: 'detached' });
    await ferry.button('Sign out').waitFor();
    assert.ok(restUsers().slice(restBefore).every((sub) => sub === ada));
    // Asked again, and switched: Mallory's account is in force.
    await follow(auth.magicLink({ email: 'mallory@example.test' }));
    await dialog.getByRole('button', { name: 'Switch account' }).click();
    await dialog.waitFor({ state: 'detached' });
    await ferry.button('Sign out').waitFor();
    await eventually(() => restUsers().slice(restBefore).some((sub) => sub !== ada), {
      what: 'the settings sync, as Mallory',
    });
  });
});

describe('an expired or rejected sign-in', () => {
  it('a 401 from the proxy asks for a sign-in again, saying why', async () => {
    await ferry.button('Sign out').click();
    await signInView().waitFor();
    await askForLink('ada@example.test');
    await follow(auth.magicLink());
    await ferry.button('Sign out').waitFor();
    // The project's secret changes under the running session (a rotated JWT secret): the
    // proxy no longer accepts the token.
    await app.restartWorker({ AUTH_MODE: 'supabase', SUPABASE_URL: auth.url, SUPABASE_JWT_SECRET: 'some-other-projects-secret-of-32-characters' });
    await ferry.send('Will this pass?');
    await signInView().waitFor();
    await ferry.banner.getByText('Your sign-in has expired. Sign in again.').waitFor();
  });
});
