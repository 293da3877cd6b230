// The candidate PDF readers, each turning a PDF's bytes into text with `--- Page N ---`
// markers, and what each would make the browser download for text extraction.
//
// pdf.js (pdfjs-dist) runs in headless Chromium with its worker, as the agent would load it
// (see page.mjs); the others run in Node: unpdf (pdf.js's serverless build, no worker),
// mupdf (the same wasm the browser would fetch), pdf-extract built for wasm32 (same .wasm
// the browser would fetch), pdf2json (a Node library). pdftotext (poppler) is the native
// reference and ships nothing.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

import { CACHE } from './pdfs.mjs';

/** Pinned npm versions (installed into the bench cache, never into the repository). */
export const VERSIONS = {
  'pdfjs-dist': '6.5.438',
  unpdf: '1.7.0',
  pdf2json: '4.0.3',
  mupdf: '1.28.1',
};

export const NPM = path.join(CACHE, 'npm');

/** Installs the pinned readers into the cache once; returns its node_modules. */
export function installReaders() {
  const modules = path.join(NPM, 'node_modules');
  const stamp = path.join(NPM, 'installed.json');
  const want = JSON.stringify(VERSIONS);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return modules;
  mkdirSync(NPM, { recursive: true });
  writeFileSync(path.join(NPM, 'package.json'), '{"private":true}\n');
  const specs = Object.entries(VERSIONS).map(([n, v]) => `${n}@${v}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false', ...specs], {
    cwd: NPM,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(stamp, want);
  return modules;
}

/** raw and gzip (level 9) byte counts of the files, summed. */
export function weigh(files) {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gz, files: files.map((f) => path.basename(f)) };
}

const marked = (pages) => pages.map((t, i) => `--- Page ${i + 1} ---\n${t}\n`).join('');

/** Node-side readers: name → { version, license, ships (files), load() → extract(bytes) → text }. */
export function nodeReaders(modules, { pdfExtractWasm } = {}) {
  const req = createRequire(path.join(modules, 'x.js'));
  const readers = {
    unpdf: {
      version: VERSIONS.unpdf,
      license: 'MIT (bundles pdf.js, Apache-2.0)',
      ships: ['unpdf/dist/index.mjs', 'unpdf/dist/pdfjs.mjs'].map((f) => path.join(modules, f)),
      async load() {
        const unpdf = await import(pathToFileURL(path.join(modules, 'unpdf/dist/index.mjs')).href);
        return async (bytes) => {
          const pdf = await unpdf.getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false });
          const { text } = await unpdf.extractText(pdf, { mergePages: false });
          await pdf.destroy();
          return marked(text);
        };
      },
    },
    mupdf: {
      version: VERSIONS.mupdf,
      license: 'AGPL-3.0-or-later',
      ships: ['mupdf/dist/mupdf.js', 'mupdf/dist/mupdf-wasm.js', 'mupdf/dist/mupdf-wasm.wasm'].map((f) =>
        path.join(modules, f),
      ),
      async load() {
        const mupdf = await import(pathToFileURL(path.join(modules, 'mupdf/dist/mupdf.js')).href);
        return async (bytes) => {
          const doc = mupdf.Document.openDocument(new Uint8Array(bytes), 'application/pdf');
          const pages = [];
          for (let i = 0; i < doc.countPages(); i++) {
            const page = doc.loadPage(i);
            const st = page.toStructuredText('preserve-whitespace');
            pages.push(st.asText());
            st.destroy();
            page.destroy();
          }
          doc.destroy();
          return marked(pages);
        };
      },
    },
    pdf2json: {
      version: VERSIONS.pdf2json,
      license: 'Apache-2.0',
      note: 'Node only (fs, streams)',
      ships: [path.join(modules, 'pdf2json/dist/pdfparser.js')],
      async load() {
        const PDFParser = req('pdf2json');
        return (bytes) =>
          new Promise((resolve, reject) => {
            const parser = new PDFParser(null, true);
            parser.on('pdfParser_dataError', (e) => reject(e.parserError ?? e));
            parser.on('pdfParser_dataReady', () => {
              // Its own page breaks: "----------------Page (N) Break----------------".
              const raw = parser.getRawTextContent();
              const pages = raw.split(/-+Page \(\d+\) Break-+\r?\n?/).slice(0, -1);
              resolve(marked(pages.length ? pages : [raw]));
            });
            parser.parseBuffer(Buffer.from(bytes), 0);
          });
      },
    },
  };
  if (pdfExtractWasm) {
    readers['pdf-extract'] = {
      version: '0.12.1 (lopdf 0.42)',
      license: 'MIT',
      note: 'Rust → wasm32, wasm-bindgen glue, wasm-opt -Oz',
      ships: [pdfExtractWasm.js, pdfExtractWasm.wasm],
      async load() {
        const glue = await import(pathToFileURL(pdfExtractWasm.js).href);
        glue.initSync({ module: readFileSync(pdfExtractWasm.wasm) });
        return async (bytes) => glue.extract(bytes);
      },
    };
  }
  return readers;
}

/** Poppler's pdftotext as the reference, when installed (apt-get install poppler-utils). */
export function popplerReader() {
  const probe = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' });
  if (probe.error) return null;
  const version = `${probe.stdout}${probe.stderr}`;
  return {
    version: (version.match(/version ([\d.]+)/) ?? [])[1] ?? '?',
    license: 'GPL-2.0 (native, reference)',
    note: 'native reference, not a browser candidate',
    ships: [],
    async load() {
      return async (_bytes, file) => {
        // One run; pdftotext ends every page with a form feed.
        const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
        return marked(text.split('\f').slice(0, -1));
      };
    },
  };
}

export const fileSize = (f) => statSync(f).size;
