#!/usr/bin/env bash
# Runs Ferry locally: builds the proxy worker and serves it under `wrangler dev` on
# http://127.0.0.1:${PORT:-8787}, with AUTH_MODE=none (the caller's IP is its identity) and
# any browser origin allowed. Providers are the real ones: bring your own key.
# Extra `wrangler dev` flags pass through, e.g. `scripts/run.sh --var PROXY_DISABLE_GROQ:true`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build-worker.sh

port=${PORT:-8787}
echo "Ferry proxy on http://127.0.0.1:$port  (health: http://127.0.0.1:$port/health)"
export WRANGLER_SEND_METRICS=false
exec node_modules/.bin/wrangler dev --config target/wrangler.local.toml --local \
  --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false \
  --var AUTH_MODE:none --var 'ALLOWED_ORIGINS:*' "$@"
