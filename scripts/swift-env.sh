# Sourced by the project's scripts: finds the Swift toolchain.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null 2>&1 || { echo "error: the Swift toolchain is not on PATH (nor at /opt/swift)" >&2; exit 1; }
