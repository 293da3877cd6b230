// Signing in to an MCP server with OAuth, in the app, against the official SDK's demo (an
// MCP server whose /mcp answers 401 without a token and has no CORS, and its authorization
// server with registration, strict about the token's resource): added by URL in Settings,
// the server shows as needing a sign-in; `Sign in to …` opens a popup that goes through
// the authorization server and back to the app's /mcp-oauth.html, which hands the code to
// the app; the server is then connected with its tools; a way back Ferry did not start
// signs nobody in; a reload while the popup is away loses nothing; and a turn calls one of
// the server's tools with the OAuth token.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startOAuthDemo } from '../e2e/support/mcp-servers.mjs';
import { openApp } from './support/app.mjs';

/** The demo's `serverInfo.name` (it gives no title). */
const NAME = 'simple-streamable-http-server';

let app;
let ferry;
let demo;
before(async () => {
  demo = await startOAuthDemo();
  // The demo's /mcp has no CORS: the relay reaches it, which it does on loopback only in a
  // test worker.
  ({ app, ferry } = await openApp({ vars: { FETCH_ALLOW_PRIVATE: 'true' }, configure: { model: 'agent-1' } }));
});
after(async () => {
  await app?.stop();
  await demo?.stop();
});

/** What the app calls the server before it has connected: its address's host. */
const host = () => new URL(demo.url).host;
const modelCalls = () => app.mock.requests.filter((r) => r.path === '/openai/v1/chat/completions');

/** Waits until `popup` closes itself; if it does not, fails with where it stopped and what it says. */
async function closed(popup, ms = 20_000) {
  if (popup.isClosed()) return;
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
  });
  const outcome = await Promise.race([popup.waitForEvent('close', { timeout: 0 }).then(() => 'closed'), timeout]);
  clearTimeout(timer);
  if (outcome !== 'closed') {
    const text = await popup.locator('body').innerText().catch(() => '');
    assert.fail(`the sign-in popup stayed open at ${popup.url()}: ${text}\n${demo.log().slice(-2000)}`);
  }
}

