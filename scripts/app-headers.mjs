// Writes the response headers of the built app for Workers Static Assets, which serves it
// from the proxy's own Worker (wrangler.toml's [assets]): `node scripts/app-headers.mjs DIR`.
//
//   DIR/_headers       every file: the Content-Security-Policy of web-ui/csp.txt (the same
//                      policy serve-app.mjs sends; the one place it is written) and nosniff;
//                      trunk's content-hashed files (web-ui-<hash>.js and _bg.wasm,
//                      style-<hash>.css, snippets/<crate>-<hash>/…): cached for a year,
//                      immutable; the page and the service worker (sw.js): no-cache. Every
//                      other file (start.js, the agent module web-agent-pkg/, whose names
//                      carry no hash) keeps the platform's default, revalidated on every use.
//   DIR/.assetsignore  files never uploaded: ferry-config.json, which the Worker answers from
//                      its variables (a copy left in DIR by a local run must not be deployed).
//
// Also a module: `appHeaders(files)` (the `_headers` text for a list of DIR-relative paths),
// `isHashed(file)`.

import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { contentSecurityPolicy } from './serve-app.mjs';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const PAGE_CACHE = 'no-cache';
/**
 * Trunk names what it hashes `<name>-<hash>`, before `_bg.wasm` or the extension; the hash
 * is a 64-bit number in hex without leading zeros, so 16 digits or, now and then, fewer.
 */
const HASHED = /-[0-9a-f]{8,16}(?:_bg)?(?:\.[a-z0-9]+)?$/;

/** Whether `file` (DIR-relative, `/`-separated) sits under a name trunk hashed. */
export function isHashed(file) {
  return file.split('/').some((segment) => HASHED.test(segment));
}

/** The `_headers` text for an app whose files are `files` (DIR-relative). */
export function appHeaders(files) {
  const rules = [
    // No rule below sets these again: a header set by two matching rules is sent joined.
    ['/*', [`Content-Security-Policy: ${contentSecurityPolicy({})}`, 'X-Content-Type-Options: nosniff']],
    ['/', [`Cache-Control: ${PAGE_CACHE}`]],
    ['/index.html', [`Cache-Control: ${PAGE_CACHE}`]],
    // A new build is a new sw.js: the browser must see it on its next check.
    ['/sw.js', [`Cache-Control: ${PAGE_CACHE}`]],
  ];
  for (const file of [...files].sort()) {
    if (isHashed(file)) rules.push([`/${file}`, [`Cache-Control: ${IMMUTABLE}`]]);
  }
  const head = '# Written by scripts/app-headers.mjs from web-ui/csp.txt at build time: do not edit.\n';
  return head + rules.map(([pattern, headers]) => `${pattern}\n${headers.map((h) => `  ${h}\n`).join('')}`).join('\n');
}

function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(path.join(dir, entry.name), rel);
    return entry.name.startsWith('_') || entry.name.startsWith('.') ? [] : [rel];
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node scripts/app-headers.mjs DIR');
  writeFileSync(path.join(dir, '_headers'), appHeaders(listFiles(dir)));
  writeFileSync(path.join(dir, '.assetsignore'), 'ferry-config.json\n');
}
