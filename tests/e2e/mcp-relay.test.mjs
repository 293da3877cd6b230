// POST|GET|DELETE /v1/proxy/mcp: the MCP relay, driven by the official TypeScript SDK's
// client (`Client` + `StreamableHTTPClientTransport`) against the official reference server
// (server-everything), with a recording front between the worker and the server to see
// exactly what reached it. Unbuffered streaming (progress before the result), the server's
// GET stream, DELETE; only MCP headers crossing, the MCP token reaching the server as
// Authorization and nowhere else; the web-fetch SSRF guard's cases refused, redirects
// refused; the kill switch; sign-in in supabase mode; CORS.

import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { startEverything, startFront, startOAuthDemo } from './support/mcp-servers.mjs';
import { startBrowser, startStatic } from './support/browser.mjs';
import { assertError } from './support/stack.mjs';
import { hs256 } from './support/tokens.mjs';
import { claims } from './support/tokens.mjs';
import { startWorker } from './support/worker.mjs';
import { startPrivateDns } from './support/doh.mjs';

/** The MCP server's token: distinctive, so a leak is findable. */
const MCP_TOKEN = 'mcp-SECRET-token-7f3a9c';
const SECRET = 'test-jwt-secret-with-at-least-32-characters!';
const SUPABASE_URL = 'http://127.0.0.1:9';
const PATH = '/v1/proxy/mcp';
const COMMON = { ALLOWED_ORIGINS: '*', RATE_LIMIT_PER_MINUTE: '100000' };
/** The open worker's STREAM_TIMEOUT_SECS: every relayed stream ends by then. */
const STREAM_TIMEOUT_SECS = 4;

// A server that redirects every request to the front: the relay must not follow it.
const redirector = http.createServer((req, res) => {
  req.resume();
  res.writeHead(307, { location: front.url }).end();
});

// Every name resolves to a private address (support/doh.mjs).
let dns;
let everything;
let front;
let oauth; // the SDK's demo server behind OAuth
let open; // FETCH_ALLOW_PRIVATE=true (the servers are on loopback), AUTH_MODE=none
let guarded; // the default guard, AUTH_MODE=supabase
let killed; // PROXY_DISABLE_MCP=true
before(async () => {
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  dns = await startPrivateDns();
  [everything, oauth] = await Promise.all([startEverything(), startOAuthDemo()]);
  front = await startFront(everything.url, { cors: false });
  [open, guarded, killed] = await Promise.all([
    startWorker({
      vars: { ...COMMON, AUTH_MODE: 'none', FETCH_ALLOW_PRIVATE: 'true', STREAM_TIMEOUT_SECS: String(STREAM_TIMEOUT_SECS) },
    }),
    startWorker({
      vars: {
        ...COMMON,
        AUTH_MODE: 'supabase',
        SUPABASE_URL,
        SUPABASE_JWT_SECRET: SECRET,
        FETCH_DOH_URL: dns.url,
      },
    }),
    startWorker({ vars: { ...COMMON, AUTH_MODE: 'none', FETCH_ALLOW_PRIVATE: 'true', PROXY_DISABLE_MCP: 'true' } }),
  ]);
});
after(async () => {
  await Promise.all([open?.stop(), guarded?.stop(), killed?.stop()]);
  await front?.stop();
  await everything?.stop();
  await oauth?.stop();
  redirector.close();
  await dns?.stop();
});

/**
 * An SDK client connected through `worker`'s relay to `target`. Every response the
 * transport got is kept (`answers`: method, status, headers, and the body as far as read).
 */
