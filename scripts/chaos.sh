#!/usr/bin/env bash
# The chaos harness by hand: real pccc serve processes behind fault proxies, random writes,
# partitions and SIGKILLs, then the convergence and acknowledged-write checks
# (Tests/NodeTests/Chaos, docs/CHAOS.md). CI runs the short profile with a fresh seed.
#   scripts/chaos.sh [--profile short|long] [--seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=short
seed=""
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="${2:?--profile needs short or long}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
        *) echo "error: unknown option $1; use --profile short|long and --seed N" >&2; exit 2 ;;
    esac
done
case "$profile" in short|long) ;; *) echo "error: --profile must be short or long, not $profile" >&2; exit 2 ;; esac
source scripts/swift-env.sh
export PCCC_CHAOS_PROFILE="$profile"
if [ -n "$seed" ]; then export PCCC_CHAOS_SEED="$seed"; fi
swift build --build-tests
swift test --skip-build --filter ChaosTests
