// Two other LLM gateways for bench/peers.mjs, installed on first use into target/bench-peers/
// (outside the repo's dependencies: together about 800 MB) and started as child processes on
// loopback, in front of the bench's mock provider:
//
//   Portkey's gateway   npm @portkey-ai/gateway, a Node server (Hono on @hono/node-server)
//   LiteLLM's proxy     PyPI litellm[proxy], one uvicorn worker
//
// Versions are pinned in PEERS. An install or start that fails is reported and the peer left
// out; it never fails the bench.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { KEY } from './proxy-targets.mjs';
import { ROOT, freePort } from '../tests/e2e/support/worker.mjs';

export const PEERS_DIR = path.join(ROOT, 'target', 'bench-peers');

export const PEERS = {
  portkey: {
    version: '1.15.2',
    // 1.15.2 with the @hono/node-server npm resolves (1.19.x, also 1.14.2) answers every
    // stream with a 500 "immutable": its Response keeps the upstream's immutable Headers and
    // the gateway then adds its own (Portkey-AI/gateway#1389). 1.14.1 predates that.
    honoNodeServer: '1.14.1',
  },
  // Newer releases need litellm-proxy / litellm-proxy-extras versions the package index lacks.
  litellm: { version: '1.108.7' },
};

/** Runs a command to the end, its output appended to `log`; resolves to its exit code. */
async function run(command, args, { cwd, log }) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  const [code] = await once(child, 'exit');
  writeFileSync(log, Buffer.concat(out), { flag: 'a' });
  return code;
}

function lastLines(file, n = 5) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
}

function versionOf(packageJson) {
  try {
    return JSON.parse(readFileSync(packageJson, 'utf8')).version;
  } catch {
    return null;
  }
}

/** Installs Portkey's gateway unless the pinned versions are there; resolves to its entry point. */
async function installPortkey(say) {
  const dir = path.join(PEERS_DIR, 'portkey');
  const modules = path.join(dir, 'node_modules');
  const entry = path.join(modules, '@portkey-ai', 'gateway', 'build', 'start-server.js');
  const installed = () =>
    versionOf(path.join(modules, '@portkey-ai', 'gateway', 'package.json')) === PEERS.portkey.version &&
    versionOf(path.join(modules, '@hono', 'node-server', 'package.json')) === PEERS.portkey.honoNodeServer;
  if (installed()) return entry;
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'ferry-bench-portkey',
    private: true,
    dependencies: { '@portkey-ai/gateway': PEERS.portkey.version },
    overrides: { '@hono/node-server': PEERS.portkey.honoNodeServer },
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const log = path.join(dir, 'install.log');
  say(`installing @portkey-ai/gateway@${PEERS.portkey.version} into ${path.relative(ROOT, dir)} (log: install.log)`);
  const code = await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, log });
  if (code !== 0 || !installed()) throw new Error(`npm install failed (${code}):\n${lastLines(log)}`);
  return entry;
}

/** Installs LiteLLM's proxy in a venv unless the pinned version is there; resolves to its CLI. */
async function installLitellm(say) {
  const dir = path.join(PEERS_DIR, 'litellm');
  const venv = path.join(dir, 'venv');
  const cli = path.join(venv, 'bin', 'litellm');
  const installed = () => {
    const lib = path.join(venv, 'lib');
    if (!existsSync(cli) || !existsSync(lib)) return false;
    return readdirSync(lib).some((python) =>
      existsSync(path.join(lib, python, 'site-packages', `litellm-${PEERS.litellm.version}.dist-info`)),
    );
  };
  if (installed()) return cli;
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'install.log');
  say(`installing litellm[proxy]==${PEERS.litellm.version} into ${path.relative(ROOT, venv)} (minutes; log: install.log)`);
  let code = existsSync(path.join(venv, 'bin', 'pip')) ? 0 : await run('python3', ['-m', 'venv', venv], { cwd: dir, log });
  if (code === 0) {
    const pip = path.join(venv, 'bin', 'pip');
    code = await run(pip, ['install', '--disable-pip-version-check', `litellm[proxy]==${PEERS.litellm.version}`], { cwd: dir, log });
  }
  if (code !== 0 || !installed()) throw new Error(`pip install failed (${code}):\n${lastLines(log)}`);
  return cli;
}

