// A throw-away PostgreSQL for one test file: a fresh cluster in a temp dir on 127.0.0.1 at a
// free port, the test-only auth shim, then Ferry's migrations applied by the Supabase CLI
// (`supabase migration up`), exactly as they would be applied to a hosted project.
//
// Queries run either as the cluster's superuser (setup, seeding, checks behind the API's back)
// or the way PostgREST runs them: logged in as `authenticator`, in a transaction that does
// `set local role <role>` and puts the token's claims in `request.jwt.claims`, so row-level
// security and grants are really exercised.
//
// Needs PostgreSQL's server binaries (initdb, pg_ctl, postgres): found on PATH, in PG_BIN, or
// in Debian's /usr/lib/postgresql/<major>/bin. initdb refuses to run as root, so as root the
// server runs as the `postgres` user (runuser); as anyone else it runs as that user.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import pg from 'pg';

import { freePort } from '../../e2e/support/worker.mjs';

const run = promisify(execFile);

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
const SHIM = path.join(here, '..', 'auth-shim.sql');
const SUPABASE_CLI = path.join(ROOT, 'node_modules', '.bin', 'supabase');
const DATABASE = 'ferry';

/** The API roles a query may run as, besides the superuser. */
const ROLES = new Set(['anon', 'authenticated', 'service_role']);

// bigint counts as numbers and dates as 'YYYY-MM-DD' strings; numeric stays an exact string.
const TYPES = {
  getTypeParser(oid, format) {
    if (oid === 20) return (v) => (v === null ? null : Number(v));
    if (oid === 1082) return (v) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

/** Directory holding initdb and pg_ctl. */
function serverBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) {
      return dir;
    }
  }
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error('PostgreSQL server binaries not found: install postgresql or set PG_BIN');
  }
  return path.join(base, majors[0], 'bin');
}

/** Runs a server binary as the `postgres` user when we are root, else as ourselves. */
function asServerUser(file, args) {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

function escapeLiteral(text) {
  return `'${String(text).replace(/'/g, "''")}'`;
}

/**
 * Starts the server and prepares the database. Options:
 *   timezone   the server's TimeZone (default 'UTC'), to check that nothing depends on it
 *   migrate    false to stop after the shim (default true)
 * Returns `{ url, port, timings, query, transaction, createUser, stop }`; see below.
 */
export async function startPostgres({ timezone = 'UTC', migrate = true } = {}) {
  const bin = serverBin();
  const started = performance.now();
  const timings = {};
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-pg-'));
  const data = path.join(dir, 'data');
  let running = false;
  let pools = [];

  const stopServer = () => {
    if (running) {
      running = false;
      const [file, args] = asServerUser(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']);
      try {
        execFileSync(file, args, { stdio: 'ignore' });
      } catch {
        // Already gone: nothing to stop.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // However the test process ends, the server goes with it.
  const onExit = () => stopServer();
  const onSignal = (signal) => {
    stopServer();
    process.kill(process.pid, signal);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const stop = async () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const closing = pools;
    pools = [];
    // A connection stuck in a query must not keep the server alive: give up waiting after 2 s.
    await Promise.race([
      Promise.allSettled(closing.map((p) => p.end())),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    stopServer();
  };

  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      await chown(dir, uid, gid);
    }

    let [file, args] = asServerUser(path.join(bin, 'initdb'), [
      '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ]);
    await run(file, args);
    timings.initdb = performance.now() - started;

    const port = await freePort();
    const options = [
      `-c listen_addresses=127.0.0.1`,
      `-p ${port}`,
      `-c unix_socket_directories=${dir}`,
      `-c timezone=${timezone}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
      '-c shared_buffers=16MB -c max_connections=20',
    ].join(' ');
    [file, args] = asServerUser(path.join(bin, 'pg_ctl'), [
      'start', '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', options,
    ]);
    running = true;
    try {
      await run(file, args);
    } catch (err) {
      const log = existsSync(path.join(dir, 'server.log')) ? readFileSync(path.join(dir, 'server.log'), 'utf8') : '';
      throw new Error(`postgres did not start: ${err.message}\n${log}`);
    }
    timings.start = performance.now() - started;

    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`create database ${DATABASE}`);
    await admin.end();

    const url = `postgresql://postgres@127.0.0.1:${port}/${DATABASE}`;
    const superuser = new pg.Pool({ connectionString: url, max: 2, types: TYPES });
    const authenticator = new pg.Pool({
      host: '127.0.0.1', port, user: 'authenticator', database: DATABASE, max: 2, types: TYPES,
    });
    pools = [superuser, authenticator];

    await superuser.query(readFileSync(SHIM, 'utf8'));
    timings.shim = performance.now() - started;

    if (migrate) {
      try {
        await run(
          SUPABASE_CLI,
          ['migration', 'up', '--workdir', ROOT, '--db-url', url, '--yes'],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              PGSSLMODE: 'disable',
              SUPABASE_TELEMETRY_DISABLED: '1',
              SUPABASE_NO_UPDATE_NOTIFIER: '1',
              DO_NOT_TRACK: '1',
            },
          },
        );
      } catch (err) {
        throw new Error(`supabase migration up failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
      timings.migrate = performance.now() - started;
    }

    /**
     * Runs `fn(q)` in one transaction, where `q(sql, params)` returns pg's result. With `role`
     * ('anon' | 'authenticated' | 'service_role') it runs as PostgREST would: connected as
     * authenticator, `set local role`, and `request.jwt.claims` = { sub, role, ...claims }.
     * Without a role it runs as the superuser. Commits if `fn` resolves (rolls back instead
     * with `rollback: true`); rolls back if it throws.
     */
    const transaction = async (fn, { role, sub, claims = {}, rollback = false } = {}) => {
      if (role !== undefined && !ROLES.has(role)) throw new Error(`unknown role ${role}`);
      const client = await (role === undefined ? superuser : authenticator).connect();
      try {
        await client.query('begin');
        if (role !== undefined) {
          await client.query(`set local role ${role}`);
          const jwt = { ...(sub === undefined ? {} : { sub }), role, ...claims };
          await client.query(`select set_config('request.jwt.claims', ${escapeLiteral(JSON.stringify(jwt))}, true)`);
        }
        const result = await fn((sql, params) => client.query(sql, params));
        await client.query(rollback ? 'rollback' : 'commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    };

    /** One statement in its own transaction; options as for `transaction`. */
    const query = (sql, params = [], options = {}) => transaction((q) => q(sql, params), options);

    /** A user in auth.users (as Supabase Auth would create at sign-up); returns its id. */
    const createUser = async (email) => {
      const { rows } = await superuser.query(
        'insert into auth.users (id, email) values (gen_random_uuid(), $1) returning id',
        [email],
      );
      return rows[0].id;
    };

    timings.total = performance.now() - started;
    return { url, port, timings, query, transaction, createUser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A UTC day of `ms`, as `YYYY-MM-DD`. */
export const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/**
 * The server's clock as the ops views see it, for seeding rows: `now` (ms), `today` and
 * `yesterday` (00:00 UTC), `todayAt(fraction)` (a time between today's midnight and now)
 * and `at(ms)` (a Date).
 */
export async function serverDays(q) {
  const now = (await q('select now() as now')).rows[0].now.getTime();
  const today = Math.floor(now / DAY) * DAY;
  return {
    now,
    today,
    yesterday: today - DAY,
    todayAt: (fraction) => new Date(today + Math.floor((now - today) * fraction)),
    at: (ms) => new Date(ms),
  };
}
