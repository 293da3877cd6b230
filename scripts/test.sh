#!/usr/bin/env bash
# Runs every test tier, installing what they need first:
#   format and lints (native + wasm32) → unit tests (native) → core on wasm32 →
#   Supabase migrations and row-level security on a real PostgreSQL → worker and app
#   builds → end-to-end (workerd under wrangler dev, loopback mock providers, the official
#   OpenAI SDK as client, whole agent turns in headless Chromium) → the app in Chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

FERRY_SETUP=test bash scripts/setup.sh

say "format"
cargo fmt --all -- --check
say "lints (native, wasm32)"
cargo lint
cargo lint-wasm
say "unit tests (native)"
cargo test-unit
say "wasm32 tests (core, markdown, tokenizer, agent; the agent's in headless Chromium)"
# The fetch transport's tests stream from a loopback SSE server.
# The MCP client's tests speak to the reference MCP server behind a recording front.
sse_urls=$(mktemp)
mcp_urls=$(mktemp)
node web-agent/tests/support/sse-server.mjs >"$sse_urls" &
sse_pid=$!
node web-agent/tests/support/mcp-server.mjs >"$mcp_urls" &
mcp_pid=$!
trap 'kill "$sse_pid" "$mcp_pid" 2>/dev/null || true; rm -f "$sse_urls" "$mcp_urls"' EXIT
until [ "$(wc -l <"$sse_urls")" -ge 2 ] && [ "$(wc -l <"$mcp_urls")" -ge 2 ]; do sleep 0.1; done
FERRY_SSE_SERVER=$(sed -n 1p "$sse_urls") FERRY_CLOSED_URL=$(sed -n 2p "$sse_urls") \
  FERRY_MCP_SERVER=$(sed -n 1p "$mcp_urls") FERRY_MCP_LOG=$(sed -n 2p "$mcp_urls") cargo test-wasm
kill "$sse_pid" "$mcp_pid" 2>/dev/null || true
say "database (Supabase migrations on PostgreSQL 15)"
node --test --test-concurrency=1 tests/db/
say "worker and app builds (the app's build includes the agent and tokenizer modules)"
bash scripts/build-worker.sh
bash scripts/build-ui.sh
bash scripts/build-ui.sh --crash-trigger
say "end-to-end"
node --test --test-concurrency=1 tests/e2e/
say "the app in Chromium (Playwright)"
node --test --test-concurrency=1 tests/ui/
