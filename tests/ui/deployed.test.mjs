// The app as deployed: served by the proxy's own Worker (Workers Static Assets, wrangler.toml's
// [assets]) under `wrangler dev`, from the same config the deploy uses minus its build step.
// One origin: the app's ferry-config.json comes from the Worker's variables, the app takes its
// own origin as the proxy, and a chat needs no CORS (ALLOWED_ORIGINS empty). The headers a
// deployment needs: the CSP of web-ui/csp.txt, immutable caching for hashed files only, no
// caching for the page and the config, the MIME types of wasm and the module worker.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, test } from 'node:test';

import { isHashed } from '../../scripts/app-headers.mjs';
import { contentSecurityPolicy } from '../../scripts/serve-app.mjs';
import { startBrowser } from '../e2e/support/browser.mjs';
import { startMockProvider } from '../e2e/support/mock-provider.mjs';
import { mockVars, startWorker } from '../e2e/support/worker.mjs';
import { DIST, FerryPage, KEY, PROVIDER } from './support/app.mjs';

let mock;
let worker;
let browser;

before(async () => {
  mock = await startMockProvider();
  worker = await startWorker({
    vars: {
      ...mockVars(mock.url),
      // Same origin: no browser origin is allowed, and none needs to be.
      ALLOWED_ORIGINS: '',
      DEFAULT_PROVIDER: PROVIDER,
      DEFAULT_MODEL: 'mistral-small',
    },
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.stop();
  await worker?.stop();
  await mock?.close();
});

async function head(pathname) {
  const res = await fetch(`${worker.url}${pathname}`);
  await res.arrayBuffer();
  return res;
}

/** The hashed files the built page names: trunk's `web-ui-<hash>.js` and its `_bg.wasm`. */
function hashedFiles() {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const js = html.match(/web-ui-[0-9a-f]{8,16}\.js/)?.[0];
  const wasm = html.match(/web-ui-[0-9a-f]{8,16}_bg\.wasm/)?.[0];
  assert.ok(js && wasm, 'the built page names its hashed script and wasm');
  return { js, wasm };
}

describe('the app served by the Worker, as deployed', () => {
  it('ferry-config.json comes from the variables, uncached, with no proxy_url', async () => {
    const res = await fetch(`${worker.url}/ferry-config.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      auth_mode: 'none',
      provider: PROVIDER,
      model: 'mistral-small',
      max_body_bytes: 131_072,
      max_media_body_bytes: 3_145_728,
    });
  });

  it("the proxy's routes keep priority; other paths are the app's files", async () => {
    const health = await head('/health');
    assert.match(health.headers.get('content-type'), /^application\/json/);
    const missing = await fetch(`${worker.url}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'not_found');
    // The build's own files never reach a browser.
    for (const file of ['/_headers', '/.assetsignore']) assert.equal((await head(file)).status, 404, file);
    const page = await head('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
  });

  it('headers: the policy everywhere, the page uncached, hashed files immutable, the rest revalidated', async () => {
    const { js, wasm } = hashedFiles();
    const page = await head('/');
    assert.equal(page.headers.get('content-security-policy'), contentSecurityPolicy({}));
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.match(page.headers.get('cache-control'), /no-cache|no-store/);

    for (const file of [js, wasm]) {
      const res = await head(`/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('cache-control'), /\bimmutable\b/, file);
      assert.match(res.headers.get('cache-control'), /max-age=31536000/, file);
      assert.equal(res.headers.get('content-security-policy'), contentSecurityPolicy({}), file);
    }
    assert.equal((await head(`/${wasm}`)).headers.get('content-type'), 'application/wasm');
    assert.match((await head(`/${js}`)).headers.get('content-type'), /^(text|application)\/javascript/);

    // The agent module's names carry no hash: never cached as immutable.
    const tokenizer = await head('/web-agent-pkg/tokenizer-worker.js');
    assert.equal(tokenizer.status, 200);
    assert.match(tokenizer.headers.get('content-type'), /^(text|application)\/javascript/);
    // pdf.js, imported as a module on the first PDF, and its module worker.
    for (const file of ['/web-agent-pkg/pdf/pdf.min.mjs', '/web-agent-pkg/pdf/pdf.worker.min.mjs']) {
      const res = await head(file);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type'), /^(text|application)\/javascript/, file);
    }
    for (const file of ['/web-agent-pkg/tokenizer-worker.js', '/web-agent-pkg/web_agent_bg.wasm', '/start.js']) {
      const res = await head(file);
      assert.equal(res.status, 200, file);
      assert.doesNotMatch(res.headers.get('cache-control') ?? '', /immutable/, file);
    }
    assert.equal((await head('/web-agent-pkg/web_agent_bg.wasm')).headers.get('content-type'), 'application/wasm');
  });

  it('loads, opens Settings with the config, chats through its own origin, and survives a reload', async () => {
    const page = await browser.page();
    const requested = [];
    page.on('request', (req) => requested.push(req.url()));
    const chatAnswers = [];
    page.on('response', (res) => {
      if (/\/chat\/completions$/.test(res.url())) chatAnswers.push(res.headers());
    });
    const violations = [];
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
    });
    const ferry = new FerryPage(page, worker.url);
    await ferry.open();

    // A first visit without a key opens Settings by itself.
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    if (!(await dialog.isVisible())) await ferry.button('Settings').click();
    assert.equal(await dialog.getByRole('combobox', { name: 'Provider' }).inputValue(), PROVIDER);
    assert.equal(await dialog.getByRole('combobox', { name: 'Model' }).inputValue(), 'mistral-small');
    assert.equal(await dialog.getByLabel('Proxy URL').inputValue(), worker.url);
    await ferry.configure();

    await ferry.send('Hello from one origin');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    const call = mock.requests.findLast((r) => r.path === '/openai/v1/chat/completions');
    assert.equal(call?.headers.authorization, `Bearer ${KEY}`);
    const chat = requested.filter((u) => /\/v1\/(proxy\/)?chat\/completions$/.test(u));
    assert.ok(chat.length > 0 && chat.every((u) => u.startsWith(`${worker.url}/`)), chat.join(', '));
    // Answered without any CORS grant: the page and the proxy are one origin.
    assert.ok(chatAnswers.length > 0);
    for (const headers of chatAnswers) assert.equal(headers['access-control-allow-origin'], undefined);
    assert.deepEqual(
      requested.filter((u) => !u.startsWith(`${worker.url}/`) && !u.startsWith('data:')),
      [],
      'every request of the page stays on its origin',
    );

    await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    await ferry.questions.getByText('Hello from one origin').waitFor();
    assert.match(await ferry.answers.last().innerText(), /Hello from openai!/);
    assert.deepEqual(violations, []);
    await page.close();
  });
});

test("trunk's hashes count as hashed at any length, names without one do not", () => {
  // A 64-bit hash in hex drops its leading zeros: one build in sixteen has 15 digits.
  for (const file of ['web-ui-f5343522a85c157.js', 'web-ui-f5343522a85c157_bg.wasm', 'web-ui-0154c858ed6dca19.js',
    'style-9c2d4520913ba987.css', 'snippets/web-ui-0154c858ed6dca19/inline0.js']) {
    assert.ok(isHashed(file), file);
  }
  for (const file of ['index.html', 'start.js', 'web-agent-pkg/web_agent.js', 'web-agent-pkg/web_agent_bg.wasm',
    'web-agent-pkg/tokenizer-worker.js', 'web-agent-pkg/ferry_tokenizer_o200k_bg.wasm', 'web-agent-pkg/ferry_tokenizer_cl100k_bg.wasm']) {
    assert.ok(!isHashed(file), file);
  }
});
