// Headless Debian Chromium driven by playwright-core (never a downloaded browser), and a
// loopback static server for the pages under test.

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { sendFile } from '../../../scripts/serve-app.mjs';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser profile; `stop()` closes it and removes the profile. */
export async function startBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async page() {
      return context.newPage();
    },
    async stop() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Serves `routes` (path → { type, body, status? }) and files under `mounts` (URL prefix → directory)
 * on 127.0.0.1 — a secure context, as IndexedDB and Web Crypto need. `requested` lists the
 * paths asked for.
 */
export async function startStatic({ routes = {}, mounts = {} } = {}) {
  const requested = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://static.invalid');
    requested.push(url.pathname);
    const route = routes[url.pathname];
    if (route) {
      res.writeHead(route.status ?? 200, { 'content-type': route.type }).end(route.body);
      return;
    }
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (!url.pathname.startsWith(prefix)) continue;
      await sendFile(res, dir, url.pathname.slice(prefix.length));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Paths requested so far, in order. */
    requested,
    stop: () => new Promise((r) => server.close(r)),
  };
}
