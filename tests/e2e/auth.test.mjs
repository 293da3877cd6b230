// AUTH_MODE=supabase: Supabase access tokens minted here (HS256 with a test secret; RS256
// and ES256 with test keys served as JWKS by a loopback stand-in for Supabase Auth), good
// ones admitted, hostile ones refused with 401, rotated keys picked up.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';

import { MESSAGES, assertError, post, providerHeaders, useStack } from './support/stack.mjs';
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
