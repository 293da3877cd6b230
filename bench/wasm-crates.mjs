// Where a wasm module's code comes from: the bytes of function bodies per crate, read from
// the name section of cargo's own output (before wasm-bindgen and wasm-opt strip it).
//
//   node bench/wasm-crates.mjs [module.wasm …]
//
// With no argument: the proxy worker's and the browser agent's release builds, as
// scripts/build-worker.sh and scripts/build-agent.sh leave them. Generic code is counted
// under the crate of the type it was made for, in <angle brackets> (`<serde_json>` is
// serde_json's Serializer used by derived impls elsewhere).

import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from '../tests/e2e/support/worker.mjs';

const DEFAULTS = ['proxy_worker.wasm', 'web_agent.wasm'].map((f) =>
  path.join(ROOT, 'target', 'wasm32-unknown-unknown', 'release', f),
);

function reader(bytes) {
  let at = 0;
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return value;
    }
  };
  const skip = (n) => (at += n);
  const name = () => {
    const length = leb();
    const text = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  return { leb, skip, name, get at() { return at; }, set at(v) { at = v; } };
}

/** `{ imported, bodies: [size], names: Map<index, name> }` of a module. */
function parse(bytes) {
  const r = reader(bytes);
  r.at = 8;
  let imported = 0;
  let bodies = [];
  const names = new Map();
  while (r.at < bytes.length) {
    const id = bytes[r.at++];
    const size = r.leb();
    const end = r.at + size;
    if (id === 2) {
      for (let n = r.leb(); n > 0; n--) {
        r.name();
        r.name();
        const kind = bytes[r.at++];
        if (kind === 0) (r.leb(), imported++);
        else if (kind === 1) (r.skip(1), r.leb() & 1 ? (r.leb(), r.leb()) : r.leb());
        else if (kind === 2) r.leb() & 1 ? (r.leb(), r.leb()) : r.leb();
        else if (kind === 3) r.skip(2);
        else r.leb();
      }
    } else if (id === 10) {
      bodies = [];
      for (let n = r.leb(); n > 0; n--) {
        const length = r.leb();
        bodies.push(length);
        r.skip(length);
      }
    } else if (id === 0 && r.name() === 'name') {
      while (r.at < end) {
        const sub = bytes[r.at++];
        const subEnd = r.leb() + r.at;
        if (sub === 1) {
          for (let n = r.leb(); n > 0; n--) names.set(r.leb(), r.name());
        }
        r.at = subEnd;
      }
    }
    r.at = end;
  }
  return { imported, bodies, names };
}

/** The crate a (legacy-mangled) Rust symbol belongs to. */
function crateOf(symbol) {
  const mangled = /^_ZN(\d+)/.exec(symbol);
  if (!mangled) return symbol.startsWith('__wbindgen_describe') ? '(wasm-bindgen describe)' : '(other)';
  const first = symbol.slice(mangled[0].length, mangled[0].length + Number(mangled[1]));
  if (first.includes('$LT$')) {
    const inner = /\$LT\$(?:\$RF\$)?(?:mut\$u20\$)?([a-z_0-9]+)\.\./.exec(first);
    return `<${inner ? inner[1] : 'generic'}>`;
  }
  return first;
}

for (const file of process.argv.length > 2 ? process.argv.slice(2) : DEFAULTS) {
  const { imported, bodies, names } = parse(readFileSync(file));
  const byCrate = new Map();
  let total = 0;
  bodies.forEach((size, i) => {
    const crate = crateOf(names.get(imported + i) ?? '');
    // wasm-bindgen's descriptors run at build time and are gone from the module shipped.
    if (crate === '(wasm-bindgen describe)') return;
    byCrate.set(crate, (byCrate.get(crate) ?? 0) + size);
    total += size;
  });
  console.log(`${path.basename(file)}: ${(total / 1024).toFixed(0)} KB of function bodies (before wasm-opt)`);
  const rows = [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [crate, size] of rows) {
    console.log(`  ${(size / 1024).toFixed(1).padStart(7)} KB  ${((100 * size) / total).toFixed(1).padStart(4)}%  ${crate}`);
  }
}
