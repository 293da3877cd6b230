// The two loopback file servers (scripts/serve-app.mjs, which serves the built app under its
// Content-Security-Policy, and the tests' startStatic) answer a file through one sendFile:
// one path-traversal guard and one table of content types.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { serveApp } from '../../scripts/serve-app.mjs';
import { startStatic } from './support/browser.mjs';

let parent;
let root;
let app;
let site;
const servers = () => [
  ['serve-app', `http://127.0.0.1:${app.address().port}`, ''],
  ['startStatic', site.url, '/app'],
];

/** GET of a raw path (sent as written: neither normalised nor re-encoded). */
function get(base, rawPath) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });
}

before(async () => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'ferry-static-'));
  writeFileSync(path.join(parent, 'secret.txt'), 'outside the root');
  root = path.join(parent, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<p>home</p>');
  writeFileSync(path.join(root, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(path.join(root, 'style.css'), 'p {}');
  writeFileSync(path.join(root, 'logo.png'), 'png');
  writeFileSync(path.join(root, 'a b.js'), 'export {};');
  writeFileSync(path.join(root, 'reader.mjs'), 'export {};');
  app = await serveApp({ dir: root, port: 0, config: {} });
  site = await startStatic({ mounts: { '/app/': root } });
});

after(async () => {
  await new Promise((r) => app?.close(r));
  await site?.stop();
  rmSync(parent, { recursive: true, force: true });
});

describe('static files', () => {
  it('no path reaches a file out of the root, encoded or not, on either server', async () => {
    for (const [name, base, prefix] of servers()) {
      for (const raw of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/sub/..%2f..%2fsecret.txt']) {
        const answer = await get(base, `${prefix}${raw}`);
        assert.ok([403, 404].includes(answer.status), `${name} ${raw}: ${answer.status}`);
        assert.doesNotMatch(answer.body, /outside the root/, `${name} ${raw}`);
      }
      assert.equal((await get(base, `${prefix}/%E0%A4%A`)).status, 400, `${name}: a path that does not decode`);
    }
  });

  it('both servers answer files with the same content types and index pages', async () => {
    for (const [name, base, prefix] of servers()) {
      const page = await get(base, `${prefix}/`);
      assert.deepEqual([page.status, page.type, page.body], [200, 'text/html; charset=utf-8', '<p>home</p>'], name);
      assert.equal((await get(base, `${prefix}/sub/`)).body, '<p>sub</p>', name);
      assert.equal((await get(base, `${prefix}/style.css`)).type, 'text/css', name);
      assert.equal((await get(base, `${prefix}/logo.png`)).type, 'image/png', name);
      const encoded = await get(base, `${prefix}/a%20b.js`);
      assert.deepEqual([encoded.status, encoded.type], [200, 'text/javascript'], name);
      // pdf.js's module and worker: a module script needs a JavaScript type.
      assert.equal((await get(base, `${prefix}/reader.mjs`)).type, 'text/javascript', name);
      assert.equal((await get(base, `${prefix}/missing.js`)).status, 404, name);
    }
  });
});
