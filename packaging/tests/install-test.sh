#!/usr/bin/env bash
# scripts/install.sh into a temporary --destdir, as a user who is not root (as root, the test
# runs it as nobody): the tree it makes and every mode in it, the units' paths rewritten to
# --prefix, the user and ownership it leaves to root (and says so), a second run that changes
# nothing the admin wrote and removes what the first left over, and the installs it refuses.
# Usage: packaging/tests/install-test.sh [PCCC-BINARY]   (default .build/debug/pccc)
set -euo pipefail
cd "$(dirname "$0")/../.."
pccc=$(realpath "${1:-.build/debug/pccc}")
tmp=$(mktemp -d)
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { # check DESCRIPTION CONDITION: CONDITION is shell code; one line per check, failures counted
  if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1" >&2; failures=$((failures + 1)); fi
}
as_user=()
if [ "$(id -u)" -eq 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
mkdir "$tmp/root"
[ "${#as_user[@]}" -eq 0 ] || chown 65534:65534 "$tmp/root"
user_before=$(getent passwd pccc || true)
install() { "${as_user[@]}" scripts/install.sh --binary "$pccc" --prefix /opt/pccc --destdir "$tmp/root" "$@"; }

echo "== install.sh --prefix /opt/pccc --destdir DIR, as a user who is not root"
status=0
install >"$tmp/out" 2>&1 || status=$?
sed 's/^/    /' "$tmp/out"
check "succeeds" '[ "$status" -eq 0 ]'
r="$tmp/root"
mode() { stat -c '%a %F' "$r/$1" 2>/dev/null || echo missing; }
expected=(
  "755 directory:opt/pccc/bin" "755 directory:opt/pccc/lib/pccc" "755 regular file:opt/pccc/lib/pccc/pccc"
  "755 regular file:opt/pccc/lib/pccc/pccc-backup.sh" "755 directory:opt/pccc/lib/pccc/pccc-sync_API.resources/UI"
  "644 regular file:opt/pccc/lib/pccc/pccc-sync_API.resources/UI/index.html"
  "644 regular file:opt/pccc/lib/pccc/pccc-sync_API.resources/UI/app.js"
  "644 regular file:opt/pccc/lib/pccc/pccc-sync_API.resources/UI/app.css"
  "644 regular file:opt/pccc/lib/pccc/pccc-sync_API.resources/UI/icon.svg"
  "644 regular file:opt/pccc/share/doc/pccc/OPERATIONS.md"
  "644 regular file:etc/systemd/system/pccc@.service" "644 regular file:etc/systemd/system/pccc-backup@.service"
  "644 regular file:etc/systemd/system/pccc-backup@.timer"
  "755 directory:etc/pccc" "644 regular file:etc/pccc/node.env.example"
  "700 directory:var/lib/pccc" "700 directory:var/backups/pccc"
)
for entry in "${expected[@]}"; do
  path=${entry#*:}
  check "$path: ${entry%%:*}" '[ "$(mode "$path")" = "${entry%%:*}" ]'
done
check "opt/pccc/bin/pccc links to ../lib/pccc/pccc" '[ "$(readlink "$r/opt/pccc/bin/pccc")" = ../lib/pccc/pccc ]'
check "the installed pccc runs" '"$r/opt/pccc/bin/pccc" --help | grep -q "^OVERVIEW: PCCC Sync"'
check "the installed web UI is the build's" 'diff -r "$(dirname "$pccc")/pccc-sync_API.resources" "$r/opt/pccc/lib/pccc/pccc-sync_API.resources"'
check "the backup script is packaging/pccc-backup.sh" 'cmp -s packaging/pccc-backup.sh "$r/opt/pccc/lib/pccc/pccc-backup.sh"'
check "nothing else is in the tree" \
  '[ -z "$(cd "$r" && find . -mindepth 1 \( -type f -o -type l \) ! -name "lib*.so*" | sed "s|^\./||" | grep -vxF -f <(printf "%s\n" "${expected[@]#*:}" opt/pccc/bin/pccc))" ]'
check "the units name /opt/pccc, never /usr/local" \
  '! grep -l "/usr/local/" "$r"/etc/systemd/system/pccc* && grep -qx "ExecStart=/opt/pccc/bin/pccc serve --data %S/pccc/%i \$PCCC_SERVE_OPTIONS" "$r/etc/systemd/system/pccc@.service" && grep -qx "ExecStart=/opt/pccc/lib/pccc/pccc-backup.sh %i" "$r/etc/systemd/system/pccc-backup@.service" && grep -qx "Environment=PCCC=/opt/pccc/bin/pccc" "$r/etc/systemd/system/pccc-backup@.service"'
check "the units are packaging/systemd's but for the prefix" \
  'for u in pccc@.service pccc-backup@.service pccc-backup@.timer; do diff <(sed "s|/usr/local/|/opt/pccc/|g" "packaging/systemd/$u") "$r/etc/systemd/system/$u" || exit 1; done'
check "it says it did not make the user, chown or reload, and how it would have" \
  'grep -q "so not run:" "$tmp/out" && grep -q "chown pccc:pccc /var/lib/pccc /var/backups/pccc" "$tmp/out" && grep -q "systemctl daemon-reload" "$tmp/out" && { [ -n "$user_before" ] || grep -q "useradd --system --user-group --home-dir /var/lib/pccc --no-create-home --shell /usr/sbin/nologin --comment PCCC\\\\ Sync pccc" "$tmp/out"; }'
check "no pccc user was made" '[ "$(getent passwd pccc || true)" = "$user_before" ]'
check "it prints the next steps" 'grep -q "systemctl enable --now pccc@NODE" "$tmp/out" && grep -q "systemctl enable --now pccc-backup@NODE.timer" "$tmp/out" && grep -q "pccc init --data /var/lib/pccc/NODE" "$tmp/out"'

echo "== a second run"
listing() { (cd "$r" && find . -printf '%p %y %m %s\n' | sort); }
before=$(listing)
printf 'PCCC_SERVE_OPTIONS=--api 127.0.0.1:8080\n' >"$tmp/mk.env"
cp "$tmp/mk.env" "$r/etc/pccc/mk-tabanovce.env"
touch "$r/opt/pccc/lib/pccc/pccc-sync_API.resources/UI/old.js" "$r/opt/pccc/lib/pccc/libold.so"
status=0
install >"$tmp/out" 2>&1 || status=$?
check "succeeds" '[ "$status" -eq 0 ]'
check "leaves the admin's /etc/pccc/mk-tabanovce.env alone" 'cmp -s "$tmp/mk.env" "$r/etc/pccc/mk-tabanovce.env"'
rm "$r/etc/pccc/mk-tabanovce.env"
check "removes files the release before left (a web UI file, a runtime library)" \
  '[ ! -e "$r/opt/pccc/lib/pccc/pccc-sync_API.resources/UI/old.js" ] && [ ! -e "$r/opt/pccc/lib/pccc/libold.so" ]'
check "makes the same tree, modes and sizes" '[ "$(listing)" = "$before" ]'

echo "== a binary that loads nothing from the toolchain (as a --static-swift-stdlib build)"
mkdir "$tmp/static" "$tmp/static-root"
[ "${#as_user[@]}" -eq 0 ] || chown 65534:65534 "$tmp/static-root"
printf '#!/bin/sh\necho static pccc\n' >"$tmp/static/pccc"
chmod 0755 "$tmp/static/pccc"
cp -R "$(dirname "$pccc")/pccc-sync_API.resources" "$tmp/static/"
status=0
"${as_user[@]}" scripts/install.sh --binary "$tmp/static/pccc" --destdir "$tmp/static-root" >"$tmp/out" 2>&1 || status=$?
check "succeeds" '[ "$status" -eq 0 ] || { cat "$tmp/out"; false; }'
check "gets no library next to it, and says none" \
  '[ -z "$(find "$tmp/static-root/usr/local/lib/pccc" -name "lib*.so*")" ] && ! grep -q "runtime libraries" "$tmp/out" && [ "$("$tmp/static-root/usr/local/bin/pccc")" = "static pccc" ]'

echo "== refusals"
mkdir "$tmp/bare"
cp "$pccc" "$tmp/bare/pccc"
refused() { # refused MESSAGE OPTIONS...
  local status=0
  "${as_user[@]}" scripts/install.sh "${@:2}" >"$tmp/out" 2>&1 || status=$?
  [ "$status" -ne 0 ] && grep -qF -- "$1" "$tmp/out"
}
check "a binary without its web UI resources" 'refused "the web UI'\''s resources are not next to the binary" --binary "$tmp/bare/pccc" --destdir "$tmp/other"'
check "a binary that is not there" 'refused "is not an executable" --binary "$tmp/nothing" --destdir "$tmp/other"'
check "a relative prefix" 'refused "--prefix must be an absolute path" --binary "$pccc" --prefix opt --destdir "$tmp/other"'
check "an unknown option" 'refused "unknown option --user" --binary "$pccc" --user pccc'
check "nothing was written for them" '[ ! -e "$tmp/other" ]'

echo "== as root without --destdir, in a mount namespace with a copy of /etc and empty /usr/local, /var/lib, /var/backups, /var/log"
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
  echo "  skipped: needs root and a mount namespace"
else
  host_users=$(cksum </etc/passwd)
  for case in fresh group-exists; do
    rm -rf "$tmp/etc" "$tmp/ns" && mkdir "$tmp/ns"
    cp -a /etc "$tmp/etc"
    status=0
    unshare --mount --propagation private bash -c '
      set -euo pipefail
      mount --bind "$1/etc" /etc
      for folder in /usr/local /var/lib /var/backups /var/log; do mount -t tmpfs none "$folder"; done
      userdel pccc 2>/dev/null || true
      groupdel pccc 2>/dev/null || true
      [ "$3" = fresh ] || groupadd --system pccc
      scripts/install.sh --binary "$2" >"$1/ns/first" 2>&1
      scripts/install.sh --binary "$2" >"$1/ns/second" 2>&1
      getent passwd pccc >"$1/ns/user"
      [ "$(id -gn pccc)" = pccc ] && echo pccc >"$1/ns/group"
      stat -c "%n %U:%G %a" /var/lib/pccc /var/backups/pccc >"$1/ns/owners"
      /usr/local/bin/pccc --help | head -1 >"$1/ns/runs"
      readlink /usr/local/bin/pccc >"$1/ns/link"
    ' bash "$tmp" "$pccc" "$case" || status=$?
    check "$case: both runs succeed" '[ "$status" -eq 0 ] || cat "$tmp/ns/first" "$tmp/ns/second" 2>/dev/null'
    check "$case: the system user pccc, no login, home /var/lib/pccc, in group pccc" \
      'grep -qE "^pccc:x:[0-9]{1,3}:[0-9]+:PCCC Sync:/var/lib/pccc:/usr/sbin/nologin$" "$tmp/ns/user" && grep -qx pccc "$tmp/ns/group"'
    check "$case: the first run made it, the second did not" \
      'grep -q "^made the system user pccc" "$tmp/ns/first" && ! grep -q "made the system user" "$tmp/ns/second"'
    check "$case: pccc owns /var/lib/pccc and /var/backups/pccc, 0700" \
      '[ "$(cat "$tmp/ns/owners")" = "$(printf "/var/lib/pccc pccc:pccc 700\n/var/backups/pccc pccc:pccc 700")" ]'
    check "$case: /usr/local/bin/pccc runs" 'grep -q "^OVERVIEW: PCCC Sync" "$tmp/ns/runs" && [ "$(cat "$tmp/ns/link")" = ../lib/pccc/pccc ]'
  done
  check "the host's users are untouched" '[ "$(cksum </etc/passwd)" = "$host_users" ]'
fi

if [ "$failures" -ne 0 ]; then
  echo "error: $failures install checks failed" >&2
  exit 1
fi
echo "install: all checks passed"
