#!/usr/bin/env bash
# The service packaging's tests (docs/OPERATIONS.md), run by scripts/test.sh: the backup
# script's retention with a fake pccc, scripts/install.sh into a temporary root, and the
# systemd units (systemd-analyze verify; pccc@.service's ExecStart served, reloaded and stopped).
# Installs the system packages it needs when missing. Usage: scripts/packaging-test.sh [PCCC-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
pccc="${1:-.build/debug/pccc}"
# systemd (for systemd-analyze) and curl come with the build's packages.
scripts/install-system-packages.sh
echo "-- backup retention (packaging/pccc-backup.sh)"
packaging/tests/backup-retention-test.sh
echo "-- scripts/install.sh"
packaging/tests/install-test.sh "$pccc"
echo "-- systemd units"
packaging/tests/units-test.sh "$pccc"
