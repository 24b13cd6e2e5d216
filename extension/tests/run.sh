#!/usr/bin/env bash
# Every test of the browser extension, in order:
#   native unit tests, the build (with its size budget), wasm-bindgen-test in headless
#   Chromium, end-to-end Playwright tests against a stand-in probe and the real probe
#   server, the same in Firefox ESR over WebDriver BiDi (inside `unshare --net`, so root or
#   unprivileged user namespaces), and web-ext lint of the Firefox build.
# Needs (Debian): chromium chromium-driver firefox-esr libnss3-tools fonts-dejavu-core
# openssl iproute2 nodejs npm zip gzip,
# and the Rust toolchain of rust-toolchain.toml. Installs by itself, when missing:
# wasm-bindgen-cli at the version in Cargo.lock (cargo install) and the npm tools of
# extension/package-lock.json (npm ci). Screenshots land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n== %s\n' "$*"; }

step "native unit tests (view logic over the fixtures, JSON decoder, xtask)"
cargo test -p extension -p xtask
cargo test -p shared --test schema

step "npm tools (binaryen, playwright-core, web-ext, ws)"
if [ ! -x extension/node_modules/.bin/wasm-opt ] || [ extension/package-lock.json -nt extension/node_modules/.package-lock.json ]; then
  (cd extension && npm ci --no-audit --no-fund)
fi

step "build: cargo xtask build-extension"
cargo xtask build-extension

step "wasm-bindgen-test in headless Chromium"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
cargo test -p extension --target wasm32-unknown-unknown --test web

step "probe server for the end-to-end tests"
cargo build -p probe-server

step "end-to-end: the real popup in Chromium"
(cd extension && node --test --test-timeout=180000 tests/e2e/)

step "end-to-end: the real popup in Firefox ESR (WebDriver BiDi), in a network namespace of its own"
# Loopback is the namespace's only network: the TLS server takes port 443 of it, and Firefox
# cannot reach anything else. Node 20's WebSocket is behind a flag.
(cd extension && unshare --net -- sh -c 'ip link set lo up && NODE_OPTIONS=--experimental-websocket node --test --test-timeout=240000 tests/firefox/')

step "web-ext lint (Firefox build)"
(cd extension && npx --no-install web-ext lint --source-dir ../dist/firefox)

echo
echo "extension tests: all passed"
