#!/usr/bin/env bash
# Installs what Ferry needs to build, run and test, skipping whatever is already there:
# the wasm32 Rust target, pinned cargo tools, npm packages, Debian packages.
# Usage: scripts/setup.sh            (build + run needs)
#        FERRY_SETUP=test scripts/setup.sh   (also what the test suite needs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# cargo_tool BINARY CRATE VERSION [cargo install flags…]
cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -qF "$version"; then
    return 0
  fi
  say "cargo install $crate $version"
  cargo install "$crate" --version "$version" "$@"
}

command -v node >/dev/null 2>&1 || apt_install nodejs npm
command -v cargo >/dev/null 2>&1 || { echo "Rust (cargo, rustup) is required: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must be the very version of the wasm-bindgen crate in Cargo.lock.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
cargo_tool wasm-bindgen wasm-bindgen-cli "$bindgen_version"
cargo_tool worker-build worker-build 0.8.7 --locked
cargo_tool trunk trunk 0.21.14 --locked

# Test-only: PostgreSQL 15 server binaries for tests/db (one throw-away cluster per test
# file); Chromium and its driver for the browser tests (wasm-bindgen-test, Playwright).
if [ "${FERRY_SETUP:-}" = test ]; then
  apt_install postgresql chromium chromium-driver
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

say "set-up complete"
