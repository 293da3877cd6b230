// Attachments in headless Chromium, through the agent's own `attach` (the built module):
//
//   bash scripts/build-agent.sh && node bench/attachments.mjs
//   BENCH_PDF=some.pdf node bench/attachments.mjs     (also a real PDF of your own)
//
// - a 12-megapixel photo (4000 × 3000, a noisy JPEG like a phone's, made in the page): from
//   `attach(file)` to its view — decoded, fitted, re-encoded as JPEG, hashed, stored — median
//   of runs, each with another photo;
// - a 50-page PDF (made here: ~40 lines of text a page): from `attach(file)` to its view —
//   pdf.js imported and its worker started on the first run only (cold; the worker is kept
//   for the page), text of every page read, hashed, stored; then warm runs;
// - pdf.js's two files, raw and gzip.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { startBrowser, startStatic } from '../tests/e2e/support/browser.mjs';
import { pdfOfStreams } from '../tests/e2e/support/pdf.mjs';
import { ROOT } from '../tests/e2e/support/worker.mjs';

// BENCH_PKG: another build of the agent module to measure.
const PKG = path.resolve(ROOT, process.env.BENCH_PKG ?? path.join('target', 'web-agent-pkg'));
const PDFJS = path.join(ROOT, 'node_modules', 'pdfjs-dist', 'build');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PAGES = 50;

/** A PDF of `pages` pages, each `lines` lines of Helvetica text. */
function makePdf(pages, lines) {
  const streams = Array.from({ length: pages }, (_, p) => {
    let shown = '';
    for (let l = 0; l < lines; l++) {
      shown += `(Page ${p + 1}, line ${l + 1}: the quick brown fox jumps over the lazy dog, ${p * lines + l}.) Tj 0 -16 Td `;
    }
    return `BT /F1 10 Tf 56 760 Td ${shown}ET`;
  });
  return pdfOfStreams(streams);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (xs) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}) over ${xs.length} runs`;

const pdfs = [['generated', makePdf(PAGES, 40)]];
if (process.env.BENCH_PDF) pdfs.push([path.basename(process.env.BENCH_PDF), readFileSync(process.env.BENCH_PDF)]);

const site = await startStatic({
  routes: {
    '/': { type: 'text/html', body: '<!doctype html><title>bench</title>' },
    // Module scripts need a JavaScript type, which the static server gives `.js` files only.
    ...Object.fromEntries(
      ['pdf.min.mjs', 'pdf.worker.min.mjs'].map((f) => [
        `/pdf/${f}`,
        { type: 'text/javascript', body: readFileSync(path.join(PDFJS, f)) },
      ]),
    ),
  },
  mounts: { '/pkg/': PKG },
});
const browser = await startBrowser();
try {
  const page = await browser.page();
  await page.goto(`${site.url}/`);
  const photo = await page.evaluate(async (runs) => {
    const module = await import('/pkg/web_agent.js');
    await module.default();
    const settings = JSON.stringify({ provider: 'openai', model: 'gpt-4o' });
    window.agent = await module.openAgent('ferry-bench-attach', settings, undefined, '/pdf/pdf.min.mjs');
    /** A 4000 × 3000 JPEG: gradients and sensor-like noise, at a phone's quality. */
    async function makePhoto(seed) {
      const [w, h] = [4000, 3000];
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      const image = ctx.createImageData(w, h);
      const d = image.data;
      let x = seed * 2654435761;
      for (let i = 0; i < w * h; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const noise = ((x >>> 16) & 31) - 16;
        const px = i % w;
        const py = (i / w) | 0;
        d[4 * i] = (px * 255) / w + noise;
        d[4 * i + 1] = (py * 255) / h + noise;
        d[4 * i + 2] = 128 + 100 * Math.sin((px + py + seed * 97) / 180) + noise;
        d[4 * i + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
      return new File([blob], `photo-${seed}.jpg`, { type: 'image/jpeg' });
    }
    const times = [];
    let size = 0;
    let view = null;
    for (let run = 0; run < runs; run++) {
      const file = await makePhoto(run + 1);
      size = file.size;
      const t0 = performance.now();
      view = JSON.parse(await window.agent.attach(file, file.name));
      times.push(performance.now() - t0);
    }
    return { times, size, view };
  }, RUNS);
  console.log(
    `12 MP photo (4000 × 3000 JPEG, ${kb(photo.size)}) → ${photo.view.width} × ${photo.view.height} ${photo.view.mime}, ${kb(photo.view.size)}: ${ms(photo.times)}`,
  );

  for (const [index, [name, bytes]] of pdfs.entries()) {
    const result = await page.evaluate(
      async ({ data, runs }) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const times = [];
        let view = null;
        for (let run = 0; run < runs; run++) {
          const file = new File([bytes], 'bench.pdf', { type: 'application/pdf' });
          const t0 = performance.now();
          view = JSON.parse(await window.agent.attach(file, file.name));
          times.push(performance.now() - t0);
        }
        return { times, view };
      },
      { data: bytes.toString('base64'), runs: RUNS + 1 },
    );
    const [cold, ...warm] = result.times;
    console.log(
      `PDF ${name} (${result.view.pages} pages, ${kb(bytes.length)}): first attach${index === 0 ? ' (pdf.js imported, its worker started)' : ''} ${cold.toFixed(0)} ms; then ${ms(warm)}`,
    );
  }

  for (const file of ['pdf.min.mjs', 'pdf.worker.min.mjs']) {
    const body = readFileSync(path.join(PDFJS, file));
    console.log(`pdf.js ${file}: ${kb(body.length)} raw / ${kb(gzipSync(body, { level: 9 }).length)} gzip`);
  }
} finally {
  await browser.stop();
  await site.stop();
}
