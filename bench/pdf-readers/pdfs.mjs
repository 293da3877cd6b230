// The real PDFs the reader bench reads, taken from Debian's packages (never committed):
// `apt-get download` of the package, `dpkg-deb -x` into a cache under the OS temp dir, and
// gunzip where Debian ships the PDF gzipped. Needs apt-get and dpkg-deb (any Debian or Ubuntu).

import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const CACHE = path.join(os.tmpdir(), 'ferry-pdf-bench');

/**
 * name → where it comes from and what it tests. `file` is the path inside the package;
 * `pages` is the page count poppler's pdfinfo gives.
 */
export const PDFS = {
  'refcard-en': {
    pkg: 'debian-refcard',
    file: 'usr/share/doc/debian-refcard/refcard-en-a4.pdf.gz',
    pages: 2,
    what: 'multi-column (three panels a page), two-cell tables in each',
  },
  'octave-refcard': {
    pkg: 'octave-doc',
    file: 'usr/share/doc/octave/refcard-a4.pdf',
    pages: 3,
    what: 'three close columns (pdfTeX), command | description rows, wrapped paragraphs',
  },
  'fhs-3.0': {
    pkg: 'debian-policy',
    file: 'usr/share/doc/debian-policy/fhs/fhs-3.0.pdf.gz',
    pages: 50,
    what: 'tables (Directory | Description), 50 pages',
  },
  'refcard-ja': {
    pkg: 'debian-refcard',
    file: 'usr/share/doc/debian-refcard/refcard-ja-a4.pdf.gz',
    pages: 2,
    what: 'Japanese, multi-column',
  },
  'refcard-ru': {
    pkg: 'debian-refcard',
    file: 'usr/share/doc/debian-refcard/refcard-ru-a4.pdf.gz',
    pages: 2,
    what: 'Russian (Cyrillic), multi-column',
  },
  'refcard-zh_CN': {
    pkg: 'debian-refcard',
    file: 'usr/share/doc/debian-refcard/refcard-zh_CN-a4.pdf.gz',
    pages: 2,
    what: 'Simplified Chinese, multi-column',
  },
};

/**
 * More real PDFs, only read once each to see whether a reader gets through them: package →
 * folder inside it (every PDF there). pdfTeX, xdvipdfmx and Ghostscript output; the Japanese
 * Debian Reference has 272 pages.
 */
export const CORPUS = {
  'r-cran-zoo': 'usr/lib/R/site-library/zoo/doc',
  'r-cran-survival': 'usr/lib/R/library/survival/doc',
  'debian-faq': 'usr/share/doc/debian/FAQ',
  'libtasn1-doc': 'usr/share/doc/libtasn1-doc',
  'debian-policy': 'usr/share/doc/debian-policy',
  'debian-reference-ja': 'usr/share/debian-reference',
};

const DEBS = path.join(CACHE, 'debs');
const ROOT = path.join(CACHE, 'root');

/** Downloads (once) and unpacks (once) `pkg` under ROOT. */
function unpack(pkg) {
  mkdirSync(DEBS, { recursive: true });
  mkdirSync(ROOT, { recursive: true });
  const stamp = path.join(ROOT, `.${pkg}.unpacked`);
  if (existsSync(stamp)) return;
  let deb = readdirSync(DEBS).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) {
    execFileSync('apt-get', ['download', pkg], { cwd: DEBS, stdio: ['ignore', 'ignore', 'inherit'] });
    deb = readdirSync(DEBS).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} gave no .deb (run apt-get update first?)`);
  }
  execFileSync('dpkg-deb', ['-x', path.join(DEBS, deb), ROOT]);
  writeFileSync(stamp, deb);
}

/** A plain PDF at `dest` from `inside` (a path under ROOT, gunzipped if .gz). */
function place(inside, dest) {
  if (existsSync(dest)) return dest;
  const bytes = readFileSync(path.join(ROOT, inside));
  writeFileSync(dest, inside.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  return dest;
}

/** Downloads (once) each package the PDFs need and returns name → absolute path of the PDF. */
export function fetchPdfs() {
  const out = {};
  for (const [name, spec] of Object.entries(PDFS)) {
    unpack(spec.pkg);
    out[name] = place(spec.file, path.join(CACHE, `${name}.pdf`));
  }
  return out;
}

/** The corpus: "package/file" → absolute path of the (gunzipped) PDF. */
export function fetchCorpus() {
  const dir = path.join(CACHE, 'corpus');
  mkdirSync(dir, { recursive: true });
  const out = {};
  for (const [pkg, folder] of Object.entries(CORPUS)) {
    unpack(pkg);
    const files = readdirSync(path.join(ROOT, folder), { recursive: true })
      .filter((f) => /\.pdf(\.gz)?$/.test(f))
      .filter((f) => lstatSync(path.join(ROOT, folder, f)).isFile())
      .filter((f) => !Object.values(PDFS).some((spec) => spec.file === path.join(folder, f)))
      .sort();
    for (const f of files) {
      const name = `${pkg}/${path.basename(f).replace(/\.gz$/, '')}`;
      out[name] = place(path.join(folder, f), path.join(dir, name.replace('/', '--')));
    }
  }
  return out;
}
