// A loopback stand-in for Supabase Auth's REST endpoints the app uses, answering as
// GoTrue does in its PKCE flow and recording every request:
//   POST /auth/v1/otp            the magic link; keeps the body's `code_challenge` (s256)
//                                for the email, as GoTrue keeps a flow state
//   GET  /auth/v1/verify         where the emailed link points: back to `redirect_to?code=…`
//   GET  /auth/v1/authorize      OAuth: straight back to `redirect_to?code=…` (as after the
//                                provider's consent) for the `oauthUser`; without a
//                                `code_challenge`, the implicit flow's `#access_token=…`
//   POST /auth/v1/token?grant_type=pkce           `{auth_code, code_verifier}`: the session
//                                if base64url(SHA-256(verifier)) is the flow's challenge;
//                                each code good once
//   POST /auth/v1/token?grant_type=refresh_token  each refresh token good once
//   POST /auth/v1/logout
// Access tokens are HS256 JWTs with the project's secret, so the proxy verifies them for
// real. `/rest/v1/*` goes to the PostgREST stand-in when `restUrl` is given.

import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';

import { claims, hs256 } from '../../e2e/support/tokens.mjs';

/** RFC 7636's S256: base64url, unpadded, of the verifier's SHA-256. */
export const challengeOf = (verifier) => createHash('sha256').update(verifier).digest('base64url');

