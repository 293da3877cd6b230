#!/usr/bin/env bash
# Builds the proxy worker (Rust → wasm → proxy-worker/build/) with tools already on PATH or
# in node_modules, never downloading any, and writes target/wrangler.local.toml: the same
# worker config without the build step, which local runs and tests start from. Its [assets]
# directory, the app (scripts/build-ui.sh), is made empty if not built yet, so the proxy
# alone still starts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

profile=${FERRY_WORKER_PROFILE:---release}
(
  cd proxy-worker
  WASM_BINDGEN_BIN=$(command -v wasm-bindgen) \
  WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt" \
  ESBUILD_BIN="$root/node_modules/.bin/esbuild" \
    worker-build "$profile"
)

# The deployed module without its function names (about 50 KB of the gzip size), which
# worker-build keeps; FERRY_WORKER_NAMES=keep keeps them (bench/profile.mjs reads them).
if [ "${FERRY_WORKER_NAMES:-strip}" != keep ]; then
  features=()
  for feature in mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue \
                 reference-types exception-handling; do
    features+=("--enable-$feature")
  done
  "$root/node_modules/.bin/wasm-opt" "${features[@]}" --strip-debug --strip-producers \
    proxy-worker/build/index_bg.wasm -o proxy-worker/build/index_bg.wasm
fi

mkdir -p target/web-ui-dist
# Paths in a wrangler config are relative to the config file.
sed -e '/^\[build\]/,/^$/d' \
    -e 's#^main = "proxy-worker/#main = "../proxy-worker/#' \
    -e 's#^directory = "target/#directory = "#' \
    wrangler.toml > target/wrangler.local.toml
