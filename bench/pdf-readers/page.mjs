// pdf.js (pdfjs-dist's modern build, the one the agent ships) in headless Chromium, under the
// app's Content-Security-Policy, with the agent's options: the module imported on first need,
// one worker started with the first PDF and kept, eval off, text only. Each page's text items are
// joined two ways: plain (as unpdf does) and placed (by the items' positions).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { policyDirectives } from '../../scripts/serve-app.mjs';
import { startBrowser, startStatic } from '../../tests/e2e/support/browser.mjs';

/** The agent's PDF glue, whose text join the bench measures. */
const AGENT_GLUE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web-agent', 'src', 'browser');

/** The app's Content-Security-Policy as a meta tag (frame-ancestors only works as a header). */
const CSP = policyDirectives()
  .filter(([name]) => name !== 'frame-ancestors')
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

/**
 * jobs: name → { file, runs }; returns { init_ms, workers (paths of the Web Workers started),
 * docs: name → { plain, placed, ms: [runs] } or { error } }.
 */
export async function runPdfjs(modules, jobs) {
  const mounts = {
    '/pdfjs/': path.join(modules, 'pdfjs-dist'),
    '/agent/': AGENT_GLUE,
  };
  const docs = {};
  Object.entries(jobs).forEach(([name, { file, runs }], i) => {
    mounts[`/pdf/${i}/`] = path.dirname(file);
    docs[name] = { url: `/pdf/${i}/${path.basename(file)}`, runs };
  });
  const site = await startStatic({
    routes: {
      // Under the app's policy, so pdf.js is seen to run where the agent will load it.
      '/': {
        type: 'text/html',
        body: `<!doctype html><meta http-equiv="Content-Security-Policy" content="${CSP}"><title>pdf bench</title>`,
      },
    },
    mounts,
  });
  const browser = await startBrowser();
  try {
    const page = await browser.page();
    // pdf.js falls back to parsing on the page ("fake worker") if its worker cannot start.
    const workers = [];
    page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
    await page.goto(`${site.url}/`);
    const result = await page.evaluate(async (docs) => {
      const t0 = performance.now();
      const pdfjs = await import('/pdfjs/build/pdf.min.mjs');
      pdfjs.GlobalWorkerOptions.workerSrc = '/pdfjs/build/pdf.worker.min.mjs';
      // As unpdf does: each item's string, a newline where pdf.js marks an end of line.
      const joinPlain = (items) =>
        items
          .filter((item) => item.str != null)
          .map((item) => item.str + (item.hasEOL ? '\n' : ''))
          .join('');
      // By position: the agent's own join (web-agent/src/browser/pdf.js), so the bench
      // measures what ships.
      const { joinItems: joinPlaced } = await import('/agent/pdf.js');
      let worker = null;
      const extract = async (bytes) => {
        // The agent's options (web-agent's pdf.js glue): one worker kept, text only.
        worker ??= new pdfjs.PDFWorker({ name: 'ferry-pdf' });
        const task = pdfjs.getDocument({
          data: bytes,
          worker,
          cMapUrl: '/pdfjs/cmaps/',
          cMapPacked: true,
          isEvalSupported: false,
          disableFontFace: true,
          useSystemFonts: false,
          useWasm: false,
          stopAtErrors: false,
          verbosity: 0,
        });
        const doc = await task.promise;
        let plain = '';
        let placed = '';
        for (let i = 1; i <= doc.numPages; i++) {
          const page = await doc.getPage(i);
          const { items } = await page.getTextContent();
          plain += `--- Page ${i} ---\n${joinPlain(items)}\n`;
          placed += `--- Page ${i} ---\n${joinPlaced(items)}\n`;
          page.cleanup();
        }
        await task.destroy();
        return { plain, placed };
      };
      const result = { docs: {} };
      let first = true;
      for (const [name, { url, runs }] of Object.entries(docs)) {
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const ms = [];
        let text = null;
        try {
          for (let r = 0; r < runs; r++) {
            const s = performance.now();
            text = await extract(bytes.slice());
            ms.push(performance.now() - s);
            if (first) {
              // From nothing to the first document's text: import, worker start, first parse.
              result.init_ms = performance.now() - t0;
              first = false;
            }
          }
          result.docs[name] = { ...text, ms };
        } catch (e) {
          result.docs[name] = { error: String(e?.message ?? e).split('\n')[0] };
        }
      }
      return result;
    }, docs);
    return { ...result, workers };
  } finally {
    await browser.stop();
    await site.stop();
  }
}