describe('MCP OAuth', () => {
  it('the Worker serving the app as deployed serves the callback page, the query kept', async () => {
    // Workers Static Assets answers /mcp-oauth.html with a redirect to /mcp-oauth (its HTML
    // handling): the code and state must survive it.
    const res = await fetch(`${app.worker.url}/mcp-oauth.html?code=c%2B1&state=s-1`);
    assert.equal(res.status, 200);
    assert.equal(new URL(res.url).search, '?code=c%2B1&state=s-1');
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
    const page = await res.text();
    assert.match(page, /<script type="module" src="mcp-oauth.js"><\/script>/);
    assert.doesNotMatch(page, /<script>/, 'no inline script');
    const script = await fetch(new URL('mcp-oauth.js', res.url));
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type'), /javascript/);
  });

  it('a server behind OAuth is added as needing a sign-in', async () => {
    assert.equal(await ferry.addMcpServer(demo.url), null);
    const server = ferry.mcpServer(host());
    await server.getByText('Sign-in needed').waitFor();
    await server.getByRole('button', { name: `Sign in to ${host()}`, exact: true }).waitFor();
    assert.ok(!demo.log().includes('Authenticated user'), 'nothing reached the server signed in');
  });

  it('signing in goes through a popup and the callback page, then the server shows its tools', async () => {
    const [popup] = await Promise.all([
      ferry.page.waitForEvent('popup'),
      ferry.page.getByRole('button', { name: `Sign in to ${host()}`, exact: true }).click(),
    ]);
    await closed(popup);
    // The authorization server sent the popup back to the app's callback page.
    assert.ok(app.site.requested.includes('/mcp-oauth.html'), app.site.requested.join(' '));
    assert.ok(app.site.requested.includes('/mcp-oauth.js'), app.site.requested.join(' '));
    const server = ferry.mcpServer(NAME);
    await server.getByText(/^Connected/).waitFor();
    const tools = server.getByRole('list', { name: `Tools of ${NAME}` });
    await tools.getByText('greet', { exact: true }).waitFor();
    assert.equal(await ferry.page.getByRole('button', { name: /^Sign in to / }).count(), 0);
    // The demo (strict about the resource) took the token: the requests came signed in.
    assert.ok(demo.log().includes('Authenticated user'), 'the server saw the OAuth token');
    await ferry.screenshot('mcp-oauth-signed-in');
    await ferry.closeSettings();
  });

  it('a way back Ferry did not start signs nobody in (a tab without opener: the BroadcastChannel)', async () => {
    const section = await ferry.mcpSettings();
    const stray = await ferry.page.context().newPage();
    try {
      await stray.goto(`${app.site.url}/mcp-oauth.html?code=someone-elses&state=not-ours`);
      const alert = section.locator('.mcp-add').getByRole('alert');
      await alert.getByText(/not one Ferry started/).waitFor();
      // The server stays signed in.
      await ferry.mcpServer(NAME).getByText(/^Connected/).waitFor();
      if (!stray.isClosed()) {
        // A tab the page did not open may stay open: it says what happened, and drops the code.
        await stray.getByText('Handed back to Ferry: you can close this window.').waitFor();
        assert.equal(new URL(stray.url()).search, '');
      }
    } finally {
      if (!stray.isClosed()) await stray.close();
    }
    await ferry.closeSettings();
  });

  it('a reload while the popup is away loses nothing: the verifier and state were kept sealed', async () => {
    const second = await startOAuthDemo();
    const context = ferry.page.context();
    // The popup's way to the authorization server (a redirect's target cannot be held).
    const isAuthorize = (url) => url.port === String(second.authPort) && url.pathname === '/authorize';
    try {
      assert.equal(await ferry.addMcpServer(second.url), null);
      const other = new URL(second.url).host;
      // Hold the popup on its way out until the app has reloaded.
      let reached;
      const arrived = new Promise((resolve) => {
        reached = resolve;
      });
      let release;
      const held = new Promise((resolve) => {
        release = resolve;
      });
      await context.route(isAuthorize, async (route) => {
        reached();
        await held;
        await route.continue();
      });
      const [popup] = await Promise.all([
        ferry.page.waitForEvent('popup'),
        ferry.page.getByRole('button', { name: `Sign in to ${other}`, exact: true }).click(),
      ]);
      await arrived;
      await ferry.page.reload();
      await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
      release();
      await closed(popup);
      await ferry.settings();
      const servers = ferry.page.getByRole('list', { name: 'MCP servers' }).getByRole('listitem', { name: NAME, exact: true });
      await ferry.page.waitForFunction(
        () => [...document.querySelectorAll('ul.mcp-servers > li')].filter((li) => /^Connected/m.test(li.innerText)).length === 2,
      );
      assert.equal(await servers.count(), 2);
      assert.equal(await ferry.page.getByRole('button', { name: /^Sign in to / }).count(), 0);
      assert.ok(second.log().includes('Authenticated user'), 'the second server saw its token');
    } finally {
      await context.unroute(isAuthorize);
      await second.stop();
    }
    await ferry.closeSettings();
  });

  it('a turn calls the server’s tool with the OAuth token', async () => {
    // Which name the model knows the tool by: from the tools the agent declares.
    let before = await ferry.answers.count();
    await ferry.send('hello');
    await ferry.answers.nth(before).getByText('Hello from the agent model.').waitFor();
    await ferry.idle();
    const greet = modelCalls()
      .at(-1)
      .body.tools.map((t) => t.function.name)
      .find((name) => name.endsWith('__greet'));
    assert.ok(greet, 'the demo’s greet tool is offered to the model');

    before = await ferry.answers.count();
    const signedIn = demo.log().split('Authenticated user').length;
    await ferry.send(`use ${greet} {"name":"Ferry"}`);
    const approval = ferry.page.getByRole('group', { name: `Approve ${greet}` });
    await approval.waitFor();
    await approval.getByRole('button', { name: 'Allow once', exact: true }).click();
    await ferry.answers.nth(before).getByText(/^Done: Hello, Ferry!/).waitFor();
    await ferry.idle();
    const result = modelCalls().at(-1).body.messages.at(-1);
    assert.equal(result.role, 'tool');
    assert.match(result.content, /Hello, Ferry!/);
    assert.ok(demo.log().split('Authenticated user').length > signedIn, 'the call carried the token');
  });
});
