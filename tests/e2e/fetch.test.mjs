// POST /v1/proxy/fetch: a page reduced to readable text, at most 1 MB, redirects followed;
// and the SSRF guard: loopback, private, link-local and metadata addresses refused (also
// names that resolve to them) unless FETCH_ALLOW_PRIVATE=true. The pages are served on
// loopback; names are resolved by a loopback DNS-over-HTTPS stand-in, so no test ever
// reaches past this machine.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { assertError, post } from './support/stack.mjs';
import { startMockProvider } from './support/mock-provider.mjs';
import { mockVars, startWorker } from './support/worker.mjs';
import { startPrivateDns } from './support/doh.mjs';

const hits = [];
const pages = http.createServer((req, res) => {
  hits.push(req.url);
  const html = (body) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  switch (req.url) {
    case '/article':
      return html('<html><head><title>Ferry</title><script>track()</script></head><body><h1>Hello</h1><p>Bring your own key &amp; chat.</p></body></html>');
    case '/moved':
      return res.writeHead(302, { location: '/article' }).end();
    case '/missing':
      return res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
    case '/big':
      return res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2 * 1024 * 1024));
    case '/image':
      return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    case '/loop':
      return res.writeHead(302, { location: '/loop' }).end();
    default:
      return res.writeHead(404).end();
  }
});

// Every name resolves to a private address (support/doh.mjs).
let dns;
let mock;
let open;
let guarded;
let base;
before(async () => {
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  dns = await startPrivateDns();
  base = `http://127.0.0.1:${pages.address().port}`;
  mock = await startMockProvider();
  const vars = { ...mockVars(mock.url), FETCH_DOH_URL: dns.url };
  [open, guarded] = await Promise.all([
    startWorker({ vars: { ...vars, FETCH_ALLOW_PRIVATE: 'true' } }),
    startWorker({ vars }),
  ]);
});
after(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
  await mock?.close();
  pages.close();
  await dns?.stop();
});

const fetchPage = (worker, url) => post(worker.url, '/v1/proxy/fetch', { url });

describe('web fetch (FETCH_ALLOW_PRIVATE=true, local testing)', () => {
  it('reduces a page to readable text', async () => {
    const res = await fetchPage(open, `${base}/article`);
    assert.equal(res.status, 200);
    const page = await res.json();
    assert.equal(page.url, `${base}/article`);
    assert.equal(page.status, 200);
    assert.match(page.content_type, /^text\/html/);
    assert.equal(page.text, 'Ferry\n\nHello\n\nBring your own key & chat.');
  });

  it('reads a host written in Unicode as the WHATWG URL standard does', async () => {
    // Full-width digits: IDNA maps them to 127.0.0.1.
    const res = await fetchPage(open, `http://１２７.０.０.１:${pages.address().port}/article`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).url, `${base}/article`);
  });

  it('follows redirects and reports where it landed; a 404 page is still an answer', async () => {
    const moved = await (await fetchPage(open, `${base}/moved`)).json();
    assert.equal(moved.url, `${base}/article`);
    const missing = await (await fetchPage(open, `${base}/missing`)).json();
    assert.equal(missing.status, 404);
    assert.equal(missing.text, 'no such page');
  });

  it('reads at most 1 MB', async () => {
    const page = await (await fetchPage(open, `${base}/big`)).json();
    assert.equal(page.text.length, 1024 * 1024);
  });

  it('refuses what is not text, redirect loops and what is not http(s)', async () => {
    await assertError(await fetchPage(open, `${base}/image`), 400, 'invalid_request');
    await assertError(await fetchPage(open, `${base}/loop`), 502, 'upstream_error');
    await assertError(await fetchPage(open, 'file:///etc/passwd'), 400, 'invalid_request');
    await assertError(await post(open.url, '/v1/proxy/fetch', { nope: 1 }), 400, 'invalid_request');
  });
});

describe('the SSRF guard (the default)', () => {
  it('refuses loopback, private, link-local and metadata addresses, fetching nothing', async () => {
    hits.length = 0;
    for (const url of [
      `${base}/article`,
      `http://localhost:${pages.address().port}/article`,
      `http://2130706433:${pages.address().port}/article`,
      `http://0x7f.1:${pages.address().port}/article`,
      `http://0177.0.0.01:${pages.address().port}/article`,
      `http://%31%32%37.0.0.1:${pages.address().port}/article`,
      `http://[::ffff:127.0.0.1]:${pages.address().port}/article`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://metadata.google.internal/',
    ]) {
      await assertError(await fetchPage(guarded, url), 400, 'invalid_request');
    }
    assert.deepEqual(hits, []);
  });

  it('refuses names that resolve to private addresses, or do not resolve', async () => {
    await assertError(await fetchPage(guarded, 'https://intranet.example/'), 400, 'invalid_request');
    await assertError(await fetchPage(guarded, 'https://nowhere.example/'), 400, 'invalid_request');
  });

  it('resolves and checks a name in Unicode by its ASCII form', async () => {
    dns.asked.length = 0;
    const error = await assertError(await fetchPage(guarded, 'https://Bücher.example/'), 400, 'invalid_request');
    assert.match(error.message, /xn--bcher-kva\.example/);
    assert.deepEqual(new Set(dns.asked), new Set(['xn--bcher-kva.example']));
  });
});
