// The app in headless Chromium: cold load, bundle sizes, and rendering a long session.
//
//   bash scripts/build-ui.sh && node bench/ui.mjs
//
// - cold load (a fresh profile each run, so nothing cached): first contentful paint, and
//   interactive = the agent loaded and the settings read (the app's `ferry-ready` mark);
//   median of runs;
// - bundles, gzip: what first paint needs (HTML, CSS, the app's JS and wasm), against the
//   250 KB goal (ARCHITECTURE.md), then the agent module (loaded right after) and the
//   tokenizer (only when a count needs it);
// - a 1,000-message session: from the click on it to all messages in the page;
// - a turn streamed into that session (the worker under `wrangler dev` and the mock's slow
//   answer, five deltas): the page's main-thread time over the whole turn (Chromium's
//   TaskDuration), median of 3 turns.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { exportDocument } from '../tests/e2e/support/export.mjs';
import { DIST, openApp } from '../tests/ui/support/app.mjs';

const RUNS = 7;
const MESSAGES = 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Imports the long session through Settings and opens it. */
async function openLongSession(page) {
  const settings = page.getByRole('dialog', { name: 'Settings' });
  if (!(await settings.isVisible())) await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await settings.getByLabel('Import file').setInputFiles({
    name: 'long.json',
    mimeType: 'application/json',
    buffer: Buffer.from(longSession()),
  });
  await page.getByRole('status').filter({ hasText: 'Imported 1 chats' }).waitFor();
  await page.getByRole('button', { name: 'Close', exact: true }).click();
}

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
    await openLongSession(page);
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

  // The whole long session goes with each call: above the proxy's default body limit.
  const { app, ferry } = await openApp({ configure: { model: 'slow-1' }, vars: { MAX_BODY_BYTES: '8388608' } });
  const turns = [];
  try {
    await openLongSession(ferry.page);
    await ferry.page.getByRole('button', { name: 'Long session', exact: true }).click();
    await ferry.page.waitForFunction((count) => document.querySelectorAll('article').length >= count, MESSAGES);
    const cdp = await ferry.page.context().newCDPSession(ferry.page);
    await cdp.send('Performance.enable');
    const busy = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
    for (let i = 0; i < 3; i++) {
      const answers = await ferry.answers.count();
      const t0 = await busy();
      await ferry.send(`Count for me, ${i}`);
      await ferry.answers.nth(answers).getByText('one two three four five').waitFor();
      await ferry.idle();
      // The settled session comes back after the turn: wait for its ids (Edit on the question).
      await ferry.questions.last().getByRole('button', { name: 'Edit', exact: true }).waitFor();
      turns.push((await busy()) - t0);
    }
  } finally {
    await app.stop();
  }

  const files = readdirSync(DIST);
  const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
  const sum = (paths) => paths.reduce((n, f) => n + gz(f), 0);
  // The MCP OAuth callback page opens only in a sign-in popup: not first paint. Nor is the
  // service worker, registered once the agent has loaded.
  const first = files
    .filter((f) => /\.(html|css|js|wasm)$/.test(f) && !f.startsWith('mcp-oauth.') && f !== 'sw.js')
    .map((f) => path.join(DIST, f));
  const agentDir = path.join(DIST, 'web-agent-pkg');
  const agent = ['web_agent.js', 'web_agent_bg.wasm'].map((f) => path.join(agentDir, f));
  // What a gpt-4o-family model's first count fetches: the worker and the o200k module.
  const tokenizer = ['ferry_tokenizer_o200k.js', 'ferry_tokenizer_o200k_bg.wasm', 'tokenizer-worker.js'].map((f) =>
    path.join(agentDir, f),
  );
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`cold load, median of ${RUNS} fresh profiles: first contentful paint ${median(paints).toFixed(0)} ms, interactive (agent loaded) ${median(ready).toFixed(0)} ms`);
  console.log(`first paint bundle (HTML + CSS + app JS + app wasm), gzip: ${kb(sum(first))}  [${first.map((f) => `${path.basename(f)} ${kb(gz(f))}`).join(', ')}]`);
  const GOAL_KB = 250;
  const firstKb = sum(first) / 1024;
  console.log(
    `first paint total, gzip: ${firstKb.toFixed(1)} KB against the ${GOAL_KB} KB goal: ${firstKb <= GOAL_KB ? `within it, ${(GOAL_KB - firstKb).toFixed(1)} KB to spare` : `OVER by ${(firstKb - GOAL_KB).toFixed(1)} KB`}`,
  );
  console.log(`agent module (after first paint), gzip: ${kb(sum(agent))}; tokenizer (on first count), gzip: ${kb(sum(tokenizer))}`);
  console.log(`service worker (after the agent has loaded), gzip: ${kb(sum([path.join(DIST, 'sw.js')]))}`);
  console.log(`render a ${MESSAGES}-message session (click → all in the page): median ${median(render).toFixed(0)} ms of ${render.length} (${render.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`a turn streamed into that session (5 deltas): main-thread time median ${(median(turns) * 1000).toFixed(0)} ms of ${turns.length} (${turns.map((t) => (t * 1000).toFixed(0)).join(', ')})`);
} finally {
  await site.stop();
}
