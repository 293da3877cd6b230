// The installable app: its manifest and icons, the service worker (scripts/sw.mjs over
// web-ui/sw.js) that holds this build's shell, and a new build: the prompt "A new version is
// ready" with Reload, the running version untouched until then (no file of the new build
// reaches its page), and after Reload the new version alone, in every tab.
//
// The app is served from a copy of the build, so that a test can deploy a new one in place.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { appHeaders } from '../../scripts/app-headers.mjs';
import { serviceWorker } from '../../scripts/sw.mjs';
import { DIST, openApp } from './support/app.mjs';

const copy = mkdtempSync(path.join(os.tmpdir(), 'ferry-pwa-dist-'));
cpSync(DIST, copy, { recursive: true });
// The first visit finds no service worker yet (a deployment from before it), so that what
// the page fetches before one controls it can be seen kept once one does.
renameSync(path.join(copy, 'sw.js'), path.join(copy, 'sw.later.js'));

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ dist: copy }));
});
after(async () => {
  await app?.stop();
  rmSync(copy, { recursive: true, force: true });
});

/** Resolves once a service worker controls the page; the version its cache is named after. */
async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  return page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('ferry-app-')));
}

/** A PNG's width and height, from its IHDR chunk (after checking the signature). */
function pngSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(bytes.subarray(12, 16).toString('ascii'), 'IHDR');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('installable app', () => {
  it('what the browser fetched before the first version controlled the page is kept, from its HTTP cache', async () => {
    const page = ferry.page;
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);
    // The tokenizer, loaded before there is a service worker.
    const answer = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const tokenizer = new Worker('./web-agent-pkg/tokenizer-worker.js', { type: 'module' });
          tokenizer.onmessage = ({ data }) => resolve(data);
          tokenizer.postMessage({ id: 1, op: 'ping' });
        }),
    );
    assert.deepEqual(answer, { id: 1, error: 'unknown op ping' });
    renameSync(path.join(copy, 'sw.later.js'), path.join(copy, 'sw.js'));
    await page.reload();
    await controlled(page);
    await page.waitForFunction(
      async () => {
        const keys = [];
        for (const name of await caches.keys()) keys.push(...(await (await caches.open(name)).keys()).map((r) => r.url));
        return keys.some((k) => k.endsWith('/web-agent-pkg/ferry_tokenizer_o200k_bg.wasm'));
      },
      null,
      { timeout: 20_000, polling: 250 },
    );
    // Taken from the browser's cache: the server was asked for it once, by the first load.
    assert.equal(app.site.requested.filter((p) => p === '/web-agent-pkg/ferry_tokenizer_o200k_bg.wasm').length, 1);
  });

  it('the page names a manifest whose icons are served, of the sizes it says', async () => {
    const html = await (await fetch(`${app.site.url}/`)).text();
    assert.match(html, /<link rel="manifest" href="manifest\.webmanifest"/);
    assert.match(html, /<link rel="icon" href="icons\/icon\.svg"/);
    const res = await fetch(`${app.site.url}/manifest.webmanifest`);
    assert.equal(res.status, 200);
    const manifest = await res.json();
    assert.equal(manifest.name, 'Ferry');
    assert.equal(manifest.start_url, './');
    assert.equal(manifest.display, 'standalone');
    assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/);
    assert.match(manifest.background_color, /^#[0-9a-f]{6}$/);
    const purposes = new Set();
    for (const icon of manifest.icons) {
      const file = await fetch(new URL(icon.src, `${app.site.url}/`));
      assert.equal(file.status, 200, icon.src);
      const bytes = Buffer.from(await file.arrayBuffer());
      if (icon.type === 'image/png') {
        const [w, h] = pngSize(bytes);
        assert.equal(`${w}x${h}`, icon.sizes, icon.src);
      } else {
        assert.equal(icon.type, 'image/svg+xml');
        assert.match(bytes.toString('utf8'), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      }
      purposes.add(icon.purpose);
    }
    assert.ok(purposes.has('maskable') && purposes.has('any'), [...purposes].join());
    assert.ok(manifest.icons.some((i) => i.sizes === '192x192') && manifest.icons.some((i) => i.sizes === '512x512'));
    // Chromium reads it as installable: no manifest errors.
    const cdp = await ferry.page.context().newCDPSession(ferry.page);
    const { errors } = await cdp.send('Page.getAppManifest');
    assert.deepEqual(errors, []);
  });

  it('the service worker controls the page and holds this build shell in its version cache', async () => {
    const { build } = serviceWorker(copy);
    assert.deepEqual(await controlled(ferry.page), [`ferry-app-${build.version}`]);
    const cached = await ferry.page.evaluate(async (name) => {
      const cache = await caches.open(name);
      return (await cache.keys()).map((r) => new URL(r.url).pathname.slice(1));
    }, `ferry-app-${build.version}`);
    for (const file of build.precache) {
      assert.ok(cached.includes(file === 'index.html' ? '' : file), `${file} precached`);
    }
    for (const file of ['index.html', 'start.js', 'web-agent-pkg/web_agent_bg.wasm', 'manifest.webmanifest']) {
      assert.ok(build.precache.includes(file), file);
    }
    assert.ok(build.precache.some((f) => /^web-ui-[0-9a-f]+_bg\.wasm$/.test(f)), 'the app wasm');
    // Fetched on first need, not with the shell.
    for (const file of ['web-agent-pkg/ferry_tokenizer_o200k_bg.wasm', 'web-agent-pkg/pdf/pdf.min.mjs']) {
      assert.ok(!build.precache.includes(file), file);
      assert.ok(build.files[file], file);
    }
    // sw.js is revalidated on every check when deployed.
    assert.match(appHeaders(['sw.js', 'index.html']), /\/sw\.js\n {2}Cache-Control: no-cache\n/);
  });

  it('a new build: "A new version is ready", the running version untouched, Reload brings the new one alone', async () => {
    const page = ferry.page;
    const before = serviceWorker(copy).build.version;
    await controlled(page);
    // The new build: another page, another OAuth callback script (never loaded so far).
    const html = readFileSync(path.join(copy, 'index.html'), 'utf8');
    writeFileSync(path.join(copy, 'index.html'), html.replace('<title>Ferry</title>', '<title>Ferry</title><meta name="ferry-build" content="2" />'));
    writeFileSync(path.join(copy, 'mcp-oauth.js'), `${readFileSync(path.join(copy, 'mcp-oauth.js'), 'utf8')}\n// build 2\n`);
    const next = serviceWorker(copy);
    assert.notEqual(next.build.version, before);
    writeFileSync(path.join(copy, 'sw.js'), next.text);

    // The running version never takes the new build's file: refused, not mixed.
    const refused = await page.evaluate(async () => {
      const res = await fetch('mcp-oauth.js');
      return { status: res.status, text: await res.text() };
    });
    assert.equal(refused.status, 503);
    assert.doesNotMatch(refused.text, /build 2/);

    // The visit looks for a new version; the page is still the running one.
    await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    const prompt = page.getByRole('status').filter({ hasText: 'A new version is ready.' });
    await prompt.waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('meta[name="ferry-build"]').count(), 0, 'the old page until Reload');
    assert.deepEqual(
      await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('ferry-app-')).sort()),
      [`ferry-app-${before}`, `ferry-app-${next.build.version}`].sort(),
    );
    await ferry.screenshot('update-prompt');

    await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload', exact: true }).click()]);
    await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    assert.equal(await page.locator('meta[name="ferry-build"]').count(), 1, 'the new page');
    assert.equal(await page.getByRole('status').filter({ hasText: 'A new version is ready.' }).count(), 0);
    assert.deepEqual(await controlled(page), [`ferry-app-${next.build.version}`], 'the old version deleted');
    const oauth = await page.evaluate(async () => (await fetch('mcp-oauth.js')).text());
    assert.match(oauth, /build 2/);
  });

  it("Reload in one tab brings the other tabs to the new version too", async () => {
    const other = await app.page();
    await other.open();
    await controlled(other.page);
    const html = readFileSync(path.join(copy, 'index.html'), 'utf8');
    writeFileSync(path.join(copy, 'index.html'), html.replace('content="2"', 'content="3"'));
    writeFileSync(path.join(copy, 'sw.js'), serviceWorker(copy).text);
    await ferry.page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    const prompt = (page) => page.getByRole('status').filter({ hasText: 'A new version is ready.' });
    await prompt(ferry.page).waitFor({ timeout: 30_000 });
    await prompt(other.page).waitFor({ timeout: 30_000 });
    await Promise.all([
      ferry.page.waitForEvent('load'),
      other.page.waitForEvent('load'),
      prompt(ferry.page).getByRole('button', { name: 'Reload', exact: true }).click(),
    ]);
    for (const page of [ferry.page, other.page]) {
      await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
      assert.equal(await page.locator('meta[name="ferry-build"]').getAttribute('content'), '3');
    }
    await other.page.close();
  });
});
