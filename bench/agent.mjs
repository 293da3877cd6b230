// The browser agent in headless Chromium: IndexedDB timings and bundle sizes.
//
//   bash scripts/build-agent.sh && node bench/agent.mjs
//
// - open a session of 1,000 messages: time from the `open_session` command until its
//   `session_opened` event is parsed in the page (median of runs), as the app opens one;
// - bundle: the agent's wasm and JS glue, raw and gzip.
//
// The page reaches the agent through `command` and `stop` only, so progressive saving is
// not measured on its own here (no command saves a draft without a model call).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { exportDocument } from '../tests/e2e/support/export.mjs';
import { ROOT } from '../tests/e2e/support/worker.mjs';

const PKG = path.join(ROOT, 'target', 'web-agent-pkg');
const MESSAGES = 1000;
const RUNS = 7;

const document = (session) =>
  exportDocument({
    session,
    title: 'Long',
    count: MESSAGES,
    text: (i) => `Message ${i}: ${'lorem ipsum dolor sit amet '.repeat(12)}`,
  });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const site = await startStatic({
  routes: { '/': { type: 'text/html', body: '<!doctype html><title>bench</title>' } },
  mounts: { '/pkg/': PKG },
});
const browser = await startBrowser();
try {
  const page = await browser.page();
  await page.goto(`${site.url}/`);
  const result = await page.evaluate(
    async ({ doc, runs, count }) => {
      const module = await import('/pkg/web_agent.js');
      await module.default();
      const settings = JSON.stringify({ provider: 'openai', model: 'gpt-4o-mini' });
      const agent = await module.openAgent('ferry-bench', settings);
      await agent.command(JSON.stringify({ type: 'import', document: doc }), () => {});
      const open = [];
      for (let i = 0; i < runs; i += 1) {
        const t0 = performance.now();
        let messages = [];
        await agent.command(JSON.stringify({ type: 'open_session', session: 'long' }), (e) => {
          const event = JSON.parse(e);
          if (event.type === 'session_opened') messages = event.messages;
        });
        open.push(performance.now() - t0);
        if (messages.length !== count) throw new Error(`read ${messages.length} messages`);
      }
      return { open };
    },
    { doc: document('long'), runs: RUNS, count: MESSAGES },
  );
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const wasm = readFileSync(path.join(PKG, 'web_agent_bg.wasm'));
  const js = readFileSync(path.join(PKG, 'web_agent.js'));
  console.log(`open a ${MESSAGES}-message session (command → event parsed in the page): median ${median(result.open).toFixed(1)} ms over ${RUNS} runs (min ${Math.min(...result.open).toFixed(1)}, max ${Math.max(...result.open).toFixed(1)})`);
  console.log(`agent bundle (no tokenizer): wasm ${kb(wasm.length)} raw / ${kb(gzipSync(wasm, { level: 9 }).length)} gzip; js ${kb(js.length)} raw / ${kb(gzipSync(js, { level: 9 }).length)} gzip`);
} finally {
  await browser.stop();
  await site.stop();
}
