// Real MCP peers for the tests: the official reference server (npm
// `@modelcontextprotocol/server-everything`, Streamable HTTP mode) on a free loopback port,
// and a recording front that forwards to any server as it streams, optionally without CORS.
//
//   startEverything()          → { url, port, stop() }   url = http://127.0.0.1:<port>/mcp
//   startOAuthDemo()           → { url, authUrl, port, authPort, stop() }
//                                the SDK's demo server behind OAuth (`--oauth --oauth-strict`:
//                                `--oauth-strict` alone does NOT turn OAuth on)
//   startFront(target, {cors}) → { url, port, requests, messages, clear(), stop() }
//
// The front records every request it receives — method, path, headers (lower-case names),
// the JSON-RPC body — with arrival times (performance.now(), so comparable with the test's
// own clock), and forwards it to `target` chunk by chunk in both directions (no buffering).
// With `cors: false` it strips every Access-Control-* header from answers and answers
// OPTIONS itself with 204 and no CORS headers, so a browser refuses direct calls.

import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
export const OAUTH_DEMO = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'sdk',
  'dist',
  'esm',
  'examples',
  'server',
  'simpleStreamableHttp.js',
);

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts server-everything in Streamable HTTP mode on a free port and waits until it listens.
 * Its chatter on stdout is dropped; stderr is kept (`log()`) for failures.
 */
export async function startEverything({ attempts = 3 } = {}) {
  let lastError;
  for (let i = 0; i < attempts; i += 1) {
    const port = await freePort();
    try {
      return await launch(port);
    } catch (err) {
      lastError = err; // most likely the port was taken in between: try another
    }
  }
  throw lastError;
}

function launch(port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server-everything did not listen within 20 s:\n${stderr}`));
    }, 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      stderr += text;
      if (!ready && stderr.includes(`listening on port ${port}`)) {
        ready = true;
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${port}/mcp`,
          port,
          child,
          log: () => stderr,
          stop: () => stopChild(child),
        });
      }
    });
    child.once('exit', (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`server-everything exited (${code}) before listening:\n${stderr}`));
      }
    });
  });
}

/**
 * Starts the official SDK's demo MCP server with its demo authorization server, strict about
 * the token's resource (RFC 8707), on two free ports, and waits until both listen. The MCP
 * endpoint is `http://localhost:<port>/mcp` (its Host check takes localhost and 127.0.0.1);
 * the authorization server is `http://localhost:<authPort>`.
 */
export async function startOAuthDemo({ attempts = 3 } = {}) {
  let lastError;
  for (let i = 0; i < attempts; i += 1) {
    const [port, authPort] = [await freePort(), await freePort()];
    if (port === authPort) continue;
    try {
      return await launchOAuthDemo(port, authPort);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function launchOAuthDemo(port, authPort) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OAUTH_DEMO, '--oauth', '--oauth-strict'], {
      env: { ...process.env, MCP_PORT: String(port), MCP_AUTH_PORT: String(authPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let ready = false;
    const keep = (text) => {
      // Kept for failures, bounded: the demo logs every request body.
      if (output.length < 1_000_000) output += text;
      if (
        !ready &&
        output.includes(`MCP Streamable HTTP Server listening on port ${port}`) &&
        output.includes(`OAuth Authorization Server listening on port ${authPort}`)
      ) {
        ready = true;
        clearTimeout(timer);
        resolve({
          url: `http://localhost:${port}/mcp`,
          authUrl: `http://localhost:${authPort}`,
          port,
          authPort,
          child,
          log: () => output,
          stop: () => stopChild(child),
        });
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the OAuth demo did not listen within 20 s:\n${output}`));
    }, 20_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`the OAuth demo exited (${code}) before listening:\n${output}`));
      }
    });
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// Headers that belong to one connection, never forwarded.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * A recording HTTP front on 127.0.0.1 that forwards every request to `target` (an MCP
 * endpoint URL; the front's own path is replayed against the target's origin, so `url` is
 * the target's path on the front). `requests` holds
 * `{ method, path, headers, body, raw, startedAt, at, status, answeredAt, closedAt }`:
 * `startedAt` when the request line arrived, `at` when its body ended, `body` the parsed
 * JSON (null if none or not JSON), `status`/`answeredAt` once the target answered,
 * `closedAt` once the answer ended or its caller went away. `messages` lists every
 * JSON-RPC message received (a batch counts each), as `{ ...message, at }`.
 */
export async function startFront(target, { cors = true } = {}) {
  const upstream = new URL(target);
  const requests = [];
  const messages = [];
  const server = http.createServer((req, res) => {
    const record = {
      method: req.method,
      path: req.url,
      headers: { ...req.headers },
      body: null,
      raw: '',
      startedAt: performance.now(),
      at: null,
      status: null,
      answeredAt: null,
      closedAt: null,
    };
    requests.push(record);
    res.on('close', () => {
      record.closedAt = performance.now();
    });
    if (!cors && req.method === 'OPTIONS') {
      req.resume();
      record.at = performance.now();
      record.status = 204;
      record.answeredAt = record.at;
      res.writeHead(204, { 'content-length': '0' });
      res.end();
      return;
    }
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP.has(name)) headers[name] = value;
    }
    headers.host = upstream.host;
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        record.status = answer.statusCode;
        record.answeredAt = performance.now();
        const back = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (HOP.has(name)) continue;
          if (!cors && name.startsWith('access-control-')) continue;
          back[name] = value;
        }
        res.writeHead(answer.statusCode, back);
        res.flushHeaders();
        answer.on('data', (chunk) => res.write(chunk));
        answer.on('end', () => res.end());
        answer.on('error', () => res.destroy());
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`front: ${err.message}`);
      } else {
        res.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    const chunks = [];
    req.on('data', (chunk) => {
      chunks.push(chunk);
      out.write(chunk);
    });
    req.on('end', () => {
      record.at = performance.now();
      record.raw = Buffer.concat(chunks).toString('utf8');
      if (record.raw) {
        try {
          record.body = JSON.parse(record.raw);
        } catch {
          record.body = null;
        }
      }
      for (const message of [record.body].flat()) {
        if (message && typeof message === 'object' && message.jsonrpc) messages.push({ ...message, at: record.at });
      }
      out.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}${upstream.search}`,
    port,
    requests,
    messages,
    clear() {
      requests.length = 0;
      messages.length = 0;
    },
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
