#!/usr/bin/env bash
# The web UI's browser test: Debian's chromium, headless, driven by selenium against the
# real demo region. Installs chromium, chromium-driver and selenium when missing.
# Screenshots land in test-artifacts/browser. Usage: scripts/browser-test.sh [PCCC-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
pccc="${1:-.build/debug/pccc}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing chromium and chromium-driver" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! python3 -c "import selenium" 2>/dev/null; then
  echo "installing selenium from PyPI" >&2
  python3 -m pip install --quiet selenium
fi
exec python3 Tests/Browser/ui_test.py --pccc "$pccc" --artifacts test-artifacts/browser
