#!/usr/bin/env bash
# Builds the app: the agent module first (scripts/build-agent.sh, copied in by trunk), then
# the Leptos app with trunk, into target/web-ui-dist/. Offline: trunk uses the wasm-bindgen
# CLI of the version in Cargo.lock and npm binaryen's wasm-opt, both on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/build-agent.sh
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
(cd web-ui && trunk build --release --offline)
