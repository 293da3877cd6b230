#!/usr/bin/env bash
# Runs Ferry locally on http://127.0.0.1:${PORT:-8787}: one worker serves the app and the proxy
# on the same origin, as deployed (wrangler.toml's [assets]; AUTH_MODE=none: the caller's IP
# is its identity; no CORS: the app is same-origin). Providers are the real ones: open the
# app, paste your key, chat.
# The worker runs in workerd through scripts/dev-worker.mjs, which lets it reach public
# addresses only (never this machine or its network).
# Extra `--var KEY:VALUE` flags pass through, e.g. `scripts/run.sh --var PROXY_DISABLE_GROQ:true`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh

# Built again only when a source changed since the last build run here, or an output is
# missing (scripts/stale.sh): an unchanged tree serves within seconds. The stamp is taken
# before building, so an edit made during a build is built by the next start.
stamp=target/run-built.stamp
if bash scripts/stale.sh "$stamp"; then
  mkdir -p target
  touch "$stamp.next"
  bash scripts/build-worker.sh
  bash scripts/build-ui.sh
  mv "$stamp.next" "$stamp"
else
  echo "Ferry: no source changed since the last build; serving it"
fi

port=${PORT:-8787}
echo "Ferry: open http://127.0.0.1:$port  (the proxy on the same origin; health: /health)"
export WRANGLER_SEND_METRICS=false
exec node scripts/dev-worker.mjs --config target/wrangler.local.toml --ip 127.0.0.1 \
  --port "$port" "$@"
