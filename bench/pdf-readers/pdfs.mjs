// The real PDFs the reader bench reads, taken from Debian's packages (never committed):
// `apt-get download` of the package, `dpkg-deb -x` into a cache under the OS temp dir, and
// gunzip where Debian ships the PDF gzipped. Needs apt-get and dpkg-deb (any Debian or Ubuntu).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Downloads (once) each package the PDFs need and returns name → absolute path of the PDF. */
export function fetchPdfs() {
  const debs = path.join(CACHE, 'debs');
  const root = path.join(CACHE, 'root');
  mkdirSync(debs, { recursive: true });
  mkdirSync(root, { recursive: true });
  const out = {};
  for (const [name, spec] of Object.entries(PDFS)) {
    const pdf = path.join(CACHE, `${name}.pdf`);
    if (!existsSync(pdf)) {
      let deb = readdirSync(debs).find((f) => f.startsWith(`${spec.pkg}_`) && f.endsWith('.deb'));
      if (!deb) {
        execFileSync('apt-get', ['download', spec.pkg], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
        deb = readdirSync(debs).find((f) => f.startsWith(`${spec.pkg}_`) && f.endsWith('.deb'));
        if (!deb) throw new Error(`apt-get download ${spec.pkg} gave no .deb (run apt-get update first?)`);
      }
      const inside = path.join(root, spec.file);
      if (!existsSync(inside)) execFileSync('dpkg-deb', ['-x', path.join(debs, deb), root]);
      const bytes = readFileSync(inside);
      writeFileSync(pdf, spec.file.endsWith('.gz') ? gunzipSync(bytes) : bytes);
    }
    out[name] = pdf;
  }
  return out;
}
