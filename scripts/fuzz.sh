#!/usr/bin/env bash
# Fuzzes one decoder with libFuzzer and AddressSanitizer.
# Usage: scripts/fuzz.sh frames|batch|topology [RUNS] [JOBS]   (RUNS defaults to 1000000)
# The corpus grows in .build-fuzz/corpus/TARGET. A crashing input is written to
# .build-fuzz/crashes/TARGET/; copy it to Fuzz/regressions/TARGET/ so the test suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh frames|batch|topology [RUNS]}"
runs="${2:-1000000}"
case "$target" in frames|batch|topology) ;; *) echo "error: the target must be frames, batch or topology, not $target" >&2; exit 2;; esac
source scripts/swift-env.sh
scripts/install-system-packages.sh
# swiftc's -sanitize=fuzzer alone leaves Swift code without the counters libFuzzer reads
# (a run then reports no coverage), so the coverage kinds are named explicitly.
swift build -c release --scratch-path .build-fuzz --product pccc-fuzz \
  --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library -Xswiftc -DFUZZING \
  -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
binary=$(swift build -c release --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address --show-bin-path)/pccc-fuzz
corpus=.build-fuzz/corpus/$target
crashes=.build-fuzz/crashes/$target
mkdir -p "$corpus" "$crashes"
PCCC_FUZZ_TARGET=$target PCCC_FUZZ_SEED_DIR=$corpus "$binary" "$corpus" \
  -runs="$runs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1