export async function startAuthStandin({ secret, accessSecs = 3600, userId = randomUUID(), restUrl }) {
  const requests = [];
  const refreshTokens = new Map(); // refresh token → user, while unused
  const users = new Map(); // email → user
  const challenges = new Map(); // email → the challenge of its latest magic link request
  const codes = new Map(); // auth code → { user, challenge, expiresIn }, while unused
  const verifyTokens = new Map(); // emailed link's token → { code, redirectTo }
  let url;
  const addUser = (email, id = randomUUID()) => {
    const user = { id, email };
    users.set(email, user);
    return user;
  };
  const user = addUser('ada@example.test', userId);
  let oauthUser = user;
  const session = (who, expiresIn = accessSecs) => {
    const refresh = `refresh-${randomUUID()}`;
    refreshTokens.set(refresh, who);
    return {
      access_token: hs256(secret, claims(url, { sub: who.id, email: who.email, exp: Math.floor(Date.now() / 1000) + expiresIn })),
      refresh_token: refresh,
      expires_in: expiresIn,
      token_type: 'bearer',
    };
  };
  const issueCode = (who, challenge, expiresIn) => {
    const code = randomUUID();
    codes.set(code, { user: who, challenge, expiresIn });
    return code;
  };
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': '*',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
  };
  const json = (res, status, body) => {
    res.writeHead(status, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const withCode = (back, code) => {
    const to = new URL(back);
    to.searchParams.set('code', code);
    return to.toString();
  };
  const server = http.createServer(async (req, res) => {
    const at = new URL(req.url, 'http://auth.invalid');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    requests.push({ method: req.method, path: at.pathname, query: Object.fromEntries(at.searchParams), headers: req.headers, body });
    // One origin for the whole project, as on Supabase: the REST API goes to the PostgREST
    // stand-in.
    if (restUrl && at.pathname.startsWith('/rest/v1/')) {
      const headers = { ...req.headers };
      delete headers.host;
      const answer = await fetch(`${restUrl}${req.url}`, {
        method: req.method,
        headers,
        body: raw && req.method !== 'GET' ? raw : undefined,
      });
      const out = {};
      answer.headers.forEach((value, key) => {
        if (!['content-length', 'transfer-encoding', 'connection'].includes(key)) out[key] = value;
      });
      res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    const browserNavigation = ['/auth/v1/authorize', '/auth/v1/verify'].includes(at.pathname);
    if (req.headers.apikey === undefined && !browserNavigation) {
      return json(res, 401, { message: 'No API key found in request' });
    }
    if (at.pathname === '/auth/v1/otp' && req.method === 'POST') {
      const who = users.get(body?.email) ?? addUser(body?.email);
      if (body?.code_challenge) {
        if (body.code_challenge_method !== 's256') {
          return json(res, 400, { code: 400, error_code: 'validation_failed', msg: 'code challenge method not supported' });
        }
        challenges.set(who.email, { challenge: body.code_challenge, redirectTo: at.searchParams.get('redirect_to') });
      }
      return json(res, 200, {});
    }
    if (at.pathname === '/auth/v1/verify' && req.method === 'GET') {
      const link = verifyTokens.get(at.searchParams.get('token'));
      verifyTokens.delete(at.searchParams.get('token'));
      const back = at.searchParams.get('redirect_to');
      if (!link) {
        res.writeHead(303, { location: `${back}#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired` }).end();
        return;
      }
      res.writeHead(303, { location: withCode(back, link.code) }).end();
      return;
    }
    if (at.pathname === '/auth/v1/authorize' && req.method === 'GET') {
      const back = at.searchParams.get('redirect_to');
      const challenge = at.searchParams.get('code_challenge');
      if (!challenge) {
        // The implicit flow: the session in the fragment.
        const fragment = new URLSearchParams({ ...session(oauthUser), provider_token: 'gh-token' });
        res.writeHead(302, { location: `${back}#${fragment}` }).end();
        return;
      }
      if (at.searchParams.get('code_challenge_method') !== 's256') {
        return json(res, 400, { code: 400, error_code: 'validation_failed', msg: 'code challenge method not supported' });
      }
      res.writeHead(302, { location: withCode(back, issueCode(oauthUser, challenge)) }).end();
      return;
    }
    if (at.pathname === '/auth/v1/token' && at.searchParams.get('grant_type') === 'pkce') {
      if (!body?.auth_code || !body?.code_verifier) {
        return json(res, 400, { code: 400, error_code: 'validation_failed', msg: 'invalid request: both auth code and code verifier should be non-empty' });
      }
      const flow = codes.get(body.auth_code);
      if (!flow) {
        return json(res, 404, { code: 404, error_code: 'flow_state_not_found', msg: 'invalid flow state, no valid flow state found' });
      }
      if (challengeOf(body.code_verifier) !== flow.challenge) {
        return json(res, 400, { code: 400, error_code: 'bad_code_verifier', msg: 'code challenge does not match previously saved code verifier' });
      }
      codes.delete(body.auth_code);
      return json(res, 200, { ...session(flow.user, flow.expiresIn), user: { id: flow.user.id, email: flow.user.email } });
    }
    if (at.pathname === '/auth/v1/token' && at.searchParams.get('grant_type') === 'refresh_token') {
      const who = refreshTokens.get(body?.refresh_token);
      if (!refreshTokens.delete(body?.refresh_token)) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid Refresh Token: Already Used' });
      }
      return json(res, 200, { ...session(who), user: { id: who.id, email: who.email } });
    }
    if (at.pathname === '/auth/v1/logout' && req.method === 'POST') return res.writeHead(204, cors).end();
    return json(res, 404, { message: `no stand-in for ${at.pathname}` });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    user,
    requests,
    addUser,
    /** Who the OAuth provider signs in from now on. */
    setOauthUser: (who) => {
      oauthUser = who;
    },
    /**
     * The emailed link for `email`'s latest sign-in request (the challenge that request
     * sent): GoTrue's `/verify`, which leads back to the app with `?code=…`.
     */
    magicLink: ({ email = user.email, expiresIn } = {}) => {
      const asked = challenges.get(email);
      if (!asked) throw new Error(`no sign-in link was asked for ${email}`);
      const token = randomUUID();
      verifyTokens.set(token, { code: issueCode(users.get(email), asked.challenge, expiresIn), redirectTo: asked.redirectTo });
      return `${url}/auth/v1/verify?${new URLSearchParams({ token, type: 'magiclink', redirect_to: asked.redirectTo })}`;
    },
    /** A code for `email` bound to `challenge` (someone else's sign-in, started elsewhere). */
    codeFor: (email, challenge) => issueCode(users.get(email) ?? addUser(email), challenge),
    /** The implicit flow's fragment (`access_token=…`): what Ferry must not accept. */
    implicitFragment: (email = user.email) => new URLSearchParams({ ...session(users.get(email) ?? addUser(email)), type: 'magiclink' }).toString(),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
