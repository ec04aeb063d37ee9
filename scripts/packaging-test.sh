#!/usr/bin/env bash
# The service packaging's tests (docs/OPERATIONS.md), run by scripts/test.sh: the backup
# script's retention with a fake pccc, scripts/install.sh into a temporary root, and the
# systemd units (systemd-analyze verify; pccc@.service's ExecStart served, reloaded and stopped).
# Installs systemd (for systemd-analyze) and curl when missing. Usage: scripts/packaging-test.sh [PCCC-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
pccc="${1:-.build/debug/pccc}"
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "-- backup retention (packaging/pccc-backup.sh)"
packaging/tests/backup-retention-test.sh
echo "-- scripts/install.sh"
packaging/tests/install-test.sh "$pccc"
echo "-- systemd units"
packaging/tests/units-test.sh "$pccc"
