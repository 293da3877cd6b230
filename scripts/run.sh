#!/usr/bin/env bash
# Runs Ferry locally: the proxy worker on http://127.0.0.1:${PORT:-8787} (AUTH_MODE=none: the
# caller's IP is its identity; CORS for the app's own origin only), and the app on
# http://127.0.0.1:${APP_PORT:-8080}, pointed at that proxy. Providers are the real ones:
# open the app, paste your key, chat.
# The worker runs in workerd through scripts/dev-worker.mjs, which lets it reach public
# addresses only (never this machine or its network) and allows only the app's origin.
# Extra `--var KEY:VALUE` flags pass through, e.g. `scripts/run.sh --var PROXY_DISABLE_GROQ:true`.
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
node scripts/dev-worker.mjs --config target/wrangler.local.toml --ip 127.0.0.1 \
  --port "$port" --app-port "$app_port" "$@"
