// What the proxy benches send requests to and how they time them: the mock provider in its own
// process, a JWKS stand-in for `+ auth`, a plain JavaScript pass-through worker (the floor of
// one worker hop), and one timed HTTP request. Shared by proxy-overhead.mjs and peers.mjs.

import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { Miniflare } from 'miniflare';

import { claims, nowSecs, token } from '../tests/e2e/support/tokens.mjs';
import { ROOT, freePort } from '../tests/e2e/support/worker.mjs';

/** The provider key every bench request carries (the mock accepts any but `bad-key…`). */
export const KEY = 'sk-bench-key';
/** The built worker (scripts/build-worker.sh). */
export const BUILD = path.join(ROOT, 'proxy-worker', 'build');

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

// An SSE event boundary, and an OpenAI-format event carrying text (`"content":""` does not).
const EVENT_END = /\r?\n\r?\n/;
const HAS_CONTENT = /"content":"[^"]/;

/**
 * One request; resolves to { ttfb, total } in ms, measured from just before sending. With
 * `events`, it also reads the body as SSE and adds `ttft` (the first event with text, as a
 * reader sees a token) and `gaps` (between consecutive events with text).
 */
export function timed({ url, method = 'POST', headers = {}, body }, { events = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = null;
    const marks = [];
    let pending = '';
    const req = http.request(url, { method, headers, agent }, (res) => {
      if (events) res.setEncoding('utf8');
      res.on('data', (data) => {
        const now = process.hrtime.bigint();
        ttfb ??= now;
        if (!events) return;
        const parts = (pending + data).split(EVENT_END);
        pending = parts.pop();
        for (const event of parts) if (HAS_CONTENT.test(event)) marks.push(now);
      });
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode >= 300) return reject(new Error(`${url}: ${res.statusCode}`));
        const ms = (t) => Number(t - t0) / 1e6;
        const r = { ttfb: ms(ttfb ?? end), total: ms(end) };
        if (events) {
          if (marks.length === 0) return reject(new Error(`${url}: no event with content`));
          r.ttft = ms(marks[0]);
          r.gaps = marks.slice(1).map((m, i) => Number(m - marks[i]) / 1e6);
        }
        resolve(r);
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      // A kept-alive socket the server closed as it was reused: send again on a new one,
      // as Node's documentation advises (the bench's requests are all safe to repeat).
      if (req.reusedSocket && err.code === 'ECONNRESET') resolve(timed({ url, method, headers, body }, { events }));
      else reject(err);
    });
    req.setNoDelay(true);
    if (body) req.write(body);
    req.end();
  });
}

/** The request for one OpenAI-format body through Ferry at `base`, as the user of `bearer`. */
export function viaProxy(base, provider, body, bearer) {
  const auth = bearer ? { authorization: `Bearer ${bearer}` } : {};
  return {
    url: `${base}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', 'x-provider': provider, 'x-provider-key': KEY, ...auth },
    body: JSON.stringify(body),
  };
}

/**
 * A stand-in for Supabase Auth's JWKS endpoint and ES256 access tokens it verifies (the
 * proxy fetches the keys once and then verifies from its cache, as in production): `token`
 * is one user's, `next()` hands out `users` distinct users' tokens in turn.
 */
export async function startAuth(users = 1) {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }] };
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const es256 = (input) => sign('sha256', Buffer.from(input), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
  const tokens = Array.from({ length: Math.max(1, users) }, () =>
    token({ alg: 'ES256', typ: 'JWT', kid: 'bench' }, claims(url, { exp: nowSecs() + 7200 }), es256),
  );
  let turn = 0;
  const next = () => tokens[turn++ % tokens.length];
  return { url, token: tokens[0], next, stop: () => server.close() };
}

/** Ferry's vars for `+ auth` against `auth`, with limits too high to be reached. */
export function authVars(vars, auth) {
  return {
    ...vars,
    AUTH_MODE: 'supabase',
    SUPABASE_URL: auth.url,
    RATE_LIMIT_PER_MINUTE: '1000000000',
    DAILY_TOKEN_QUOTA: '1000000000000',
  };
}

/** The mock provider (bench/mock-server.mjs), in its own process. */
export async function startMock() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'mock-server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8');
  const [line] = await once(child.stdout, 'data');
  const url = line.trim();
  const call = async (method) => (await fetch(`${url}/__mock/requests`, { method })).text();
  return {
    url,
    requests: async () => JSON.parse(await call('GET')),
    clear: () => call('DELETE'),
    close: () => {
      child.kill('SIGTERM');
      return once(child, 'exit');
    },
  };
}

/** What `request` made the proxy send upstream, replayable straight at the mock. */
export async function captureDirect(mock, request) {
  await mock.clear();
  await timed(request);
  const sent = (await mock.requests()).at(-1);
  const query = new URLSearchParams(sent.query).toString();
  const headers = {};
  for (const [name, value] of Object.entries(sent.headers)) {
    if (['content-type', 'authorization', 'x-api-key', 'x-goog-api-key', 'anthropic-version'].includes(name)) {
      headers[name] = value;
    }
  }
  return {
    url: `${mock.url}${sent.path}${query ? `?${query}` : ''}`,
    headers,
    body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body),
  };
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * A plain JavaScript worker that forwards requests to the mock untouched: the floor any
 * worker in the same runtime pays for one fetch, for comparison with the proxy's own cost.
 * With `inspectorPort`, workerd's DevTools inspector listens there (bench/profile.mjs).
 */
export async function startPassThrough(mockUrl, { inspectorPort } = {}) {
  const port = await freePort();
  const mf = new Miniflare({
    ...(inspectorPort ? { inspectorPort } : {}),
    modules: true,
    script: `export default {
      async fetch(request, env) {
        const url = new URL(request.url);
        return fetch(env.UPSTREAM + url.pathname + url.search, {
          method: request.method, headers: request.headers, body: request.body,
        });
      },
    };`,
    compatibilityDate: '2026-04-01',
    bindings: { UPSTREAM: mockUrl },
    host: '127.0.0.1',
    port,
  });
  const url = await mf.ready;
  return { url: String(url).replace(/\/$/, ''), stop: () => mf.dispose() };
}
