#!/usr/bin/env bash
# Runs every check CI runs: format lint, the whole test suite (1,000 generated convergence
# cases by default; PCCC_PROPERTY_CASES changes it), smoke runs of the demo and benchmark, the
# service packaging's tests (install.sh, the systemd units, the backup script), the web UI's
# browser test, and the API's contract test (docs/openapi.yaml, with schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/swift-env.sh
scripts/install-system-packages.sh
echo "== swift format lint"
swift format lint --recursive --strict Sources Tests Fuzz
echo "== swift build"
swift build --build-tests
echo "== demo smoke run"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
.build/debug/pccc demo --state "$state/demo" --once >"$state/demo.log"
grep -q "appeared at all four centres" "$state/demo.log" || { cat "$state/demo.log"; echo "error: the demo did not finish" >&2; exit 1; }
echo "== packaging test (backup retention, install.sh, systemd-analyze verify, the unit's ExecStart served)"
scripts/packaging-test.sh .build/debug/pccc
echo "== browser test (chromium headless against the demo region)"
scripts/browser-test.sh .build/debug/pccc
echo "== API contract test (docs/openapi.yaml against the demo region, then schemathesis)"
scripts/contract-test.sh .build/debug/pccc
echo "== benchmark smoke run (debug build; real figures come from -c release)"
.build/debug/pccc-bench --sizes 2000 --single-record-writes 200 --searches 20 --idle-streams 100
.build/debug/pccc-bench backup --records 2000 --baseline-seconds 1 --runs 1
.build/debug/pccc-bench schema --changes 2000
.build/debug/pccc-bench report --requests 2000
.build/debug/pccc-bench sign-in --runs 3
.build/debug/pccc-bench duplicates --persons 2000 --checks 20 --import 1000
# The chaos harness and the crash loop keep five and two nodes busy for minutes; they run on
# their own afterwards, so the rest of the suite's timeouts do not share two cores with them.
heavy="ChaosTests|CrashLoopTests"
echo "== swift test (all but $heavy)"
swift test --skip "$heavy" 2>&1 | tee "$state/test.log"
echo "== swift test ($heavy: the chaos harness's short profile, 200 SIGKILLs)"
swift test --skip-build --filter "$heavy" 2>&1 | tee "$state/heavy.log"
passed=0
for log in "$state/test.log" "$state/heavy.log"; do
  count=$(grep -oE "Test run with [0-9]+ tests? in [0-9]+ suites? passed" "$log" | grep -oE "[0-9]+" | head -1 || true)
  [ -n "$count" ] || { echo "error: the test run did not pass ($(basename "$log"))" >&2; exit 1; }
  passed=$((passed + count))
done
echo "$passed passed, 0 failed"
