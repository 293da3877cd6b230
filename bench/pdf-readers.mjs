// Which PDF reader the agent loads on first need, by measurement: size the browser would
// download for text extraction, time per document, and quality checks on real PDFs taken
// from Debian's packages (multi-column, tables, Japanese, Russian, Chinese, a 50-page one).
//
//   node bench/pdf-readers.mjs [--dump DIR] [--no-rust]
//
// Needs apt-get/dpkg-deb (the PDFs: apt-get download into the OS temp dir, never committed),
// npm (the readers, pinned, installed into the same cache), Debian's chromium (pdf.js runs
// there with its worker), cargo with the wasm32 target (pdf-extract; --no-rust skips it) and
// poppler-utils' pdftotext as the reference (optional: without it, checks that compare
// counts against the reference pass on their own phrases only).
// --dump DIR writes each reader's text per document, to look at.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { CHECKS, judge } from './pdf-readers/checks.mjs';
import { runPdfjs } from './pdf-readers/page.mjs';
import { CACHE, fetchPdfs, PDFS } from './pdf-readers/pdfs.mjs';
import { installReaders, nodeReaders, popplerReader, VERSIONS, weigh } from './pdf-readers/readers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dumpDir = args.includes('--dump') ? args[args.indexOf('--dump') + 1] : null;
const RUNS = (name) => (PDFS[name].pages >= 20 ? 3 : 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Builds pdf-extract for wasm32 (size-optimised, wasm-bindgen, wasm-opt -Oz); returns { js, wasm } or null. */
function buildPdfExtract() {
  if (args.includes('--no-rust')) return null;
  const manifest = path.join(ROOT, 'bench', 'pdf-readers', 'pdf-extract', 'Cargo.toml');
  const target = process.env.CARGO_TARGET_DIR ?? path.join(CACHE, 'target');
  try {
    execFileSync(
      'cargo',
      ['build', '--quiet', '--release', '--lib', '--target', 'wasm32-unknown-unknown', '--manifest-path', manifest],
      { env: { ...process.env, CARGO_TARGET_DIR: target }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (e) {
    console.error(`pdf-extract: wasm build failed (${e.message.split('\n')[0]}); left out`);
    return null;
  }
  const built = path.join(target, 'wasm32-unknown-unknown', 'release', 'pdf_extract_bench.wasm');
  const out = path.join(CACHE, 'pdf-extract');
  try {
    execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', out, '--out-name', 'pdf_extract', built]);
  } catch (e) {
    console.error(`pdf-extract: wasm-bindgen failed (${e.message.split('\n')[0]}); left out`);
    return null;
  }
  const wasm = path.join(out, 'pdf_extract_bg.wasm');
  const wasmOpt = path.join(ROOT, 'node_modules', '.bin', 'wasm-opt');
  if (existsSync(wasmOpt)) {
    // The flags the agent's own build uses.
    const features = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue'];
    execFileSync(wasmOpt, ['-Oz', ...features.map((f) => `--enable-${f}`), wasm, '-o', wasm]);
  }
  return { js: path.join(out, 'pdf_extract.js'), wasm };
}

const pdfs = fetchPdfs();
const modules = installReaders();
const pdfExtractWasm = buildPdfExtract();
const docs = Object.keys(PDFS);

/** reader → { version, license, note, size, init_ms, docs: name → { ms, text } } */
const results = {};

/** Quiet while readers run: pdf2json and pdf.js's fake worker log warnings to stdout. */
async function quietly(fn) {
  const saved = { log: console.log, warn: console.warn, info: console.info };
  console.log = console.warn = console.info = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

async function runNode(name, reader) {
  await quietly(() => runNodeLoud(name, reader));
}

async function runNodeLoud(name, reader) {
  const entry = { ...reader, docs: {} };
  const t0 = performance.now();
  const extract = await reader.load();
  for (const doc of docs) {
    const bytes = new Uint8Array(readFileSync(pdfs[doc]));
    const ms = [];
    let text = '';
    try {
      for (let r = 0; r < RUNS(doc); r++) {
        const s = performance.now();
        text = await extract(bytes.slice(), pdfs[doc]);
        ms.push(performance.now() - s);
        if (entry.init_ms == null) entry.init_ms = performance.now() - t0;
      }
      entry.docs[doc] = { ms: median(ms), text };
    } catch (e) {
      entry.docs[doc] = { ms: NaN, text: '', error: String(e?.message ?? e).split('\n')[0] };
    }
  }
  results[name] = entry;
}

const poppler = popplerReader();
if (poppler) await runNode('pdftotext', poppler);

const pdfjsShips = ['build/pdf.min.mjs', 'build/pdf.worker.min.mjs'].map((f) => path.join(modules, 'pdfjs-dist', f));
const pdfjs = await runPdfjs(modules, pdfs, RUNS);
for (const [name, join, how] of [
  ['pdf.js', 'plain', 'items joined as unpdf does'],
  ['pdf.js placed', 'placed', 'items joined by position'],
]) {
  results[name] = {
    version: VERSIONS['pdfjs-dist'],
    license: 'Apache-2.0',
    note: `modern build + worker, in Chromium; ${how}`,
    ships: pdfjsShips,
    init_ms: pdfjs.init_ms,
    docs: Object.fromEntries(Object.entries(pdfjs.docs).map(([d, r]) => [d, { ms: median(r.ms), text: r[join] }])),
  };
}

for (const [name, reader] of Object.entries(nodeReaders(modules, { pdfExtractWasm }))) await runNode(name, reader);

// The table.
const ref = results.pdftotext;
const kb = (n) => (n / 1024).toFixed(n < 10240 ? 1 : 0);
const rows = [];
for (const [name, r] of Object.entries(results)) {
  const size = r.ships.length ? weigh(r.ships) : null;
  let passed = 0;
  let total = 0;
  const failed = [];
  const times = [];
  for (const doc of docs) {
    const d = r.docs[doc];
    const j = judge(doc, d.text, name === 'pdftotext' ? null : ref?.docs[doc]?.text ?? null);
    passed += j.passed;
    total += j.total;
    for (const f of j.failed) failed.push(`${doc}:${f}`);
    if (d.error) failed.push(`${doc}:ERROR ${d.error}`);
    times.push(Number.isFinite(d.ms) ? d.ms.toFixed(d.ms < 10 ? 1 : 0) : 'err');
  }
  rows.push([
    name,
    r.version,
    size ? kb(size.raw) : '-',
    size ? kb(size.gz) : '-',
    r.init_ms != null ? r.init_ms.toFixed(0) : '-',
    ...times,
    `${passed}/${total}`,
    r.license,
  ]);
  r.failed = failed;
  if (dumpDir) {
    mkdirSync(dumpDir, { recursive: true });
    for (const doc of docs) writeFileSync(path.join(dumpDir, `${name}.${doc}.txt`), r.docs[doc].text);
  }
}
const head = ['reader', 'version', 'KB raw', 'KB gzip', 'first ms', ...docs.map((d) => `${d} ms`), 'checks', 'license'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

console.log('\nDocuments (Debian package → file, pages):');
for (const doc of docs) {
  console.log(`  ${doc}: ${PDFS[doc].pkg} → ${path.basename(PDFS[doc].file)}, ${PDFS[doc].pages} pages, ${kb(statSync(pdfs[doc]).size)} KB — ${PDFS[doc].what}`);
}
console.log('\nChecks:');
for (const doc of docs) for (const c of CHECKS[doc]) console.log(`  ${doc}:${c.id} — ${c.what}`);
console.log('\nFailed checks:');
for (const [name, r] of Object.entries(results)) console.log(`  ${name}: ${r.failed.length ? r.failed.join(', ') : 'none'}`);
console.log('\nWhat ships (gzip -9 of each file, summed):');
for (const [name, r] of Object.entries(results)) {
  if (!r.ships.length || name === 'pdf.js placed') continue;
  const parts = r.ships.map((f) => `${path.basename(f)} ${kb(weigh([f]).gz)} KB`);
  console.log(`  ${name}: ${parts.join(' + ')}${r.note ? ` (${r.note})` : ''}`);
}
const legacy = weigh(['legacy/build/pdf.min.mjs', 'legacy/build/pdf.worker.min.mjs'].map((f) => path.join(modules, 'pdfjs-dist', f)));
console.log(`  pdf.js legacy build (for older browsers; same text engine): ${kb(legacy.raw)} KB raw, ${kb(legacy.gz)} KB gzip`);
const cmaps = path.join(modules, 'pdfjs-dist', 'cmaps');
if (existsSync(cmaps)) {
  let raw = 0;
  let gz = 0;
  for (const f of readdirSync(cmaps)) {
    const b = readFileSync(path.join(cmaps, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  console.log(`  pdf.js cmaps/ (fetched one file at a time, only for PDFs with non-embedded CJK CMaps): ${kb(raw)} KB raw, ${kb(gz)} KB gzip in all`);
}
console.log(`\nTimes: median of ${RUNS('refcard-en')} runs (3 for 50 pages); "first ms" is from nothing to the first document's text (import, worker or wasm start, one parse).`);
