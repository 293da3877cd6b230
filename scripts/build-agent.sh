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

# The tokenizer: its own wasm module, loaded by a Web Worker on first need.
cargo build --release --target wasm32-unknown-unknown -p ferry-tokenizer
wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/release/ferry_tokenizer.wasm
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/ferry_tokenizer_bg.wasm" -o "$out/ferry_tokenizer_bg.wasm"
cp web-agent/tokenizer-worker.js "$out/"
