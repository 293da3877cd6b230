// Runs the proxy worker for local use, in workerd through Miniflare — the proxy and, from the
// config's [assets], the app on the same origin, as deployed — with two things a local run
// needs and `wrangler dev` cannot give:
//
//   - Public addresses only. Every fetch the worker makes goes through a workerd network
//     service with `allow = ["public"]`: loopback, private, link-local and other non-public
//     addresses are refused by the runtime itself, on the address it actually connects to
//     (after DNS), so a page cannot use the local proxy to read this machine or its LAN.
//     `wrangler dev` (4.x) always sends the worker's fetches through Miniflare's own
//     "internet" service, which allows private addresses, and has no option to change it.
//   - CORS for no other page: the app served here is same-origin and needs none, so
//     ALLOWED_ORIGINS is empty; with `--app-port` (an app served elsewhere on this machine)
//     it is http://127.0.0.1:APP_PORT and http://localhost:APP_PORT, never `*`.
//
// Everything else comes from the same wrangler config `wrangler dev` reads (bindings, Durable
// Objects, queues, [vars]), through wrangler's own `unstable_getMiniflareWorkerOptions`.
//
// Usage: node scripts/dev-worker.mjs [--port 8787] [--app-port PORT] [--ip 127.0.0.1]
//          [--config target/wrangler.local.toml] [--var KEY:VALUE ...]
// `--var` sets a variable over the config's [vars] (AUTH_MODE and ALLOWED_ORIGINS included).
// Runs until interrupted.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { Log, LogLevel, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The outbound network of the local worker: public addresses only. */
const PUBLIC_ONLY = { network: { allow: ['public'], deny: [], tlsOptions: { trustBrowserCas: true } } };

/** The variables a local run sets over the config's [vars]. */
function localVars(appPort) {
  return {
    AUTH_MODE: 'none',
    ALLOWED_ORIGINS: appPort ? `http://127.0.0.1:${appPort},http://localhost:${appPort}` : '',
  };
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8787' },
      'app-port': { type: 'string' },
      ip: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string', default: 'target/wrangler.local.toml' },
      var: { type: 'string', multiple: true, default: [] },
    },
  });
  const vars = {};
  for (const pair of values.var) {
    const at = pair.indexOf(':');
    if (at <= 0) throw new Error(`--var wants KEY:VALUE, got ${pair}`);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { ...values, vars };
}

const args = parse(process.argv.slice(2));
const config = path.resolve(ROOT, args.config);
const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config);

const mf = new Miniflare({
  host: args.ip,
  port: Number(args.port),
  log: new Log(LogLevel.INFO),
  // Request.cf: a built-in stand-in rather than a lookup at Cloudflare.
  cf: false,
  ...workerOptions,
  name: 'ferry-proxy',
  modules: true,
  scriptPath: path.resolve(path.dirname(config), main),
  bindings: { ...workerOptions.bindings, ...localVars(args['app-port']), ...args.vars },
  outboundService: PUBLIC_ONLY,
});

const url = await mf.ready;
console.log(`Ferry proxy (local, public outbound only) on ${url.origin}`);

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
