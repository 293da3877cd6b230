// The deploy, checked offline: `wrangler deploy --dry-run` over the deployed config (the
// built worker and the built app; target/wrangler.local.toml is wrangler.toml without its
// build step) packs the Worker and reads the app as its static assets, and what it would
// upload fits the platform's limits — reported beside them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { DEFAULT_CONFIG, ROOT } from './support/worker.mjs';

const MIB = 1024 * 1024;
/** Workers: the compressed (gzip) size of the Worker, per plan; static assets per version. */
const LIMITS = { workerFree: 3 * MIB, workerPaid: 10 * MIB, assetFiles: 20_000, assetFileBytes: 25 * MIB };
const ASSETS = path.join(ROOT, 'target', 'web-ui-dist');

const outdir = mkdtempSync(path.join(os.tmpdir(), 'ferry-deploy-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

/** Files of the assets directory as wrangler uploads them: not `_headers`, not ignored ones. */
function assetFiles() {
  const ignored = new Set(
    readFileSync(path.join(ASSETS, '.assetsignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const walk = (dir, prefix = '') =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return walk(path.join(dir, entry.name), rel);
      if (['_headers', '_redirects', '.assetsignore'].includes(rel) || ignored.has(rel)) return [];
      return [{ rel, bytes: statSync(path.join(dir, entry.name)).size }];
    });
  return walk(ASSETS);
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

describe('wrangler deploy --dry-run (offline)', () => {
  it('packs the Worker with its bindings and the app as assets, within the platform limits', (t) => {
    const run = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'wrangler'),
      ['deploy', '--dry-run', '--config', DEFAULT_CONFIG, '--outdir', outdir],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      },
    );
    const log = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, log);
    assert.match(log, /--dry-run: exiting now/, log);
    for (const binding of ['env.LIMITS (LimitsObject)', 'env.USAGE (ferry-usage)']) {
      assert.ok(log.includes(binding), `${binding} in:\n${log}`);
    }
    const files = assetFiles();
    const read = log.match(/Read (\d+) files? from the assets directory/);
    assert.ok(read, `wrangler read the app as assets:\n${log}`);
    assert.ok(files.some((f) => f.rel === 'index.html'), 'the app is built (scripts/build-ui.sh)');
    assert.ok(!files.some((f) => f.rel === 'ferry-config.json'), 'ferry-config.json is never uploaded');

    // The Worker as packed: wrangler's own count, and ours of the files it wrote.
    const total = log.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
    assert.ok(total, `wrangler reports the upload's size:\n${log}`);
    const packed = readdirSync(outdir).filter((f) => !f.endsWith('.map') && !f.endsWith('.md'));
    assert.ok(packed.some((f) => f.endsWith('.wasm')) && packed.includes('index.js'), packed.join(', '));
    const gzip = packed.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(outdir, f))).length, 0);
    const largest = files.reduce((a, b) => (b.bytes > a.bytes ? b : a));

    t.diagnostic(`Worker: ${total[2]} KiB gzip by wrangler (${kib(gzip)} by gzip -6) — limit 3 MiB Free, 10 MiB Paid`);
    t.diagnostic(`Assets: ${files.length} files — limit ${LIMITS.assetFiles}`);
    t.diagnostic(`Largest asset: ${largest.rel}, ${kib(largest.bytes)} — limit 25 MiB a file`);

    assert.ok(Number(total[2]) * 1024 < LIMITS.workerFree, `${total[2]} KiB gzip within the Free plan's 3 MiB`);
    assert.ok(gzip < LIMITS.workerFree, `${kib(gzip)} within 3 MiB`);
    assert.ok(files.length <= LIMITS.assetFiles);
    assert.ok(largest.bytes <= LIMITS.assetFileBytes, `${largest.rel}: ${kib(largest.bytes)}`);
  });
});
