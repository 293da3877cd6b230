// Token counting in headless Chromium, side by side in one page and one run: Ferry's
// tokenizer (tiktoken-rs → wasm, in its Web Worker) against npm js-tiktoken (on the page),
// on the same 10 KB and 1 MB texts with o200k_base.
//
//   bash scripts/build-agent.sh && node bench/tokenizer.mjs
//
// - init: from nothing to the first count possible (worker start, wasm fetch and compile,
//   tables built) vs (module import, ranks parsed, encoder built);
// - throughput: median of runs, MB/s, and the ratio; the worker's figure includes the
//   postMessage round trip;
// - sizes: the tokenizer module (wasm + glue + worker) raw and gzip, beside js-tiktoken's
//   bundle with the same ranks.

import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { bundleJsTiktoken } from '../tests/e2e/support/js-tiktoken.mjs';
import { ROOT } from '../tests/e2e/support/worker.mjs';

const PKG = path.join(ROOT, 'target', 'web-agent-pkg');
const RUNS = { '10 KB': 15, '1 MB': 5 };

/** Deterministic mixed text: prose, code and a little non-ASCII, `bytes` long. */
function text(bytes) {
  const words = ['the', 'agent', 'streams', 'tokens', 'through', 'a', 'proxy', 'while', 'keys', 'stay', 'in', 'browser', 'Köln', 'naïve', '東京'];
  const code = 'fn count(text: &str) -> usize { text.split_whitespace().count() }\n';
  let seed = 7;
  let out = '';
  while (Buffer.byteLength(out) < bytes) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    out += seed % 11 === 0 ? code : `${words[seed % words.length]}${seed % 9 === 0 ? '.\n' : ' '}`;
  }
  return out;
}

const vendor = await bundleJsTiktoken();
const site = await startStatic({
  routes: { '/': { type: 'text/html', body: '<!doctype html><title>bench</title>' } },
  mounts: { '/pkg/': PKG, '/vendor/': vendor },
});
const browser = await startBrowser();
try {
  const page = await browser.page();
  await page.goto(`${site.url}/`);
  const texts = { '10 KB': text(10 * 1024), '1 MB': text(1024 * 1024) };
  const result = await page.evaluate(
    async ({ texts, runs }) => {
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      // Ferry: the worker, spoken to directly in its own protocol.
      let t0 = performance.now();
      const worker = new Worker('/pkg/tokenizer-worker.js', { type: 'module' });
      let next = 0;
      const ask = (message) =>
        new Promise((resolve, reject) => {
          const id = ++next;
          const listener = ({ data }) => {
            if (data.id !== id) return;
            worker.removeEventListener('message', listener);
            data.error ? reject(new Error(data.error)) : resolve(data);
          };
          worker.addEventListener('message', listener);
          worker.postMessage({ ...message, id });
        });
      await ask({ op: 'load', encoding: 'o200k_base' });
      const ferryInit = performance.now() - t0;

      t0 = performance.now();
      const js = await import('/vendor/js-tiktoken.js');
      const encoder = new js.Tiktoken(js.o200k_base);
      const jsInit = performance.now() - t0;

      const rows = [];
      for (const [name, body] of Object.entries(texts)) {
        const ferry = [];
        const plain = [];
        let counts;
        for (let i = 0; i < runs[name]; i++) {
          // Interleaved, so both see the same machine state.
          t0 = performance.now();
          const answer = await ask({ op: 'count', encoding: 'o200k_base', texts: [body] });
          ferry.push(performance.now() - t0);
          t0 = performance.now();
          const n = encoder.encode(body, [], []).length;
          plain.push(performance.now() - t0);
          counts = [answer.counts[0], n];
        }
        rows.push({ name, bytes: new TextEncoder().encode(body).length, counts, ferry: median(ferry), plain: median(plain) });
      }
      worker.terminate();
      return { ferryInit, jsInit, rows };
    },
    { texts, runs: RUNS },
  );

  const mbps = (bytes, ms) => (bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);
  console.log('token counting, o200k_base, Chromium (headless), one page, interleaved runs:');
  console.log(`  init (to first count possible): tiktoken-rs worker ${result.ferryInit.toFixed(0)} ms, js-tiktoken ${result.jsInit.toFixed(0)} ms`);
  for (const row of result.rows) {
    if (row.counts[0] !== row.counts[1]) throw new Error(`counts differ on ${row.name}: ${row.counts}`);
    console.log(
      `  ${row.name} (${row.counts[0]} tokens): tiktoken-rs ${row.ferry.toFixed(2)} ms (${mbps(row.bytes, row.ferry)} MB/s), ` +
        `js-tiktoken ${row.plain.toFixed(2)} ms (${mbps(row.bytes, row.plain)} MB/s), ratio ${(row.plain / row.ferry).toFixed(2)}× (median of ${RUNS[row.name]})`,
    );
  }
  const size = (files) => {
    const raw = files.reduce((n, f) => n + readFileSync(f).length, 0);
    const gz = files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    return `${(raw / 1024).toFixed(0)} KB raw / ${(gz / 1024).toFixed(0)} KB gzip`;
  };
  for (const encoding of ['o200k', 'cl100k']) {
    const module = [`ferry_tokenizer_${encoding}_bg.wasm`, `ferry_tokenizer_${encoding}.js`, 'tokenizer-worker.js'];
    console.log(`  tokenizer, the ${encoding} module with the worker: ${size(module.map((f) => path.join(PKG, f)))}`);
  }
  console.log(`  js-tiktoken bundle (o200k + cl100k ranks): ${size([path.join(vendor, 'js-tiktoken.js')])}`);
  console.log(`  agent (first load, no tokenizer): ${size([path.join(PKG, 'web_agent_bg.wasm'), path.join(PKG, 'web_agent.js')])}`);
} finally {
  await browser.stop();
  await site.stop();
  rmSync(vendor, { recursive: true, force: true });
}
