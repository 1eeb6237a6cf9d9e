#!/usr/bin/env bash
# Builds every fuzz target and replays its committed corpus (fuzz/corpus/TARGET) once, with no
# mutation: a regression test for the scopes crate. Exits non-zero if the build fails or any
# input crashes (panic, failed assertion, timeout, out of memory).
#
# Runs on the stable toolchain: cargo-fuzz with `-s none` (no sanitizer) passes only stable
# rustc flags, so neither nightly nor RUSTC_BOOTSTRAP is needed. Needs a C++ compiler (c++/g++)
# for libFuzzer, which libfuzzer-sys builds from source. Idempotent: safe to run again; it
# writes only under fuzz/target/ and fuzz/artifacts/ (both ignored by git), never to the corpus.
#
# Usage: fuzz/replay.sh            (from anywhere)
set -euo pipefail

cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "replay.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
if ! command -v c++ >/dev/null 2>&1; then
    echo "replay.sh: no C++ compiler (c++) found; libfuzzer-sys needs one (apt-get install g++)" >&2
    exit 1
fi

targets=(parse expand_intersect custom_scopes)

cargo fuzz build -s none

status=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    count=$(find "$corpus" -type f | wc -l)
    echo "replay.sh: $target: replaying $count inputs from $corpus"
    # -runs=0: run every corpus input once, then stop without mutating (nothing is written).
    if cargo fuzz run -s none "$target" "$corpus" -- -runs=0 -timeout=10 -rss_limit_mb=2048; then
        echo "replay.sh: $target: ok"
    else
        echo "replay.sh: $target: FAILED (see the input and message above)" >&2
        status=1
    fi
done

if [ "$status" -eq 0 ]; then
    echo "replay.sh: all ${#targets[@]} fuzz targets replayed their corpus without a crash"
fi
exit "$status"
