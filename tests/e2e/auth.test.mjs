// AUTH_MODE=supabase: Supabase access tokens minted here (HS256 with a test secret; RS256
// and ES256 with test keys served as JWKS by a loopback stand-in for Supabase Auth), good
// ones admitted, hostile ones refused with 401, rotated keys picked up; a JWKS that hangs or
// fails answers 503 auth_unavailable within the fetch's timeout and is not asked again by
// every request; anonymous sign-ins refused unless ALLOW_ANONYMOUS_USERS=true.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { MESSAGES, assertError, post, providerHeaders, startStack, useStack } from './support/stack.mjs';
import { b64, claims as baseClaims, hmac, hs256 as signHs256, nowSecs, token } from './support/tokens.mjs';

const SECRET = 'test-jwt-secret-with-at-least-32-characters!';
const USER = '5b0c1f9e-2d3a-4e5f-8a7b-9c0d1e2f3a4b';
const JWKS_REFRESH_MIN_MS = 5_000;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rotated = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const keys = [jwk(rsa, 'rsa-1', 'RS256'), jwk(ec, 'ec-1', 'ES256')];

// The stand-in for Supabase Auth: only the JWKS endpoint the proxy reads.
let jwksFetches = 0;
const auth = http.createServer((req, res) => {
  if (req.url === '/auth/v1/.well-known/jwks.json') {
    jwksFetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => auth.listen(0, '127.0.0.1', resolve));
const SUPABASE_URL = `http://127.0.0.1:${auth.address().port}`;
after(() => auth.close());

const now = nowSecs;
const claims = (extra = {}) => baseClaims(SUPABASE_URL, { sub: USER, ...extra });
const hs256 = (payload = claims()) => signHs256(SECRET, payload);
const rs256 = (payload = claims(), kid = 'rsa-1') =>
  token({ alg: 'RS256', typ: 'JWT', kid }, payload, (input) => sign('sha256', Buffer.from(input), rsa.privateKey));
const es256 = (payload = claims(), kid = 'ec-1', pair = ec) =>
  token({ alg: 'ES256', typ: 'JWT', kid }, payload, (input) =>
    sign('sha256', Buffer.from(input), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }),
  );

const stack = useStack({
  vars: { AUTH_MODE: 'supabase', SUPABASE_URL, SUPABASE_JWT_SECRET: SECRET },
});

const chat = (bearer) =>
  post(
    stack.url,
    '/v1/chat/completions',
    { model: 'gpt-4o-mini', messages: MESSAGES },
    { ...providerHeaders('openai'), ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }) },
  );

describe('Supabase access tokens', () => {
  it('admits valid HS256, RS256 and ES256 tokens', async () => {
    for (const [name, t] of [['HS256', hs256()], ['RS256', rs256()], ['ES256', es256()]]) {
      const res = await chat(t);
      assert.equal(res.status, 200, `${name}: ${await res.clone().text()}`);
    }
    assert.equal(jwksFetches, 1, 'the key set is fetched once and cached');
  });

  it('refuses missing, expired, misdirected and forged tokens with 401', async () => {
    const good = rs256().split('.');
    const cases = {
      'no token': undefined,
      'not a JWT': 'garbage',
      expired: hs256(claims({ exp: now() - 600 })),
      'not yet valid': hs256(claims({ nbf: now() + 600 })),
      'wrong audience': hs256(claims({ aud: 'anon' })),
      'wrong issuer': hs256(claims({ iss: 'https://evil.example/auth/v1' })),
      'sub not a UUID': hs256(claims({ sub: 'admin' })),
      'alg none': token({ alg: 'none', typ: 'JWT' }, claims()),
      'HS256 keyed with the RSA public key': token(
        { alg: 'HS256', typ: 'JWT', kid: 'rsa-1' },
        claims(),
        hmac(rsa.publicKey.export({ type: 'spki', format: 'pem' })),
      ),
      'tampered payload': `${good[0]}.${b64(claims({ sub: '00000000-0000-0000-0000-000000000000' }))}.${good[2]}`,
      'wrong secret': token({ alg: 'HS256', typ: 'JWT' }, claims(), hmac('another-secret-another-secret-another')),
      'unknown kid': es256(claims(), 'nobody', rotated),
    };
    for (const [name, bearer] of Object.entries(cases)) {
      await assertError(await chat(bearer), 401, 'unauthorized');
      assert.equal(stack.mock.requests.length, 0, `${name} reached the provider`);
    }
  });

  it('picks up a rotated signing key', async () => {
    keys.push(jwk(rotated, 'ec-2', 'ES256'));
    // Unknown kids refetch the keys at most once per interval.
    await sleep(JWKS_REFRESH_MIN_MS + 200);
    const res = await chat(es256(claims(), 'ec-2', rotated));
    assert.equal(res.status, 200, await res.clone().text());
  });
});

