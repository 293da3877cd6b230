// The local runtime as scripts/run.sh starts it (scripts/dev-worker.mjs, same flags): the
// worker cannot be used by a web page to read this machine or its network. Its outbound
// network allows public addresses only, so even with the web-fetch guard switched off
// (FETCH_ALLOW_PRIVATE=true) a fetch of a loopback page is refused by the runtime itself;
// the app is served on the worker's own origin, as deployed, and needs no CORS; with
// `--app-port` (an app served elsewhere) CORS answers that app's origin only.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ROOT, freePort } from './support/worker.mjs';

const SECRET = 'router admin page: do not leak';
const hits = [];
const lan = http.createServer((req, res) => {
  hits.push(req.url);
  res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><p>${SECRET}</p></body></html>`);
});

let worker;
let appPort;
let log = '';

/**
 * `node scripts/dev-worker.mjs` with the flags scripts/run.sh passes, plus `extra`; with
 * `separateApp`, also `--app-port` (a free port, kept in `appPort`); with `runScript`,
 * scripts/run.sh itself.
 */
async function startLocalWorker(extra, { separateApp = true, runScript = false } = {}) {
  const port = await freePort();
  if (separateApp) appPort = await freePort();
  const env = { ...process.env, NO_COLOR: '1', PORT: String(port) };
  const [command, args] = runScript
    ? ['bash', [path.join(ROOT, 'scripts', 'run.sh'), ...extra]]
    : [
        process.execPath,
        [
          path.join(ROOT, 'scripts', 'dev-worker.mjs'),
          '--config', 'target/wrangler.local.toml', '--ip', '127.0.0.1',
          '--port', String(port),
          ...(separateApp ? ['--app-port', String(appPort)] : []),
          ...extra,
        ],
      ];
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.on('data', (t) => (log += t));
  child.stderr.on('data', (t) => (log += t));
  let exited = false;
  const gone = new Promise((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => !exited && process.kill(-child.pid, 'SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`dev-worker exited before answering\n${log}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dev-worker did not answer /health in 60 s\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, stop };
}

before(async () => {
  await new Promise((resolve) => lan.listen(0, '127.0.0.1', resolve));
  worker = await startLocalWorker(['--var', 'FETCH_ALLOW_PRIVATE:true']);
});

after(async () => {
  await worker?.stop();
  lan.close();
});

async function fetchThrough(url) {
  const res = await fetch(`${worker.url}/v1/proxy/fetch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${appPort}` },
    body: JSON.stringify({ url }),
  });
  return { status: res.status, text: await res.text() };
}

describe('the local runtime (scripts/run.sh)', () => {
  it('refuses to fetch a loopback page even with FETCH_ALLOW_PRIVATE=true', async () => {
    const port = lan.address().port;
    for (const url of [`http://127.0.0.1:${port}/router`, `http://localhost:${port}/router`]) {
      const answer = await fetchThrough(url);
      assert.notEqual(answer.status, 200, `${url}: ${answer.text}`);
      assert.ok(!answer.text.includes(SECRET), `${url} leaked: ${answer.text}`);
      assert.match(answer.text, /"error"/, 'a contract error, not a page');
    }
    assert.deepEqual(hits, [], 'the loopback server was never reached');
    // The guard was off: the refusal is workerd's own network allow list (kj's restrictPeers).
    assert.match(log, /blocked by restrictPeers/);
  });

  it("CORS answers the app's own origin, on 127.0.0.1 and localhost", async () => {
    for (const origin of [`http://127.0.0.1:${appPort}`, `http://localhost:${appPort}`]) {
      const res = await fetch(`${worker.url}/health`, { headers: { origin } });
      await res.arrayBuffer();
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
    }
  });

  it('CORS answers no other origin: a page elsewhere cannot read the answers', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:1', `http://127.0.0.1.evil.example:${appPort}`]) {
      const res = await fetch(`${worker.url}/health`, { headers: { origin } });
      await res.arrayBuffer();
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);

      const preflight = await fetch(`${worker.url}/v1/proxy/fetch`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      await preflight.arrayBuffer();
      assert.equal(preflight.headers.get('access-control-allow-origin'), null, `preflight from ${origin}`);
    }
  });
});

describe('scripts/run.sh: the app and the proxy on one origin', () => {
  let local;
  before(async () => {
    local = await startLocalWorker([], { separateApp: false });
  });
  after(() => local?.stop());

  it('serves the app with its policy, its config from the variables, and no CORS for anyone', async () => {
    const page = await fetch(`${local.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Ferry<\/title>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
    const config = await fetch(`${local.url}/ferry-config.json`);
    const body = await config.json();
    assert.equal(body.auth_mode, 'none');
    assert.equal(body.proxy_url, undefined, 'the app takes its own origin');
    for (const origin of [new URL(local.url).origin, 'https://evil.example']) {
      const res = await fetch(`${local.url}/health`, { headers: { origin } });
      await res.arrayBuffer();
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
    }
  });
});

describe('scripts/run.sh: an unchanged tree starts without building', () => {
  /** Whether scripts/stale.sh, given `stamp`, says the worker and the app need building. */
  const stale = (stamp) => {
    const { status, stderr } = spawnSync('bash', [path.join(ROOT, 'scripts', 'stale.sh'), stamp], { cwd: ROOT });
    assert.ok(status === 0 || status === 1, stderr.toString());
    return status === 0;
  };

  it('builds again only when a source is newer than the last build, or nothing was built', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-stamp-'));
    try {
      const stamp = path.join(dir, 'stamp');
      assert.equal(stale(stamp), true, 'never built here');
      writeFileSync(stamp, '');
      assert.equal(stale(stamp), false, 'built after every source');
      const longAgo = new Date('2001-01-01T00:00:00Z');
      utimesSync(stamp, longAgo, longAgo);
      assert.equal(stale(stamp), true, 'sources changed since');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves what is built, with no build step, when no source changed', async () => {
    // The suite built the worker and the app from these sources just before.
    writeFileSync(path.join(ROOT, 'target', 'run-built.stamp'), '');
    log = '';
    const local = await startLocalWorker([], { separateApp: false, runScript: true });
    try {
      assert.match(log, /no source changed since the last build; serving it/);
      assert.doesNotMatch(log, /Compiling|worker-build|trunk/);
      const page = await fetch(`${local.url}/`);
      assert.equal(page.status, 200);
      await page.arrayBuffer();
    } finally {
      await local.stop();
    }
  });
});
