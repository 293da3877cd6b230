#!/usr/bin/env bash
# Runs Ferry locally: the proxy worker under `wrangler dev` on http://127.0.0.1:${PORT:-8787}
# (AUTH_MODE=none: the caller's IP is its identity; any browser origin allowed), and the app
# on http://127.0.0.1:${APP_PORT:-8080}, pointed at that proxy. Providers are the real ones:
# open the app, paste your key, chat.
# Extra `wrangler dev` flags pass through, e.g. `scripts/run.sh --var PROXY_DISABLE_GROQ:true`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build-worker.sh
bash scripts/build-ui.sh

port=${PORT:-8787}
app_port=${APP_PORT:-8080}
printf '{"proxy_url":"http://127.0.0.1:%s"}\n' "$port" >target/web-ui-dist/ferry-config.json

node scripts/serve-app.mjs target/web-ui-dist "$app_port" &
app_pid=$!
trap 'kill "$app_pid" 2>/dev/null || true' EXIT INT TERM

echo "Ferry: open http://127.0.0.1:$app_port  (proxy on http://127.0.0.1:$port, health: /health)"
export WRANGLER_SEND_METRICS=false
node_modules/.bin/wrangler dev --config target/wrangler.local.toml --local \
  --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false \
  --var AUTH_MODE:none --var 'ALLOWED_ORIGINS:*' "$@"