describe('anonymous sign-ins', () => {
  const anonymous = () => hs256(claims({ is_anonymous: true }));

  it('are refused with 401 by default, also once the token is cached', async () => {
    for (let i = 0; i < 2; i += 1) {
      const error = await assertError(await chat(anonymous()), 401, 'unauthorized');
      assert.match(error.message, /anonymous/);
    }
    assert.equal(stack.mock.requests.length, 0);
    // A signed-in user with an account still passes.
    assert.equal((await chat(hs256(claims({ is_anonymous: false })))).status, 200);
  });

  describe('with ALLOW_ANONYMOUS_USERS=true', () => {
    let allowing;
    before(async () => {
      allowing = await startStack({
        vars: { AUTH_MODE: 'supabase', SUPABASE_URL, SUPABASE_JWT_SECRET: SECRET, ALLOW_ANONYMOUS_USERS: 'true' },
      });
    });
    after(async () => {
      await allowing?.stop();
    });

    it('are admitted', async () => {
      const res = await post(
        allowing.url,
        '/v1/chat/completions',
        { model: 'gpt-4o-mini', messages: MESSAGES },
        { ...providerHeaders('openai'), authorization: `Bearer ${anonymous()}` },
      );
      assert.equal(res.status, 200, await res.clone().text());
    });
  });
});

describe('when the signing keys cannot be fetched', () => {
  const JWKS_TIMEOUT_MS = 3_000;
  // Stand-ins for a Supabase Auth in trouble: one never answers, one answers 500.
  const fetches = { hang: 0, fail: 0 };
  const sockets = new Set();
  const troubled = http.createServer((req, res) => {
    const mode = req.url.split('/')[1];
    if (!(mode in fetches) || !req.url.endsWith('/auth/v1/.well-known/jwks.json')) {
      res.writeHead(404).end();
      return;
    }
    fetches[mode] += 1;
    if (mode === 'fail') res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"down"}');
    // hang: no answer at all
  });
  troubled.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const stacks = {};
  before(async () => {
    await new Promise((resolve) => troubled.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${troubled.address().port}`;
    for (const mode of Object.keys(fetches)) {
      stacks[mode] = await startStack({
        vars: { AUTH_MODE: 'supabase', SUPABASE_URL: `${base}/${mode}`, SUPABASE_JWT_SECRET: SECRET },
      });
    }
  });
  after(async () => {
    for (const s of Object.values(stacks)) await s.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => troubled.close(resolve));
  });

  const chatAt = (mode, bearer) =>
    post(
      stacks[mode].url,
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', messages: MESSAGES },
      { ...providerHeaders('openai'), authorization: `Bearer ${bearer}` },
    );
  const issuer = (mode) => `http://127.0.0.1:${troubled.address().port}/${mode}`;
  const rs256At = (mode) => rs256(baseClaims(issuer(mode), { sub: USER }));

  it('a JWKS that hangs: 503 auth_unavailable within the timeout, not a hung request', async () => {
    const started = Date.now();
    const res = await chatAt('hang', rs256At('hang'));
    const took = Date.now() - started;
    const error = await assertError(res, 503, 'auth_unavailable');
    assert.match(error.message, /keys/);
    assert.ok(took < JWKS_TIMEOUT_MS + 2_000, `took ${took} ms`);
    assert.ok(took >= JWKS_TIMEOUT_MS - 500, `gave up after ${took} ms, before the timeout`);
    // Within the next 30 s, no new fetch and no new wait.
    const again = Date.now();
    await assertError(await chatAt('hang', rs256At('hang')), 503, 'auth_unavailable');
    assert.ok(Date.now() - again < 1_000, 'the failure was not remembered');
    assert.equal(fetches.hang, 1);
  });

  it('a JWKS that fails is fetched once per window, not per request', async () => {
    for (let i = 0; i < 6; i += 1) {
      await assertError(await chatAt('fail', rs256At('fail')), 503, 'auth_unavailable');
    }
    assert.equal(fetches.fail, 1);
    assert.equal(stacks.fail.mock.requests.length, 0);
    // HS256 tokens need no keys: they still pass.
    const res = await chatAt('fail', signHs256(SECRET, baseClaims(issuer('fail'), { sub: USER })));
    assert.equal(res.status, 200, await res.clone().text());
  });
});
