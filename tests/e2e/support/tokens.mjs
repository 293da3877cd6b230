// Supabase-style access tokens for tests, signed with node:crypto: HS256 with a shared
// secret, or any signer for the asymmetric algorithms.

import { createHmac, randomUUID } from 'node:crypto';

export const b64 = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export const nowSecs = () => Math.floor(Date.now() / 1000);

/** The claims of a valid user token for the project at `supabaseUrl`. */
export function claims(supabaseUrl, extra = {}) {
  return {
    sub: randomUUID(),
    aud: 'authenticated',
    role: 'authenticated',
    iss: `${supabaseUrl}/auth/v1`,
    iat: nowSecs(),
    exp: nowSecs() + 3600,
    ...extra,
  };
}

/** A JWT of `header` and `payload`; `signer(input) → Buffer`, or none for an unsigned one. */
export function token(header, payload, signer) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer ? signer(input).toString('base64url') : ''}`;
}

export const hmac = (secret) => (input) => createHmac('sha256', secret).update(input).digest();

export const hs256 = (secret, payload) => token({ alg: 'HS256', typ: 'JWT' }, payload, hmac(secret));
