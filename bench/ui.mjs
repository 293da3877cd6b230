// The app in headless Chromium: cold load, bundle sizes, and rendering a long session.
//
//   bash scripts/build-ui.sh && node bench/ui.mjs
//
// - cold load (a fresh profile each run, so nothing cached): first contentful paint, and
//   interactive = the agent loaded and the settings read (the app's `ferry-ready` mark);
//   median of runs;
// - bundles, gzip: what first paint needs (HTML, CSS, the app's JS and wasm), then the
//   agent module (loaded right after) and the tokenizer (only when a count needs it);
// - a 1,000-message session: from the click on it to all messages in the page.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { exportDocument } from '../tests/e2e/support/export.mjs';
import { DIST } from '../tests/ui/support/app.mjs';

const RUNS = 7;
const MESSAGES = 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const longSession = () =>
  exportDocument({
    title: 'Long session',
    count: MESSAGES,
    text: (i, role) =>
      role === 'assistant'
        ? `Answer ${i} with **bold**, \`code\` and a list:\n\n- one\n- two\n\n\`\`\`rust\nfn f() -> u32 { ${i} }\n\`\`\``
        : `Question ${i}: ${'lorem ipsum '.repeat(8)}`,
  });

const site = await startStatic({
  routes: { '/ferry-config.json': { type: 'application/json', body: '{"provider":"mistral","model":"m"}' } },
  mounts: { '/': DIST },
});
try {
  const paints = [];
  const ready = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = await startBrowser();
    try {
      const page = await browser.page();
      await page.goto(`${site.url}/`);
      await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0, null, { timeout: 30_000 });
      const timing = await page.evaluate(() => ({
        paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
        ready: performance.getEntriesByName('ferry-ready')[0].startTime,
      }));
      paints.push(timing.paint);
      ready.push(timing.ready);
    } finally {
      await browser.stop();
    }
  }

  const browser = await startBrowser();
  let render;
  try {
    const page = await browser.page();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    await page.getByRole('dialog', { name: 'Settings' }).getByLabel('Import file').setInputFiles({
      name: 'long.json',
      mimeType: 'application/json',
      buffer: Buffer.from(longSession()),
    });
    await page.getByRole('status').filter({ hasText: 'Imported 1 chats' }).waitFor();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    const runs = [];
    for (let i = 0; i < 3; i++) {
      await page.getByRole('button', { name: 'New chat' }).click();
      await page.waitForFunction(() => document.querySelectorAll('article').length === 0);
      runs.push(
        await page.evaluate(async (count) => {
          const button = [...document.querySelectorAll('.session-open')].find((b) => b.textContent.includes('Long session'));
          const t0 = performance.now();
          button.click();
          while (document.querySelectorAll('article').length < count) {
            await new Promise((r) => requestAnimationFrame(r));
          }
          return performance.now() - t0;
        }, MESSAGES),
      );
    }
    render = runs;
  } finally {
    await browser.stop();
  }

  const files = readdirSync(DIST);
  const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
  const sum = (paths) => paths.reduce((n, f) => n + gz(f), 0);
  const first = files.filter((f) => /\.(html|css|js|wasm)$/.test(f)).map((f) => path.join(DIST, f));
  const agentDir = path.join(DIST, 'web-agent-pkg');
  const agent = ['web_agent.js', 'web_agent_bg.wasm'].map((f) => path.join(agentDir, f));
  const tokenizer = ['ferry_tokenizer.js', 'ferry_tokenizer_bg.wasm', 'tokenizer-worker.js'].map((f) => path.join(agentDir, f));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`cold load, median of ${RUNS} fresh profiles: first contentful paint ${median(paints).toFixed(0)} ms, interactive (agent loaded) ${median(ready).toFixed(0)} ms`);
  console.log(`first paint bundle (HTML + CSS + app JS + app wasm), gzip: ${kb(sum(first))}  [${first.map((f) => `${path.basename(f)} ${kb(gz(f))}`).join(', ')}]`);
  console.log(`agent module (after first paint), gzip: ${kb(sum(agent))}; tokenizer (on first count), gzip: ${kb(sum(tokenizer))}`);
  console.log(`render a ${MESSAGES}-message session (click → all in the page): median ${median(render).toFixed(0)} ms of ${render.length} (${render.map((r) => r.toFixed(0)).join(', ')})`);
} finally {
  await site.stop();
}