async function connect(worker, { target = front.url, headers = {} } = {}) {
  const answers = [];
  const recordingFetch = async (url, init) => {
    const res = await fetch(url, init);
    const answer = { method: init?.method ?? 'GET', status: res.status, headers: Object.fromEntries(res.headers), text: '' };
    answers.push(answer);
    if (res.body) {
      const copy = res.clone();
      (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of copy.body) answer.text += decoder.decode(chunk, { stream: true });
        } catch {
          // the stream was cut (client closed): what was read stays
        }
      })();
    }
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(`${worker.url}${PATH}`), {
    requestInit: { headers: { 'X-MCP-Server': target, ...headers } },
    fetch: recordingFetch,
  });
  const client = new Client({ name: 'ferry-relay-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, answers };
}

/** A raw request to the relay. */
function relay(worker, { method = 'POST', target = front.url, headers = {}, body } = {}) {
  return fetch(`${worker.url}${PATH}`, {
    method,
    headers: {
      ...(target === null ? {} : { 'X-MCP-Server': target }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

const userToken = () => hs256(SECRET, claims(SUPABASE_URL));

describe('the SDK client through the relay to server-everything', () => {
  it('initializes, lists tools and calls echo; every answer is marked relayed', async () => {
    front.clear();
    const { client, answers } = await connect(open);
    try {
      const info = client.getServerVersion();
      assert.equal(info.name, 'mcp-servers/everything');
      assert.equal(info.version, '2.0.0');
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const name of ['echo', 'get-sum', 'trigger-long-running-operation']) assert.ok(names.includes(name), names.join());
      const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello through the relay' } });
      assert.deepEqual(echoed.content, [{ type: 'text', text: 'Echo: hello through the relay' }]);
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
      assert.match(sum.content[0].text, /42/);
      assert.ok(answers.length >= 4);
      for (const answer of answers) assert.equal(answer.headers['x-mcp-relayed'], 'true', JSON.stringify(answer));
      // The session id came back through the relay and went on again.
      const sessionId = answers[0].headers['mcp-session-id'];
      assert.ok(sessionId);
      const calls = front.requests.filter((r) => r.body?.method === 'tools/call');
      assert.equal(calls.length, 2);
      for (const call of calls) {
        assert.equal(call.headers['mcp-session-id'], sessionId);
        assert.equal(call.headers['mcp-protocol-version'], '2025-11-25');
      }
    } finally {
      await client.close();
    }
  });

  it('streams unbuffered: progress notifications arrive long before the result', async () => {
    const { client } = await connect(open);
    try {
      const started = performance.now();
      const progress = [];
      const result = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 4 } },
        undefined,
        { onprogress: (p) => progress.push({ ...p, at: performance.now() - started }), timeout: 20_000 },
      );
      const ended = performance.now() - started;
      assert.match(result.content[0].text, /Long running operation completed/);
      assert.deepEqual(
        progress.map((p) => [p.progress, p.total]),
        [
          [1, 4],
          [2, 4],
          [3, 4],
          [4, 4],
        ],
      );
      // Steps are 500 ms apart at the server: buffered, they would all arrive with the end.
      assert.ok(progress[0].at < ended - 1_000, `first progress at ${progress[0].at} ms, result at ${ended} ms`);
      assert.ok(progress[2].at - progress[0].at > 700, JSON.stringify(progress));
    } finally {
      await client.close();
    }
  });

  it('keeps the server’s GET stream open: a notification sent on it arrives', async () => {
    front.clear();
    const { client } = await connect(open);
    try {
      const logged = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logged.push(n.params));
      // The SDK opens the GET stream right after initialization.
      const deadline = Date.now() + 5_000;
      while (!front.requests.some((r) => r.method === 'GET' && r.status === 200) && Date.now() < deadline) await sleep(20);
      const get = front.requests.find((r) => r.method === 'GET');
      assert.equal(get?.status, 200);
      assert.match(get.headers.accept, /text\/event-stream/);
      assert.ok(get.headers['mcp-session-id']);
      // The tool sends one log message at once on the GET stream (no related request).
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      const until = Date.now() + 5_000;
      while (logged.length === 0 && Date.now() < until) await sleep(20);
      assert.ok(logged.length >= 1, 'no notifications/message on the GET stream');
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    } finally {
      await client.close();
    }
  });

  it('DELETE ends the session at the server', async () => {
    front.clear();
    const { client, transport } = await connect(open);
    const sessionId = transport.sessionId;
    await transport.terminateSession();
    const deleted = front.requests.find((r) => r.method === 'DELETE');
    assert.equal(deleted?.status, 200);
    assert.equal(deleted.headers['mcp-session-id'], sessionId);
    // The session is gone at the server: a message in it is refused, relayed as it is.
    const res = await relay(open, {
      headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: { jsonrpc: '2.0', id: 9, method: 'tools/list' },
    });
    assert.ok(res.status >= 400 && res.status < 500, String(res.status));
    assert.equal(res.headers.get('x-mcp-relayed'), 'true');
    await res.text();
    await client.close();
  });
});

describe('the relayed stream’s lifetime', () => {
  it('a caller that goes away ends the stream at the server (at its next event); a stream ends at STREAM_TIMEOUT_SECS', async () => {
    front.clear();
    const init = await relay(open, { body: INITIALIZE });
    const session = init.headers.get('mcp-session-id');
    await init.text();
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const initialized = await relay(open, { headers, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
    assert.equal(initialized.status, 202);
    await initialized.text();

    const leaving = new AbortController();
    const get = await fetch(`${open.url}${PATH}`, {
      headers: { 'X-MCP-Server': front.url, accept: 'text/event-stream', ...headers },
      signal: leaving.signal,
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('x-mcp-relayed'), 'true');
    assert.equal(get.headers.get('content-type'), 'text/event-stream');
    leaving.abort();
    // The runtime notices a caller gone when it next writes to it: the server's next event on
    // that stream (a log message, sent at once by this tool) is where the relay lets go.
    await sleep(200);
    const toggled = await relay(open, { headers, body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'toggle-simulated-logging', arguments: {} } } });
    assert.equal(toggled.status, 200);
    await toggled.text();
    const atServer = () => front.requests.find((r) => r.method === 'GET');
    const deadline = Date.now() + 5_000;
    while (atServer()?.closedAt == null && Date.now() < deadline) await sleep(20);
    assert.ok(atServer()?.closedAt != null, 'the server’s stream stayed open after the caller left');

    await sleep(200);
    const started = performance.now();
    const held = await relay(open, { method: 'GET', headers });
    assert.equal(held.status, 200);
    await held.text(); // the server never ends its GET stream: the relay does
    const lasted = (performance.now() - started) / 1000;
    assert.ok(lasted > STREAM_TIMEOUT_SECS - 1 && lasted < STREAM_TIMEOUT_SECS + 4, `the stream lasted ${lasted} s`);
    const end = await relay(open, { method: 'DELETE', headers });
    assert.equal(end.status, 200);
    await end.text();
  });
});

describe('what crosses the relay', () => {
  it('only MCP headers reach the server; the MCP token arrives as Authorization', async () => {
    front.clear();
    const { client, answers } = await connect(open, {
      headers: {
        'X-MCP-Authorization': `Bearer ${MCP_TOKEN}`,
        Authorization: 'Bearer the-callers-own-sign-in',
        Cookie: 'session=secret-cookie',
        'X-Provider-Key': 'sk-provider-key',
        'X-Forwarded-For': '203.0.113.9',
      },
    });
    try {
      await client.callTool({ name: 'echo', arguments: { message: 'who am i' } });
    } finally {
      await client.close();
    }
    assert.ok(front.requests.length >= 3);
    const allowed = new Set([
      'content-type',
      'accept',
      'mcp-session-id',
      'mcp-protocol-version',
      'last-event-id',
      'authorization',
      // what any HTTP client adds on its own
      'host',
      'content-length',
      'transfer-encoding',
      'connection',
      'accept-encoding',
      'user-agent',
      'cf-connecting-ip',
      'cf-worker', // Cloudflare names the calling zone on every subrequest
      'cf-ray',
      'cf-visitor',
      'cf-ew-via',
      'cdn-loop',
      'x-forwarded-proto',
      'x-real-ip',
    ]);
    for (const request of front.requests) {
      assert.equal(request.headers.authorization, `Bearer ${MCP_TOKEN}`, `${request.method} ${request.body?.method}`);
      for (const name of ['cookie', 'x-provider-key', 'x-mcp-server', 'x-mcp-authorization', 'origin']) {
        assert.equal(request.headers[name], undefined, `${name} reached the server`);
      }
      assert.notEqual(request.headers['x-forwarded-for'], '203.0.113.9');
      for (const name of Object.keys(request.headers)) assert.ok(allowed.has(name), `unexpected header ${name}: ${Object.keys(request.headers)}`);
    }
    // Nothing the client got back holds the token: headers nor bodies.
    await sleep(100);
    for (const answer of answers) {
      assert.ok(!JSON.stringify(answer).includes(MCP_TOKEN), JSON.stringify(answer));
    }
  });

  it('only MCP headers come back, and the token is in no log line', async () => {
    const res = await relay(open, { body: INITIALIZE, headers: { 'X-MCP-Authorization': `Bearer ${MCP_TOKEN}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /mcp-servers\/everything/);
    assert.ok(!text.includes(MCP_TOKEN));
    const names = [...res.headers.keys()];
    for (const name of names) {
      assert.ok(
        [
          'content-type',
          'mcp-session-id',
          'mcp-protocol-version',
          'www-authenticate',
          'x-mcp-relayed',
          'x-request-id',
          'server-timing',
          'timing-allow-origin',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'content-length',
          'transfer-encoding',
          'connection',
          'keep-alive',
          'date',
          'content-encoding',
          'vary',
        ].includes(name),
        `unexpected answer header ${name}`,
      );
    }
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    assert.ok(res.headers.get('mcp-session-id'));
    // A refusal carrying the token does not echo it either.
    const refused = await relay(open, { target: 'ftp://example.com/', headers: { 'X-MCP-Authorization': `Bearer ${MCP_TOKEN}` }, body: INITIALIZE });
    const error = await assertError(refused, 400, 'invalid_request');
    assert.ok(!JSON.stringify(error).includes(MCP_TOKEN));
    assert.equal(refused.headers.get('x-mcp-relayed'), null);
    assert.ok(await open.waitForLog(/"route":"mcp"/));
    await sleep(200);
    const logs = open.logs();
    assert.ok(!logs.includes(MCP_TOKEN), 'the MCP token is in the worker log');
    const lines = logs.split('\n').filter((l) => l.includes('"route":"mcp"'));
    assert.ok(lines.length > 0);
    for (const line of lines) {
      const json = JSON.parse(line.slice(line.indexOf('{')));
      assert.ok(!('url' in json) && !('path' in json), line);
      assert.ok(!line.includes('/mcp"') && !line.includes(String(front.port)), `the target's path or port logged: ${line}`);
      if (json.host !== undefined) assert.equal(json.host, '127.0.0.1');
    }
    assert.ok(lines.some((l) => l.includes('"host":"127.0.0.1"') && l.includes('"streaming":true')), lines.join('\n'));
  });

  it('a server’s 401 comes back as it is, with its challenge, readable by a page', async () => {
    const res = await relay(open, { target: oauth.url, body: INITIALIZE, headers: { origin: 'https://app.example' } });
    const text = await res.text();
    assert.equal(res.status, 401, text);
    assert.equal(res.headers.get('x-mcp-relayed'), 'true');
    const challenge = res.headers.get('www-authenticate');
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`resource_metadata="http://localhost:${oauth.port}/.well-known/oauth-protected-resource/mcp"`), challenge);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    assert.ok(exposed.includes('www-authenticate'), exposed);
    // A token the server does not know reaches it (no "missing Authorization" any more);
    // its refusal comes back as it is (the demo answers an unknown token with a 500).
    const refused = await relay(open, { target: oauth.url, body: INITIALIZE, headers: { 'X-MCP-Authorization': `Bearer ${MCP_TOKEN}` } });
    const words = await refused.text();
    assert.ok(refused.status >= 400, String(refused.status));
    assert.equal(refused.headers.get('x-mcp-relayed'), 'true');
    assert.doesNotMatch(`${words} ${refused.headers.get('www-authenticate')}`, /Missing Authorization/i);
    assert.ok(!words.includes(MCP_TOKEN));
  });

  it('refuses bodies over MAX_BODY_BYTES, other methods and a missing X-MCP-Server', async () => {
    front.clear();
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, pad: 'x'.repeat(200_000) } });
    await assertError(await relay(open, { body: big }), 413, 'payload_too_large');
    await assertError(await relay(open, { method: 'PUT', body: INITIALIZE }), 405, 'method_not_allowed');
    await assertError(await relay(open, { target: null, body: INITIALIZE }), 400, 'invalid_request');
    assert.deepEqual(front.requests, []);
  });
});

