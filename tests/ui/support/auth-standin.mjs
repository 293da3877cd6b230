// A loopback stand-in for Supabase Auth's REST endpoints the app uses, answering as
// GoTrue does and recording every request: the magic link (`POST /auth/v1/otp`), the OAuth
// redirect (`GET /auth/v1/authorize`, straight back with a session, as after a provider's
// consent), refresh (`POST /auth/v1/token?grant_type=refresh_token`, each refresh token
// good once) and sign-out (`POST /auth/v1/logout`). Access tokens are HS256 JWTs with the
// project's secret, so the proxy verifies them for real.

import { randomUUID } from 'node:crypto';
import http from 'node:http';

import { claims, hs256 } from '../../e2e/support/tokens.mjs';

export async function startAuthStandin({ secret, accessSecs = 3600, userId = randomUUID(), restUrl }) {
  const requests = [];
  const refreshTokens = new Map(); // refresh token → user id, while unused
  let url;
  const user = { id: userId, email: 'ada@example.test' };
  const session = (expiresIn = accessSecs) => {
    const refresh = `refresh-${randomUUID()}`;
    refreshTokens.set(refresh, user.id);
    return {
      access_token: hs256(secret, claims(url, { sub: user.id, email: user.email, exp: Math.floor(Date.now() / 1000) + expiresIn })),
      refresh_token: refresh,
      expires_in: expiresIn,
      token_type: 'bearer',
    };
  };
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': '*',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
  };
  const json = (res, status, body) => {
    res.writeHead(status, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(body));
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
    if (req.headers.apikey === undefined && at.pathname !== '/auth/v1/authorize') {
      return json(res, 401, { message: 'No API key found in request' });
    }
    if (at.pathname === '/auth/v1/otp' && req.method === 'POST') return json(res, 200, {});
    if (at.pathname === '/auth/v1/authorize' && req.method === 'GET') {
      const back = at.searchParams.get('redirect_to');
      const fragment = new URLSearchParams({ ...session(), provider_token: 'gh-token' });
      res.writeHead(302, { location: `${back}#${fragment}` }).end();
      return;
    }
    if (at.pathname === '/auth/v1/token' && at.searchParams.get('grant_type') === 'refresh_token') {
      if (!refreshTokens.delete(body?.refresh_token)) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid Refresh Token: Already Used' });
      }
      return json(res, 200, { ...session(), user: { id: user.id, email: user.email } });
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
    /** The fragment the emailed link leads back with, as GoTrue's verify step redirects. */
    magicLinkFragment: (expiresIn) => new URLSearchParams({ ...session(expiresIn), type: 'magiclink' }).toString(),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
