#!/usr/bin/env bash
# Exits 0 when the worker and the app need building for scripts/run.sh: an output is
# missing, or a source changed since the build it stamped (target/run-built.stamp, or the
# stamp given as $1); exits 1 when what is built is up to date.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

stamp=${1:-target/run-built.stamp}
for built in "$stamp" proxy-worker/build/index.js target/wrangler.local.toml \
  target/web-ui-dist/index.html; do
  [ -f "$built" ] || exit 0
done
sources=(.cargo Cargo.toml Cargo.lock package-lock.json wrangler.toml core protocol markdown
  tokenizer mcp proxy-worker web-agent web-ui scripts)
newer=$(find "${sources[@]}" -type f -newer "$stamp" -not -path 'proxy-worker/build/*' -print -quit)
[ -n "$newer" ]
