// A loopback stand-in for the two PostgREST endpoints the proxy calls, over a real
// PostgreSQL (tests/db/support/postgres.mjs), doing what PostgREST does with them: verify
// the bearer JWT (HS256, the project's JWT secret), take its `role`, `set local role`, put
// the claims in `request.jwt.claims`, and run the statement — so grants, row-level security,
// column names and types are really exercised.
//
//   POST /rest/v1/usage_events?on_conflict=request_id   (Prefer: resolution=ignore-duplicates)
//   POST /rest/v1/rpc/usage_cost_today
// and the ones the app calls with the user's token:
//   GET  /rest/v1/usage_events?select=…&created_at=gte.…&order=created_at.desc&limit=N
//   GET  /rest/v1/user_settings?select=settings
//   POST /rest/v1/user_settings?on_conflict=user_id     (Prefer: resolution=merge-duplicates)
//
// `down()` and `up()` take it off the network and back on the same port, for outage tests.

import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const API_ROLES = new Set(['anon', 'authenticated', 'service_role']);

function verify(token, secret) {
  const [header, payload, signature] = String(token ?? '').split('.');
  if (!signature) return null;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return API_ROLES.has(claims.role) ? claims : null;
  } catch {
    return null;
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** PostgREST's status for a PostgreSQL error. */
function statusOf(err) {
  if (err.code === '42501') return 403; // insufficient privilege, row-level security
  if (err.code?.startsWith('23') || err.code?.startsWith('22')) return 400; // constraint, data
  return 500;
}

export async function startPostgrest({ db, jwtSecret }) {
  const { rows: columns } = await db.query(
    `select column_name from information_schema.columns
     where table_schema = 'public' and table_name = 'usage_events'`,
  );
  const known = new Set(columns.map((c) => c.column_name));
  const stats = { inserts: 0, refused: 0 };

  async function handle(req, res) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const claims = verify(bearer, jwtSecret);
    if (!claims || req.headers.apikey === undefined) {
      stats.refused += 1;
      return send(res, 401, { code: 'PGRST301', message: 'JWT invalid' });
    }
    const url = new URL(req.url, 'http://postgrest.invalid');
    const as = { role: claims.role, sub: claims.sub, claims };
    try {
      if (req.method === 'POST' && url.pathname === '/rest/v1/usage_events') {
        const body = JSON.parse(raw);
        const rows = Array.isArray(body) ? body : [body];
        const unknown = rows.flatMap(Object.keys).find((k) => !known.has(k));
        if (unknown) {
          return send(res, 400, { code: 'PGRST204', message: `Could not find the '${unknown}' column` });
        }
        const ignore = /resolution=ignore-duplicates/.test(req.headers.prefer ?? '');
        const conflict = url.searchParams.get('on_conflict');
        if (ignore && conflict !== 'request_id') {
          return send(res, 400, { message: 'on_conflict=request_id expected with ignore-duplicates' });
        }
        const keys = [...new Set(rows.flatMap(Object.keys))];
        const list = keys.map((k) => `"${k}"`).join(', ');
        await db.query(
          `insert into public.usage_events (${list})
           select ${list} from json_populate_recordset(null::public.usage_events, $1::json)
           ${ignore ? 'on conflict (request_id) do nothing' : ''}`,
          [JSON.stringify(rows)],
          as,
        );
        stats.inserts += 1;
        return send(res, 201);
      }
      if (req.method === 'GET' && url.pathname === '/rest/v1/usage_events') {
        const columns = (url.searchParams.get('select') ?? '*').split(',');
        if (columns.some((c) => c !== '*' && !known.has(c))) {
          return send(res, 400, { code: 'PGRST204', message: 'unknown column in select' });
        }
        const since = (url.searchParams.get('created_at') ?? 'gte.1970-01-01').replace(/^gte\./, '');
        const limit = Number(url.searchParams.get('limit') ?? 1000);
        const list = columns.map((c) => (c === '*' ? '*' : `"${c}"`)).join(', ');
        const { rows } = await db.query(
          `select ${list} from public.usage_events where created_at >= $1 order by created_at desc limit $2`,
          [since, limit],
          as,
        );
        // PostgREST sends numeric as a JSON number and timestamps as ISO text.
        return send(
          res,
          200,
          rows.map((r) => ({
            ...r,
            ...(r.created_at ? { created_at: new Date(r.created_at).toISOString() } : {}),
            ...('cost_usd' in r ? { cost_usd: r.cost_usd === null ? null : Number(r.cost_usd) } : {}),
          })),
        );
      }
      if (req.method === 'GET' && url.pathname === '/rest/v1/user_settings') {
        const { rows } = await db.query('select settings from public.user_settings', [], as);
        return send(res, 200, rows);
      }
      if (req.method === 'POST' && url.pathname === '/rest/v1/user_settings') {
        if (url.searchParams.get('on_conflict') !== 'user_id' || !/resolution=merge-duplicates/.test(req.headers.prefer ?? '')) {
          return send(res, 400, { message: 'on_conflict=user_id with merge-duplicates expected' });
        }
        const body = JSON.parse(raw);
        await db.query(
          `insert into public.user_settings (user_id, settings) values ($1, $2)
           on conflict (user_id) do update set settings = excluded.settings`,
          [body.user_id, JSON.stringify(body.settings)],
          as,
        );
        return send(res, 201);
      }
      if (req.method === 'POST' && url.pathname === '/rest/v1/rpc/usage_cost_today') {
        const { rows } = await db.query('select public.usage_cost_today() as cost', [], as);
        return send(res, 200, Number(rows[0].cost));
      }
      return send(res, 404, { message: `no stand-in for ${req.method} ${url.pathname}` });
    } catch (err) {
      return send(res, statusOf(err), { code: err.code, message: err.message });
    }
  }

  const sockets = new Set();
  let server;
  let port = 0;
  async function up() {
    server = http.createServer((req, res) => {
      // Supabase's REST API answers browsers (the agent sends direct-call usage from one).
      res.setHeader('access-control-allow-origin', '*');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        });
        res.end();
        return;
      }
      handle(req, res).catch((err) => send(res, 500, { message: err.message }));
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    port = server.address().port;
  }
  async function down() {
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  await up();
  return { url: `http://127.0.0.1:${port}`, stats, up, down, stop: down };
}

/** An HS256 JWT for `claims`, as Supabase issues its API keys (e.g. the service role key). */
export function apiKey(secret, claims) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
