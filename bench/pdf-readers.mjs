// Which PDF reader the agent loads on first need, by measurement: size the browser would
// download for text extraction, time per document, and quality checks on real PDFs taken
// from Debian's packages (multi-column, tables, Japanese, Russian, Chinese, a 50-page one),
// plus a corpus of 22 more real PDFs each reader must get through.
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

import { CHECKS, judge, recall } from './pdf-readers/checks.mjs';
import { runPdfjs } from './pdf-readers/page.mjs';
import { CACHE, CORPUS, fetchCorpus, fetchPdfs, PDFS } from './pdf-readers/pdfs.mjs';
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
const corpus = fetchCorpus();
const modules = installReaders();
const pdfExtractWasm = buildPdfExtract();
const docs = Object.keys(PDFS);
/** Every document a reader reads: the checked ones timed over several runs, the corpus once. */
const jobs = {
  ...Object.fromEntries(docs.map((d) => [d, { file: pdfs[d], runs: RUNS(d) }])),
  ...Object.fromEntries(Object.entries(corpus).map(([d, file]) => [d, { file, runs: 1 }])),
};

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

class NoAnswer extends Error {}

/** `promise`, or a rejection after `ms` (pdf2json can throw inside and never answer). */
async function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runNode(name, reader) {
  await quietly(() => runNodeLoud(name, reader));
}

async function runNodeLoud(name, reader) {
  process.stderr.write(`${name}…\n`);
  const entry = { ...reader, docs: {} };
  const t0 = performance.now();
  const extract = await reader.load();
  // Per corpus package: two documents without an answer skip the package's others (keeps
  // the run short where a reader hangs on one producer's PDFs).
  const timeouts = new Map();
  const group = (doc) => doc.split('/')[0];
  for (const [doc, { file, runs }] of Object.entries(jobs)) {
    if ((timeouts.get(group(doc)) ?? 0) >= 2) {
      entry.docs[doc] = { ms: NaN, text: '', error: 'skipped: two from its package got no answer' };
      continue;
    }
    const bytes = new Uint8Array(readFileSync(file));
    const ms = [];
    let text = '';
    try {
      for (let r = 0; r < runs; r++) {
        const s = performance.now();
        text = await withTimeout(extract(bytes.slice(), file), 20_000);
        ms.push(performance.now() - s);
        if (entry.init_ms == null) entry.init_ms = performance.now() - t0;
      }
      entry.docs[doc] = { ms: median(ms), text };
    } catch (e) {
      if (e instanceof NoAnswer) timeouts.set(group(doc), (timeouts.get(group(doc)) ?? 0) + 1);
      entry.docs[doc] = { ms: NaN, text: '', error: String(e?.message ?? e).split('\n')[0] };
    }
  }
  results[name] = entry;
}

const poppler = popplerReader();
if (poppler) await runNode('pdftotext', poppler);

const pdfjsShips = ['build/pdf.min.mjs', 'build/pdf.worker.min.mjs'].map((f) => path.join(modules, 'pdfjs-dist', f));
process.stderr.write('pdf.js in Chromium…\n');
const pdfjs = await runPdfjs(modules, jobs);
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
    docs: Object.fromEntries(
      Object.entries(pdfjs.docs).map(([d, r]) => [d, r.error ? { ms: NaN, text: '', error: r.error } : { ms: median(r.ms), text: r[join] }]),
    ),
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
  // The corpus: read if no error and its non-space characters within 10% of the reference's.
  let read = 0;
  let corpusMs = 0;
  let wordShare = 0;
  const chars = (t) => t.replace(/^--- Page \d+ ---$/gm, '').replace(/\s+/g, '').length;
  for (const doc of Object.keys(corpus)) {
    const d = r.docs[doc];
    corpusMs += Number.isFinite(d.ms) ? d.ms : 0;
    const want = ref ? chars(ref.docs[doc].text) : null;
    const got = chars(d.text);
    if (ref && name !== 'pdftotext') wordShare += recall(d.text, ref.docs[doc].text);
    if (d.error) failed.push(`corpus ${doc}: ERROR ${d.error}`);
    else if (want != null && Math.abs(got - want) > want * 0.1) failed.push(`corpus ${doc}: ${got} chars, reference ${want}`);
    else read++;
  }
  rows.push([
    name,
    r.version,
    size ? kb(size.raw) : '-',
    size ? kb(size.gz) : '-',
    r.init_ms != null ? r.init_ms.toFixed(0) : '-',
    ...times,
    `${passed}/${total}`,
    `${read}/${Object.keys(corpus).length}`,
    ref && name !== 'pdftotext' ? ((100 * wordShare) / Object.keys(corpus).length).toFixed(1) : '-',
    (corpusMs / 1000).toFixed(1),
    r.license,
  ]);
  r.failed = failed;
  if (dumpDir) {
    mkdirSync(dumpDir, { recursive: true });
    for (const doc of Object.keys(jobs)) writeFileSync(path.join(dumpDir, `${name}.${doc.replace('/', '--')}.txt`), r.docs[doc].text);
  }
}
const head = ['reader', 'version', 'KB raw', 'KB gzip', 'first ms', ...docs.map((d) => `${d} ms`), 'checks', 'corpus read', 'corpus words %', 'corpus s', 'license'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

console.log('\nDocuments (Debian package → file, pages):');
for (const doc of docs) {
  console.log(`  ${doc}: ${PDFS[doc].pkg} → ${path.basename(PDFS[doc].file)}, ${PDFS[doc].pages} pages, ${kb(statSync(pdfs[doc]).size)} KB — ${PDFS[doc].what}`);
}
const markers = (t) => (t.match(/^--- Page \d+ ---$/gm) ?? []).length;
const corpusPages = Object.keys(corpus).reduce((n, d) => n + markers(results['pdf.js'].docs[d].text), 0);
console.log(`  corpus: ${Object.keys(corpus).length} more PDFs, ${corpusPages} pages, from ${Object.keys(CORPUS).join(', ')} — read once each`);
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
console.log(`\npdf.js ran under the app's Content-Security-Policy, in ${pdfjs.workers.length} Web Worker(s) (started with the first PDF, then kept): ${[...new Set(pdfjs.workers)].join(', ') || 'none (fake worker)'}`);
console.log(
  `Times: median of ${RUNS('refcard-en')} runs (3 for 50 pages); pdf.js in Chromium with its worker, the others in Node (mupdf and pdf-extract as wasm); "first ms" is from nothing to the first document's text (import, worker or wasm start, one parse); the times after it exclude that start; "corpus s" is the corpus read once.`,
);
console.log('"corpus read": no error and non-space characters within 10% of the reference\'s; "corpus words %": the mean share of the reference\'s words found as words (a document not read counts 0).');
