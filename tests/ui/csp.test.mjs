// The app under its Content-Security-Policy (web-ui/csp.txt), served as a header by
// scripts/serve-app.mjs: no inline script in the built page, and the whole app still works
// with no violation reported — loading, a chat through the proxy, the tokenizer's Web
// Worker, and the panic screen's Reload (the crash-trigger build).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { serveApp } from '../../scripts/serve-app.mjs';
import { startBrowser } from '../e2e/support/browser.mjs';
import { startMockProvider } from '../e2e/support/mock-provider.mjs';
import { mockVars, startWorker } from '../e2e/support/worker.mjs';
import { CRASH_DIST, DIST, FerryPage, PROVIDER } from './support/app.mjs';

let mock;
let worker;
let browser;
const sites = [];

/** The app from `dist` behind serve-app.mjs, its config pointing at the test's worker. */
async function serve(dist) {
  const server = await serveApp({
    dir: dist,
    port: 0,
    config: { proxy_url: worker.url, provider: PROVIDER, model: 'mistral-small' },
  });
  sites.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

/** A page that records every CSP violation: the DOM event and Chromium's console report. */
async function watchedPage(url) {
  const page = await browser.page();
  const reported = [];
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) reported.push(message.text());
  });
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`),
    );
  });
  const ferry = new FerryPage(page, url);
  ferry.violations = async () => [...reported, ...(await page.evaluate(() => window.cspViolations))];
  return ferry;
}

before(async () => {
  mock = await startMockProvider();
  worker = await startWorker({ vars: mockVars(mock.url) });
  browser = await startBrowser();
});

after(async () => {
  await browser?.stop();
  await Promise.all(sites.map((s) => new Promise((resolve) => s.close(resolve))));
  await worker?.stop();
  await mock?.close();
});

describe('Content-Security-Policy', () => {
  it('the built pages carry no inline script and no inline event handler', () => {
    for (const dist of [DIST, CRASH_DIST]) {
      const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      assert.ok(scripts.length > 0, `${dist}: the app is started by a script`);
      for (const [, attributes, body] of scripts) {
        assert.match(attributes, /\bsrc=/, `${dist}: a script without src`);
        assert.equal(body.trim(), '', `${dist}: a script with inline code`);
      }
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${dist}: an inline event handler`);
    }
  });

  it('the app is served with the policy as a header: no inline script, wasm allowed, the proxy reachable', async () => {
    const url = await serve(DIST);
    const res = await fetch(`${url}/`);
    await res.arrayBuffer();
    const policy = res.headers.get('content-security-policy');
    assert.ok(policy, 'a Content-Security-Policy header');
    const directives = new Map(
      policy.split(';').map((d) => {
        const [name, ...sources] = d.trim().split(/\s+/);
        return [name, sources];
      }),
    );
    assert.deepEqual(directives.get('script-src'), ["'self'", "'wasm-unsafe-eval'"]);
    assert.deepEqual(directives.get('worker-src'), ["'self'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(directives.get('object-src'), ["'none'"]);
    assert.ok(directives.get('connect-src').includes(new URL(worker.url).origin), 'the proxy in connect-src');
    assert.ok(!policy.includes("'unsafe-inline'") && !policy.includes("'unsafe-eval'"), policy);
  });

  it('connect-src lets the page reach MCP servers on its own machine, in plain http on loopback only', async () => {
    const url = await serve(DIST);
    const res = await fetch(`${url}/`);
    await res.arrayBuffer();
    const connect = res.headers
      .get('content-security-policy')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find(([name]) => name === 'connect-src')
      .slice(1);
    for (const source of ['http://localhost:*', 'http://127.0.0.1:*']) {
      assert.ok(connect.includes(source), `${source} in ${connect.join(' ')}`);
    }
    assert.ok(!connect.includes('http:') && !connect.includes('*'), 'no other plain-http origin');
  });

  it('the app loads and a chat through the proxy works with no violation', async () => {
    const ferry = await watchedPage(await serve(DIST));
    await ferry.open();
    await ferry.configure();
    await ferry.send('Hello under a policy');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    assert.deepEqual(await ferry.violations(), []);
    await ferry.page.close();
  });

  it("the tokenizer's module worker starts and loads its wasm under the policy", async () => {
    const ferry = await watchedPage(await serve(DIST));
    await ferry.open();
    const answer = await ferry.page.evaluate(
      () =>
        new Promise((resolve) => {
          const tokenizer = new Worker('./web-agent-pkg/tokenizer-worker.js', { type: 'module' });
          tokenizer.onerror = (e) => resolve({ failed: String(e.message ?? e) });
          // An unknown op is answered only once the worker's wasm has loaded.
          tokenizer.onmessage = ({ data }) => resolve(data);
          tokenizer.postMessage({ id: 7, op: 'ping' });
        }),
    );
    assert.deepEqual(answer, { id: 7, error: 'unknown op ping' });
    assert.deepEqual(await ferry.violations(), []);
    await ferry.page.close();
  });

  it("the panic screen's Reload works with no inline handler", async () => {
    const ferry = await watchedPage(await serve(CRASH_DIST));
    await ferry.open();
    await ferry.page.evaluate(() => {
      try {
        window.ferryCrash();
      } catch {
        // the panic, as asked
      }
    });
    const reload = ferry.page.getByRole('alert').getByRole('button', { name: 'Reload' });
    await reload.waitFor();
    assert.deepEqual(await ferry.violations(), []);
    await Promise.all([ferry.page.waitForEvent('load'), reload.click()]);
    await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    assert.equal(await ferry.page.getByRole('alert').count(), 0);
    assert.deepEqual(await ferry.violations(), []);
    await ferry.page.close();
  });
});
