// The proxy with a Supabase behind it: a real PostgreSQL with Ferry's migrations, the
// PostgREST stand-in over it, the mock provider, and the worker under `wrangler dev` with
// AUTH_MODE=supabase, its usage queue and its cron trigger.

import { startPostgres } from '../../db/support/postgres.mjs';
import { startMockProvider } from './mock-provider.mjs';
import { apiKey, startPostgrest } from './postgrest.mjs';
import { claims, hs256 } from './tokens.mjs';
import { configVariant, mockVars, startWorker } from './worker.mjs';

export const JWT_SECRET = 'supabase-test-jwt-secret-with-32-chars-or-more';

/**
 * Starts everything; `vars` add to the worker's. The worker's queue batches after 1 s and
 * retries after 1 s here (production waits longer), and `/__scheduled` runs its cron.
 */
export async function startSupabaseStack({ vars = {} } = {}) {
  const started = [];
  try {
    const db = await startPostgres();
    started.push(db);
    const rest = await startPostgrest({ db, jwtSecret: JWT_SECRET });
    started.push(rest);
    const mock = await startMockProvider();
    started.push({ stop: () => mock.close() });
    const config = configVariant('supabase', (text) =>
      text.replace(/^max_batch_timeout = \d+$/m, 'max_batch_timeout = 1').replace(/^retry_delay = \d+$/m, 'retry_delay = 1'),
    );
    const worker = await startWorker({
      config,
      args: ['--test-scheduled'],
      vars: {
        ...mockVars(mock.url),
        AUTH_MODE: 'supabase',
        SUPABASE_URL: rest.url,
        SUPABASE_JWT_SECRET: JWT_SECRET,
        SUPABASE_SERVICE_ROLE_KEY: apiKey(JWT_SECRET, { role: 'service_role', iss: 'supabase' }),
        ...vars,
      },
    });
    started.push(worker);
    return {
      db,
      rest,
      mock,
      worker,
      url: worker.url,
      /** A new user in auth.users and an access token for them. */
      async user(email = `user-${Math.random().toString(36).slice(2)}@example.test`) {
        const id = await db.createUser(email);
        return { id, token: hs256(JWT_SECRET, claims(rest.url, { sub: id })) };
      },
      async stop() {
        for (const part of started.reverse()) await part.stop();
      },
    };
  } catch (err) {
    for (const part of started.reverse()) await part.stop().catch(() => {});
    throw err;
  }
}

/** Polls `check()` until it returns a truthy value, or fails after `timeoutMs`. */
export async function eventually(check, { timeoutMs = 20_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
