#!/usr/bin/env bash
# The API's contract test: every route's real answers against docs/openapi.yaml, then
# schemathesis's generated requests, both against the real demo region. Installs schemathesis
# from PyPI when missing. Usage: scripts/contract-test.sh [PCCC-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
pccc="${1:-.build/debug/pccc}"
if ! command -v schemathesis >/dev/null; then
  echo "installing schemathesis from PyPI" >&2
  python3 -m pip install --quiet schemathesis
fi
exec python3 Tests/Contract/api_contract.py --pccc "$pccc" --artifacts test-artifacts/contract