describe('the address guard (the default, as web fetch)', () => {
  it('refuses loopback, private, link-local, metadata and tunnelled addresses, reaching nothing', async () => {
    front.clear();
    const port = front.port;
    const auth = { authorization: `Bearer ${userToken()}` };
    for (const target of [
      front.url,
      `http://localhost:${port}/mcp`,
      `http://2130706433:${port}/mcp`,
      `http://[::ffff:127.0.0.1]:${port}/mcp`,
      `http://[::1]:${port}/mcp`,
      `http://[64:ff9b::7f00:1]:${port}/mcp`,
      `http://[2001::1]:${port}/mcp`,
      `http://[2002:7f00:1::1]:${port}/mcp`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/mcp',
      'http://metadata.google.internal/',
      'https://intranet.example/mcp', // resolves to 10.0.0.7
      'https://nowhere.example/mcp', // does not resolve
      `http://user:pass@example.com/mcp`,
      'file:///etc/passwd',
    ]) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const res = await relay(guarded, { method, target, headers: auth, body: method === 'POST' ? INITIALIZE : undefined });
        await assertError(res, 400, 'invalid_request');
        assert.equal(res.headers.get('x-mcp-relayed'), null);
      }
    }
    assert.deepEqual(front.requests, []);
  });

  it('does not follow a redirect: 502, the redirect’s target never reached', async () => {
    front.clear();
    const target = `http://127.0.0.1:${redirector.address().port}/mcp`;
    const res = await relay(open, { target, body: INITIALIZE });
    const error = await assertError(res, 502, 'upstream_error');
    assert.match(error.message, /redirect/);
    assert.equal(res.headers.get('location'), null);
    assert.deepEqual(front.requests, []);
  });
});

