#!/usr/bin/env bash
# Installs pccc to run as a systemd service (docs/OPERATIONS.md):
#
#   scripts/install.sh [--binary PATH] [--prefix DIR] [--destdir DIR]
#
#   --binary   the pccc executable to install (default .build/release/pccc, from
#              `swift build -c release --product pccc --static-swift-stdlib`); the web UI's
#              pccc-sync_API.resources folder next to it is installed with it
#   --prefix   where the program goes (default /usr/local): PREFIX/lib/pccc holds the binary,
#              its resources and pccc-backup.sh, PREFIX/bin/pccc links to it, and the units'
#              paths name PREFIX
#   --destdir  a staging root every path is written under (default none), for packages and
#              tests; the pccc user is then neither made nor given the folders
#
# It writes /etc/systemd/system/pccc@.service, pccc-backup@.service and pccc-backup@.timer,
# /etc/pccc/node.env.example, PREFIX/share/doc/pccc/OPERATIONS.md, and makes /var/lib/pccc and
# /var/backups/pccc (0700). As root without --destdir it also makes the system user and group
# pccc, gives them those two folders and reloads systemd; otherwise it says what it would run.
# Running it again upgrades in place and leaves the admin's files in /etc/pccc alone.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/pccc
prefix=/usr/local
destdir=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --destdir) destdir=${2?--destdir needs a folder}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
fail() { echo "error: $*" >&2; exit 1; }
[[ "$prefix" == /* ]] || fail "--prefix must be an absolute path, not $prefix"
[ -z "$destdir" ] || [[ "$destdir" == /* ]] || destdir="$PWD/$destdir"
prefix=${prefix%/}
destdir=${destdir%/}
[ -f "$binary" ] && [ -x "$binary" ] || fail "$binary is not an executable; build it with: swift build -c release --product pccc --static-swift-stdlib"
resources="$(dirname "$binary")/pccc-sync_API.resources"
[ -f "$resources/UI/index.html" ] || fail "the web UI's resources are not next to the binary ($resources); install the build folder's pccc, not a copy"

# Libraries the binary needs that are not the system's (the Swift runtime, unless it was built
# with --static-swift-stdlib) go next to it, where its RUNPATH ($ORIGIN) finds them.
runtime=()
# (ldd fails on a static executable, which needs nothing.)
libraries=$(ldd "$binary" 2>/dev/null) || libraries=""
missing=$(awk '/not found/ {print $1}' <<<"$libraries")
[ -z "$missing" ] || fail "$binary needs libraries this machine lacks: $(echo $missing) (Debian: apt-get install libsqlite3-0 zlib1g)"
while read -r library; do
  case "$library" in /lib/* | /lib64/* | /usr/lib/* | /usr/lib64/* | "") ;; *) runtime+=("$library") ;; esac
done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$libraries")
if [ "${#runtime[@]}" -gt 0 ] && command -v readelf >/dev/null && ! readelf -d "$binary" | grep -qE 'R(UN)?PATH.*\$ORIGIN'; then
  fail "$binary loads the Swift runtime from $(dirname "${runtime[0]}") and would not find it next to itself; build it with --static-swift-stdlib"
fi

root=$destdir
lib="$root$prefix/lib/pccc"
bin="$root$prefix/bin"
doc="$root$prefix/share/doc/pccc"
units="$root/etc/systemd/system"
config="$root/etc/pccc"
state="$root/var/lib/pccc"
backups="$root/var/backups/pccc"

echo "installing $binary into $root$prefix"
install -d -m 0755 "$lib" "$bin" "$doc" "$units" "$config"
install -m 0755 "$binary" "$lib/pccc.new"
mv -f "$lib/pccc.new" "$lib/pccc"
# The resources are replaced whole, so no file of an older release stays.
rm -rf "$lib/pccc-sync_API.resources.new"
cp -R "$resources" "$lib/pccc-sync_API.resources.new"
find "$lib/pccc-sync_API.resources.new" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
rm -rf "$lib/pccc-sync_API.resources"
mv "$lib/pccc-sync_API.resources.new" "$lib/pccc-sync_API.resources"
# Runtime libraries of an earlier install are removed first: a static build needs none.
find "$lib" -maxdepth 1 -type f -name 'lib*.so*' -delete
for library in "${runtime[@]}"; do install -m 0644 "$library" "$lib/"; done
[ "${#runtime[@]}" -eq 0 ] || echo "copied ${#runtime[@]} Swift runtime libraries next to the binary (a --static-swift-stdlib build needs none)"
install -m 0755 packaging/pccc-backup.sh "$lib/pccc-backup.sh"
ln -sfn "$(realpath --relative-to="$bin" "$lib/pccc")" "$bin/pccc"
for unit in pccc@.service pccc-backup@.service pccc-backup@.timer; do
  sed "s|/usr/local/|$prefix/|g" "packaging/systemd/$unit" >"$units/$unit.new"
  chmod 0644 "$units/$unit.new"
  mv -f "$units/$unit.new" "$units/$unit"
done
install -m 0644 docs/OPERATIONS.md "$doc/OPERATIONS.md"
cat >"$config/node.env.example" <<'EOF'
# Copy to /etc/pccc/NODE.env for node NODE (pccc@NODE.service and pccc-backup@NODE.service read it).
# Options added to `pccc serve --data /var/lib/pccc/NODE` (see `pccc serve --help`), such as the
# web UI and HTTP API on a loopback port:
#PCCC_SERVE_OPTIONS=--api 127.0.0.1:8080
# How many daily backups of this node to keep (default 14); /etc/pccc/backup.env sets it for all.
#PCCC_BACKUP_KEEP=14
EOF
chmod 0644 "$config/node.env.example"

install -d -m 0700 "$state" "$backups"
chmod 0700 "$state" "$backups"
# The group too, unless a pccc group is already there: then the user joins it.
group_option=--user-group
if getent group pccc >/dev/null; then group_option="--gid=pccc"; fi
useradd_command=(useradd --system "$group_option" --home-dir /var/lib/pccc --no-create-home --shell /usr/sbin/nologin --comment "PCCC Sync" pccc)
if [ "$(id -u)" -eq 0 ] && [ -z "$destdir" ]; then
  if ! getent passwd pccc >/dev/null; then
    "${useradd_command[@]}"
    echo "made the system user pccc ($(id -u pccc)), group pccc ($(id -g pccc))"
  fi
  chown pccc:pccc "$state" "$backups"
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
else
  why="not root"
  [ -z "$destdir" ] || why="installing under --destdir $destdir"
  echo "$why, so not run:"
  getent passwd pccc >/dev/null || { printf ' '; printf ' %q' "${useradd_command[@]}"; echo; }
  echo "  chown pccc:pccc /var/lib/pccc /var/backups/pccc"
  echo "  systemctl daemon-reload"
fi

cat <<EOF
installed: $prefix/bin/pccc, $prefix/lib/pccc, /etc/systemd/system/pccc@.service,
pccc-backup@.service, pccc-backup@.timer; node folders go in /var/lib/pccc, backups in /var/backups/pccc.
Next steps for a node NODE (docs/OPERATIONS.md, installed in $prefix/share/doc/pccc):
  1. Make its node folder from the files the region's CA admin gave you, then give it to pccc:
       $prefix/bin/pccc init --data /var/lib/pccc/NODE --node NODE --topology region.yaml \\
         --signing-key NODE.signing --ca ca.pem --cert NODE.pem --key NODE.key --admin YOUR-NAME
       chown -R pccc:pccc /var/lib/pccc/NODE
  2. Optionally, serve options (the web UI): cp /etc/pccc/node.env.example /etc/pccc/NODE.env and edit it.
  3. Start it now and at every boot:      systemctl enable --now pccc@NODE
  4. Back it up daily:                    systemctl enable --now pccc-backup@NODE.timer
  5. Check it:                            sudo -u pccc $prefix/bin/pccc status --data /var/lib/pccc/NODE
                                          journalctl -u pccc@NODE
EOF
