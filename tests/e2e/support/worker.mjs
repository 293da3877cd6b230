// Runs the proxy worker under `wrangler dev --local` from the prebuilt bundle that the build
// script writes (target/wrangler.local.toml, a config without a [build] step), waits until
// it answers /health, and stops its whole process group afterwards.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// FERRY_E2E_WRANGLER_CONFIG runs the suite against another config (absolute or repo-relative).
export const DEFAULT_CONFIG = process.env.FERRY_E2E_WRANGLER_CONFIG || 'target/wrangler.local.toml';
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const READY_TIMEOUT_MS = 60_000;

/** Core's provider registry (core/providers.json, which a core test keeps equal to it). */
export const REGISTRY = JSON.parse(readFileSync(path.join(ROOT, 'core', 'providers.json'), 'utf8'));

/** All providers of the contract, by id. */
export const PROVIDERS = REGISTRY.map((p) => p.id);

/** Where each wire format lives on the mock: the OpenAI-format providers share its OpenAI routes. */
const MOCK_ROUTES = { openai: 'openai/v1', anthropic: 'anthropic', google: 'google' };

/** Vars that point every provider at the mock, with no auth and open CORS. */
export function mockVars(mockUrl) {
  const vars = {};
  for (const { env_prefix, wire } of REGISTRY) {
    vars[`${env_prefix}_BASE_URL`] = `${mockUrl}/${MOCK_ROUTES[wire]}`;
  }
  return {
    ...vars,
    BRAVE_BASE_URL: `${mockUrl}/brave`,
    TAVILY_BASE_URL: `${mockUrl}/tavily`,
    AUTH_MODE: 'none',
    ALLOWED_ORIGINS: '*',
    // Each test file sends more than the default 20 requests a minute from one address.
    RATE_LIMIT_PER_MINUTE: '100000',
    DAILY_TOKEN_QUOTA: '100000000',
  };
}

/**
 * A variant of the local worker config for a test: `edit(text) → text`, written next to it
 * under `name`. Returns the repo-relative path to pass as `config`.
 */
export function configVariant(name, edit) {
  const base = readFileSync(path.join(ROOT, DEFAULT_CONFIG), 'utf8');
  const file = path.join('target', `wrangler.${name}.toml`);
  writeFileSync(path.join(ROOT, file), edit(base));
  return file;
}

/** A port nobody listens on right now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Process groups still running, killed if the test process exits without stopping them.
const running = new Set();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `wrangler dev` with `vars` as `--var KEY:VALUE`. Its state (Durable Objects,
 * caches) is fresh unless `persistTo` names a directory, which an earlier instance may have
 * written and which outlives this one.
 * Returns `{ url, logs(), stop() }`; throws with the captured log if /health never answers.
 */
export async function startWorker({ vars = {}, port, config = DEFAULT_CONFIG, args = [], persistTo } = {}) {
  try {
    return await launch({ vars, port, config, args, persistTo });
  } catch (err) {
    // Wrangler's launcher exits 0 without a word when its inner process dies of a signal
    // during start-up; that has been seen once in a long run, so it gets one more try.
    if (!err.exitedEarly) throw err;
    return launch({ vars, port, config, args, persistTo });
  }
}

async function launch({ vars, port, config, args: extra, persistTo }) {
  const httpPort = port ?? (await freePort());
  const inspectorPort = await freePort();
  // A fresh state directory per instance: no cache entries or counters from earlier runs.
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ferry-e2e-'));
  const args = [
    'dev',
    '--config',
    config,
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(httpPort),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    persistTo ?? path.join(stateDir, 'state'),
    '--show-interactive-dev-session=false',
  ];
  for (const [key, value] of Object.entries(vars)) {
    args.push('--var', `${key}:${value}`);
  }
  args.push(...extra);

  let log = '';
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      WRANGLER_LOG_PATH: path.join(stateDir, 'logs'),
    },
  });
  running.add(child.pid);
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  // FERRY_DEBUG_LOG=1 shows the worker's log as it comes, to debug a test.
  const take = (text) => {
    log += text;
    if (process.env.FERRY_DEBUG_LOG) process.stderr.write(text);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child.pid);
      resolve(exited);
    });
  });

  const url = `http://127.0.0.1:${httpPort}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000);
      await exit;
      clearTimeout(timer);
    }
    // wrangler's launcher can go before its children (the CLI process, workerd): sweep the group.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
    running.delete(child.pid);
    rmSync(stateDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      const err = new Error(
        `wrangler dev exited (${JSON.stringify(exited)}) before ${url}/health answered\n--- log ---\n${log}`,
      );
      err.exitedEarly = true;
      throw err;
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${url}/health did not answer within ${READY_TIMEOUT_MS / 1000} s\n--- log ---\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  /** Waits until the log matches `pattern` (lines reach the log a moment after the response). */
  async function waitForLog(pattern, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(log) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return pattern.test(log);
  }
  return { url, port: httpPort, logs: () => log, waitForLog, stop };
}