describe('sign-in, kill switch, CORS', () => {
  it('AUTH_MODE=supabase: no valid access token, no relay', async () => {
    await assertError(await relay(guarded, { body: INITIALIZE }), 401, 'unauthorized');
    await assertError(await relay(guarded, { body: INITIALIZE, headers: { authorization: 'Bearer not-a-jwt' } }), 401, 'unauthorized');
    // The MCP token is not a sign-in.
    await assertError(await relay(guarded, { body: INITIALIZE, headers: { 'X-MCP-Authorization': `Bearer ${userToken()}` } }), 401, 'unauthorized');
    // Signed in, the request gets as far as the address guard.
    await assertError(
      await relay(guarded, { target: 'http://10.0.0.1/mcp', body: INITIALIZE, headers: { authorization: `Bearer ${userToken()}` } }),
      400,
      'invalid_request',
    );
  });

  it('PROXY_DISABLE_MCP=true: 503 provider_disabled for every method; /health says so', async () => {
    front.clear();
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await relay(killed, { method, body: method === 'POST' ? INITIALIZE : undefined });
      await assertError(res, 503, 'provider_disabled', { provider: 'mcp' });
    }
    assert.deepEqual(front.requests, []);
    assert.equal((await (await fetch(`${killed.url}/health`)).json()).mcp, 'disabled');
    assert.equal((await (await fetch(`${open.url}/health`)).json()).mcp, 'enabled');
  });

  it('in Chromium, a page reaches a server that refuses browser calls through the relay', async () => {
    const site = await startStatic({ routes: { '/': { type: 'text/html', body: '<!doctype html><title>relay</title>' } } });
    const browser = await startBrowser();
    try {
      const page = await browser.page();
      await page.goto(site.url);
      const seen = await page.evaluate(
        async ({ relayUrl, server, token, initialize }) => {
          const out = {};
          const mcp = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
          try {
            await fetch(server, { method: 'POST', headers: mcp, body: JSON.stringify(initialize) });
            out.direct = 'reached';
          } catch (err) {
            out.direct = err.name;
          }
          const relayed = { ...mcp, 'X-MCP-Server': server, 'X-MCP-Authorization': `Bearer ${token}` };
          const init = await fetch(relayUrl, { method: 'POST', headers: relayed, body: JSON.stringify(initialize) });
          const session = init.headers.get('mcp-session-id');
          out.init = { status: init.status, session, relayed: init.headers.get('x-mcp-relayed'), text: await init.text() };
          const inSession = { ...relayed, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
          const done = await fetch(relayUrl, { method: 'POST', headers: inSession, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
          out.initialized = done.status;
          const leaving = new AbortController();
          const get = await fetch(relayUrl, { headers: { ...inSession, accept: 'text/event-stream', 'last-event-id': 'none-yet' }, signal: leaving.signal });
          out.get = { status: get.status, type: get.headers.get('content-type'), relayed: get.headers.get('x-mcp-relayed') };
          // DELETE before leaving the GET stream: Chromium sends a DELETE that follows an
          // aborted stream twice (seen straight against server-everything too), and the
          // second finds the session gone.
          const end = await fetch(relayUrl, { method: 'DELETE', headers: inSession });
          out.deleted = { status: end.status, relayed: end.headers.get('x-mcp-relayed') };
          leaving.abort();
          return out;
        },
        { relayUrl: `${open.url}${PATH}`, server: front.url, token: MCP_TOKEN, initialize: INITIALIZE },
      );
      assert.equal(seen.direct, 'TypeError', 'the browser called the server without CORS');
      assert.equal(seen.init.status, 200);
      assert.ok(seen.init.session, 'mcp-session-id not readable by the page');
      assert.equal(seen.init.relayed, 'true');
      assert.match(seen.init.text, /mcp-servers\/everything/);
      assert.equal(seen.initialized, 202);
      assert.deepEqual(seen.get, { status: 200, type: 'text/event-stream', relayed: 'true' });
      assert.deepEqual(seen.deleted, { status: 200, relayed: 'true' });
    } finally {
      await browser.stop();
      await site.stop();
    }
  });

  it('the preflight allows the MCP methods and headers; answers expose the MCP headers', async () => {
    const res = await fetch(`${open.url}${PATH}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers':
          'x-mcp-server,x-mcp-authorization,mcp-session-id,mcp-protocol-version,last-event-id,content-type,accept,authorization',
      },
    });
    assert.equal(res.status, 204);
    const list = (name) => (res.headers.get(name) ?? '').toLowerCase().split(/,\s*/);
    for (const method of ['get', 'post', 'delete']) assert.ok(list('access-control-allow-methods').includes(method));
    for (const name of ['x-mcp-server', 'x-mcp-authorization', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'content-type', 'accept', 'authorization']) {
      assert.ok(list('access-control-allow-headers').includes(name), `${name} not allowed`);
    }
    const answer = await relay(open, { body: INITIALIZE, headers: { origin: 'https://app.example' } });
    await answer.text();
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    for (const name of ['mcp-session-id', 'mcp-protocol-version', 'www-authenticate', 'x-mcp-relayed']) {
      assert.ok(exposed.includes(name), `${name} not exposed`);
    }
  });
});
