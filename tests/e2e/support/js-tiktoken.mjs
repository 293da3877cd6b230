// npm js-tiktoken bundled into one ES module for pages: the independent implementation the
// tokenizer is checked and benchmarked against.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

import { ROOT } from './worker.mjs';

/** Bundles js-tiktoken (lite, with the o200k and cl100k ranks); returns the directory. */
export async function bundleJsTiktoken() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-js-tiktoken-'));
  await build({
    stdin: {
      contents: [
        "export { Tiktoken } from 'js-tiktoken/lite';",
        "export { default as o200k_base } from 'js-tiktoken/ranks/o200k_base';",
        "export { default as cl100k_base } from 'js-tiktoken/ranks/cl100k_base';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    outfile: path.join(dir, 'js-tiktoken.js'),
    logLevel: 'silent',
  });
  return dir;
}
