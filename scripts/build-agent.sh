#!/usr/bin/env bash
# Builds the browser agent (web-agent → wasm → target/web-agent-pkg/, an ES module for
# pages), with the wasm-bindgen CLI of the version in Cargo.lock and npm binaryen's wasm-opt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cargo build --release --target wasm32-unknown-unknown -p web-agent
out=target/web-agent-pkg
wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/release/web_agent.wasm
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/web_agent_bg.wasm" -o "$out/web_agent_bg.wasm"

# The tokenizer: a wasm module of its own per encoding (ferry_tokenizer_o200k.js,
# ferry_tokenizer_cl100k.js), each with only its tables, loaded by a Web Worker on first need.
# Each build links the same crate with another feature, so the wasm is copied out first.
for encoding in o200k cl100k; do
  cargo build --release --target wasm32-unknown-unknown -p ferry-tokenizer \
    --no-default-features --features "$encoding"
  cp target/wasm32-unknown-unknown/release/ferry_tokenizer.wasm "target/ferry_tokenizer_$encoding.wasm"
  wasm-bindgen --target web --out-dir "$out" "target/ferry_tokenizer_$encoding.wasm"
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/ferry_tokenizer_${encoding}_bg.wasm" -o "$out/ferry_tokenizer_${encoding}_bg.wasm"
done
rm -f "$out"/ferry_tokenizer.js "$out"/ferry_tokenizer_bg.wasm "$out"/ferry_tokenizer.d.ts \
  "$out"/ferry_tokenizer_bg.wasm.d.ts
cp web-agent/tokenizer-worker.js "$out/"