/** The environment a peer runs in: ours without proxies or keys it might pick up. */
function peerEnv(extra) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/_proxy$|^(OPENAI|ANTHROPIC|GEMINI|LITELLM_MASTER)_/i.test(name) || name === 'DATABASE_URL') delete env[name];
  }
  return { ...env, ...extra };
}

/**
 * Starts a peer's process and waits until `ready` answers 200; resolves to { url, stop }.
 * Its output goes to `log`; the whole process group is ended on stop.
 */
async function startProcess({ command, args, env, cwd, log, url, ready, timeoutMs }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = signal ?? code;
  });
  const stop = async () => {
    writeFileSync(log, Buffer.concat(out));
    if (exited !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5000);
    await once(child, 'exit');
    clearTimeout(killer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      await stop();
      throw new Error(`exited (${exited}) before it was ready:\n${lastLines(log)}`);
    }
    try {
      const res = await fetch(`${url}${ready}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { url, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`not ready after ${timeoutMs / 1000} s:\n${lastLines(log)}`);
}

/**
 * Portkey's gateway on a free port, for OpenAI-format requests to the mock; resolves to
 * { url, version, request(body), stop }. It has no host flag and listens on all interfaces.
 */
export async function startPortkey(mockUrl, say) {
  const entry = await installPortkey(say);
  const port = await freePort();
  const dir = path.join(PEERS_DIR, 'portkey');
  const server = await startProcess({
    command: process.execPath,
    args: [entry, `--port=${port}`, '--headless'],
    env: peerEnv({ NODE_ENV: 'production' }),
    cwd: dir,
    log: path.join(dir, 'server.log'),
    url: `http://127.0.0.1:${port}`,
    ready: '/',
    timeoutMs: 60_000,
  });
  return {
    ...server,
    version: PEERS.portkey.version,
    request: (body) => ({
      url: `${server.url}/v1/chat/completions`,
      headers: {
        'content-type': 'application/json',
        'x-portkey-provider': 'openai',
        // The base URL; the gateway appends /chat/completions. Loopback is trusted by default.
        'x-portkey-custom-host': `${mockUrl}/openai/v1`,
        authorization: `Bearer ${KEY}`,
      },
      body: JSON.stringify(body),
    }),
  };
}

/**
 * LiteLLM's proxy with one worker, every model name routed to the mock's OpenAI API;
 * resolves to { url, version, request(body), stop }. Its import alone takes 15–30 s of CPU.
 */
export async function startLitellm(mockUrl, say) {
  const cli = await installLitellm(say);
  const dir = path.join(PEERS_DIR, 'litellm');
  // JSON is YAML: the config needs the mock's URL, known only now. The provider key is the
  // mock's, not a secret.
  const config = {
    model_list: [{ model_name: '*', litellm_params: { model: 'openai/*', api_base: `${mockUrl}/openai/v1`, api_key: KEY } }],
    litellm_settings: { telemetry: false, callbacks: [] },
  };
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const port = await freePort();
  const server = await startProcess({
    command: cli,
    args: ['--config', configFile, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
    env: peerEnv({
      // 1.108.7 refuses to start without a master key. Ferry's plain rows run with
      // AUTH_MODE=none and Portkey checks nothing, so LiteLLM runs without one too, as its own
      // escape hatch allows (on loopback only), rather than check a key on every request.
      LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY: 'true',
      // Else it fetches the model cost map from GitHub at every start.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      DISABLE_ADMIN_UI: 'True',
      NO_DOCS: 'True',
      LITELLM_DONT_SHOW_FEEDBACK_BOX: 'True',
      LITELLM_LOG: 'ERROR',
    }),
    cwd: dir,
    log: path.join(dir, 'server.log'),
    url: `http://127.0.0.1:${port}`,
    ready: '/health/liveliness',
    timeoutMs: 180_000,
  });
  return {
    ...server,
    version: PEERS.litellm.version,
    request: (body) => ({
      url: `${server.url}/v1/chat/completions`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  };
}
