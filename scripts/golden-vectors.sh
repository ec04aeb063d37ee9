#!/usr/bin/env bash
# Writes one more set of golden vectors (docs/PROTOCOL.md §9) from this build, for every later
# release to read: run it when a release changes the frames, the batch format or the schema.
#   scripts/golden-vectors.sh NAME     e.g. 2027-03-protocol3-schema14
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/golden-vectors.sh NAME (a new folder name, e.g. 2027-03-protocol3-schema14)}"
source scripts/swift-env.sh
swift build --product pccc-golden-vectors
.build/debug/pccc-golden-vectors "Tests/ReplicaTests/Fixtures/golden/$name"
