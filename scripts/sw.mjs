// Writes the built app's service worker: `node scripts/sw.mjs DIR` (scripts/build-ui.sh runs
// it after trunk) writes DIR/sw.js = `const BUILD = {…};` + web-ui/sw.js (which says what the
// worker does with it).
//
//   files     every file of DIR a page may ask for, by its DIR-relative path: the first 16
//             hex digits of the SHA-256 of its bytes
//   groups    folders cached file by file as asked for, under one hash of the whole folder
//             (pdf.js's character maps, ~170 small files)
//   precache  the app shell: index.html, start.js, trunk's hashed files (its JS, wasm, CSS,
//             snippets), the agent module (web_agent.js and its wasm), the manifest and its
//             icons. Not the tokenizer nor pdf.js: they are fetched on first need, and kept
//             then (a shell of 2 MB more for a count most people never need offline)
//   version   the first 16 hex digits of the SHA-256 of the lines `<path> <hash>` of files and
//             groups, sorted, and of web-ui/sw.js itself: any change to the build or to the
//             worker makes a new version
//
// Left out: what DIR holds for the server, not the page (`_headers`, `.assetsignore`,
// `ferry-config.json`, which is answered per deployment), sw.js itself, and type
// declarations. Also a module: `serviceWorker(dir)` → `{ build, text }`, `precached(file)`.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { isHashed } from './app-headers.mjs';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web-ui', 'sw.js');
/** Folders cached as one group. */
export const GROUPS = ['web-agent-pkg/pdf/cmaps/'];
const LEFT_OUT = new Set(['sw.js', '_headers', '.assetsignore', 'ferry-config.json', 'web-agent-pkg/package.json']);

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Whether the build's `file` is part of the app shell, fetched when a version installs. */
export function precached(file) {
  return (
    ['index.html', 'start.js', 'manifest.webmanifest'].includes(file) ||
    file.startsWith('icons/') ||
    // trunk's: web-ui-<hash>.js and _bg.wasm, style-<hash>.css, snippets/web-ui-<hash>/.
    (isHashed(file) && !file.startsWith('web-agent-pkg/')) ||
    ['web-agent-pkg/web_agent.js', 'web-agent-pkg/web_agent_bg.wasm'].includes(file)
  );
}

function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), rel) : [rel];
  });
}

/** The worker for the build in `dir`: what it is told (`build`) and its whole text. */
export function serviceWorker(dir) {
  const source = readFileSync(SOURCE, 'utf8');
  const all = listFiles(dir)
    .filter((file) => !LEFT_OUT.has(file) && !file.endsWith('.d.ts'))
    .sort();
  const files = {};
  const grouped = Object.fromEntries(GROUPS.map((g) => [g, createHash('sha256')]));
  for (const file of all) {
    const bytes = readFileSync(path.join(dir, file));
    const group = GROUPS.find((g) => file.startsWith(g));
    if (group) grouped[group].update(`${file} ${hash(bytes)}\n`);
    else files[file] = hash(bytes);
  }
  const groups = Object.fromEntries(
    Object.entries(grouped).map(([g, h]) => [g, h.digest('hex').slice(0, 16)]),
  );
  const lines = [...Object.entries(files), ...Object.entries(groups)].map(([f, h]) => `${f} ${h}\n`);
  const version = hash(lines.join('') + source);
  const build = { version, files, groups, precache: Object.keys(files).filter(precached) };
  return { build, text: `const BUILD = ${JSON.stringify(build)};\n${source}` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node scripts/sw.mjs DIR');
  writeFileSync(path.join(dir, 'sw.js'), serviceWorker(dir).text);
}
