#!/usr/bin/env bash
# Runs the sample region: four centres on this machine, their replicas in ./demo-state.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/swift-env.sh
scripts/install-system-packages.sh
swift build --product pccc
.build/debug/pccc demo "$@"
