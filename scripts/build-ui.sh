#!/usr/bin/env bash
# Builds the app: the agent module first (scripts/build-agent.sh, copied in by trunk), then
# the Leptos app with trunk, into target/web-ui-dist/, then its service worker (scripts/sw.mjs:
# sw.js, web-ui/sw.js told the build's files and their hashes) and its headers for Workers
# Static Assets (scripts/app-headers.mjs: _headers, .assetsignore). Offline: trunk uses the
# wasm-bindgen CLI of the version in Cargo.lock and npm binaryen's wasm-opt, both on PATH.
#
# pdf.js (npm pdfjs-dist, pinned in package.json) goes beside the agent module, in
# web-agent-pkg/pdf/: the agent imports pdf.min.mjs the first time a PDF is attached, and that
# starts pdf.worker.min.mjs from the same folder and fetches from cmaps/ the character maps a
# PDF's fonts name without embedding (CJK mostly), each only when needed. None of it is part of
# the first paint.
#
# `--crash-trigger` builds the test-only variant instead (feature `crash-trigger`: a page
# can make the app panic), into target/web-ui-crash-dist/, from the agent module already
# built; only the panic screen's spec uses it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
copy_pdf_reader() {
  rm -rf target/web-agent-pkg/pdf
  mkdir -p target/web-agent-pkg/pdf
  cp node_modules/pdfjs-dist/build/pdf.min.mjs node_modules/pdfjs-dist/build/pdf.worker.min.mjs \
    target/web-agent-pkg/pdf/
  cp -r node_modules/pdfjs-dist/cmaps target/web-agent-pkg/pdf/cmaps
}
if [ "${1:-}" = "--crash-trigger" ]; then
  [ -f target/web-agent-pkg/web_agent.js ] || bash scripts/build-agent.sh
  copy_pdf_reader
  (cd web-ui && trunk build --release --offline --features crash-trigger --dist ../target/web-ui-crash-dist)
  exit
fi
bash scripts/build-agent.sh
copy_pdf_reader
(cd web-ui && trunk build --release --offline)
node scripts/sw.mjs target/web-ui-dist
node scripts/app-headers.mjs target/web-ui-dist
