#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 20). Exits non-zero on a
# crash (or a build failure). Uses the nightly toolchain when rustup has one, else the
# pinned stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
#
#   probe-server/fuzz/smoke.sh [SECONDS]
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "smoke.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked >&2 || cargo install cargo-fuzz >&2
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    echo "smoke.sh: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1" >&2
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

targets=$("${fuzz[@]}" list)
"${fuzz[@]}" build >&2

status=0
for target in $targets; do
    echo "smoke.sh: $target for ${SECONDS_PER_TARGET}s" >&2
    mkdir -p "corpus/$target"
    if ! "${fuzz[@]}" run "$target" "corpus/$target" seeds -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 \
        2> "/tmp/fuzz-smoke-$target.log"; then
        echo "smoke.sh: $target FAILED (log: /tmp/fuzz-smoke-$target.log)" >&2
        tail -n 40 "/tmp/fuzz-smoke-$target.log" >&2
        status=1
    else
        grep -E 'stat::number_of_executed_units|Done' "/tmp/fuzz-smoke-$target.log" >&2 || true
    fi
done
exit "$status"
