#!/usr/bin/env bash
# packaging/pccc-backup.sh against a fake `pccc` on PATH in a temporary folder: retention keeps
# the newest PCCC_BACKUP_KEEP backups and deletes only the node's own backup files; a failed
# backup deletes nothing; bad input is refused before anything runs.
# Usage: packaging/tests/backup-retention-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
script=$PWD/packaging/pccc-backup.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { # check DESCRIPTION CONDITION: CONDITION is shell code; one line per check, failures counted
  if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1" >&2; failures=$((failures + 1)); fi
}

# The fake: `pccc backup --data DIR --out FILE` with the real command's contract (refuses an
# existing --out, writes mode 0600, prints integrity_check and digest); FAKE_PCCC=fail fails
# after writing half a file, FAKE_PCCC=silent exits 0 without the integrity line.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/pccc" <<'FAKE'
#!/usr/bin/env bash
set -euo pipefail
[ "$#" -eq 5 ] && [ "$1 $2 $4" = "backup --data --out" ] || { echo "fake pccc: unexpected arguments: $*" >&2; exit 64; }
data=$3 out=$5
echo "$data $out" >>"$FAKE_PCCC_CALLS"
[ -f "$data/node.id" ] || { echo "$data is not a node folder; run pccc init first" >&2; exit 1; }
[ ! -e "$out" ] || { echo "$out exists; choose another --out" >&2; exit 1; }
case "${FAKE_PCCC:-ok}" in
  fail) echo partial >"$out"; echo "cannot write $out: disk full" >&2; exit 1 ;;
  silent) (umask 077; echo backup >"$out"); exit 0 ;;
esac
(umask 077; echo "backup of $data" >"$out")
echo "integrity_check: ok"
echo "digest: 0123456789abcdef"
FAKE
chmod 755 "$tmp/bin/pccc"
export PATH="$tmp/bin:$PATH" FAKE_PCCC_CALLS="$tmp/calls"
unset PCCC PCCC_BACKUP_KEEP FAKE_PCCC
export PCCC_DATA_ROOT="$tmp/lib" PCCC_BACKUP_ROOT="$tmp/backups"
mkdir -p "$tmp/lib/mk-1" "$tmp/backups/mk-1"
echo mk-1 >"$tmp/lib/mk-1/node.id"
folder="$tmp/backups/mk-1"

# 16 old backups, one a day in November 2025, and files retention must never touch.
for day in $(seq -w 1 16); do echo old >"$folder/mk-1-202511${day}T020000Z.sqlite"; done
others=(
  "mk-1-20251101T020000Z.sqlite.failed" "mk-1-manual.sqlite" "mk-1-2025110T020000Z.sqlite"
  "mk-1-20251101T020000Z.sqlite-wal" "mk-10-20251101T020000Z.sqlite" "notes.txt" "mk-1-20251101T020000Z.SQLITE"
)
for name in "${others[@]}"; do echo keep >"$folder/$name"; done
mkdir "$folder/mk-1-20241001T020000Z.sqlite"            # a folder with a backup's name
ln -s /etc/hostname "$folder/mk-1-20241002T020000Z.sqlite" # a link with a backup's name
echo keep >"$tmp/backups/mk-1-20241001T020000Z.sqlite"   # outside the node's folder
listing() { (cd "$folder" && ls -A | sort); }
backups() { # the node's backups, oldest first: regular files with a backup's name
  local f
  for f in $(cd "$folder" && ls -A | grep -E '^mk-1-[0-9]{8}T[0-9]{6}Z\.sqlite$' | sort); do
    if [ -f "$folder/$f" ] && [ ! -L "$folder/$f" ]; then echo "$f"; fi
  done
}
clean_failed() { rm -f "$folder"/*Z.sqlite.failed; echo keep >"$folder/mk-1-20251101T020000Z.sqlite.failed"; }

echo "== a failed backup deletes nothing"
before=$(listing)
status=0
FAKE_PCCC=fail PCCC_BACKUP_KEEP=3 "$script" mk-1 >"$tmp/out" 2>&1 || status=$?
after=$(listing)
check "exits non-zero" '[ "$status" -ne 0 ]'
check "says nothing was deleted" 'grep -q "no backup was deleted" "$tmp/out"'
check "every old backup is still there" '[ "$(backups | wc -l)" -eq 16 ]'
check "what the failed run left is renamed .failed, and is the only change" \
  '[ "$(comm -3 <(echo "$before") <(echo "$after") | tr -d "\t")" = "$(ls "$folder" | grep -E "^mk-1-2026[0-9]{4}T[0-9]{6}Z\.sqlite\.failed$")" ]'
clean_failed

echo "== a backup that does not say integrity_check: ok deletes nothing"
status=0
FAKE_PCCC=silent PCCC_BACKUP_KEEP=3 "$script" mk-1 >"$tmp/out" 2>&1 || status=$?
check "exits non-zero" '[ "$status" -ne 0 ]'
check "every old backup is still there" '[ "$(backups | wc -l)" -eq 16 ]'
clean_failed

echo "== a good backup keeps the newest PCCC_BACKUP_KEEP"
: >"$tmp/calls"
status=0
PCCC_BACKUP_KEEP=3 "$script" mk-1 >"$tmp/out" 2>&1 || status=$?
sed 's/^/    /' "$tmp/out"
new=$(backups | grep -v '^mk-1-2025' || true)
check "succeeds" '[ "$status" -eq 0 ]'
check "pccc backup ran once, with the node folder and a new NODE-UTC-time file" \
  '[ "$(wc -l <"$tmp/calls")" -eq 1 ] && grep -qxE "$tmp/lib/mk-1 $folder/mk-1-[0-9]{8}T[0-9]{6}Z\.sqlite" "$tmp/calls"'
check "the new backup is there, mode 0600" '[ -n "$new" ] && [ "$(stat -c %a "$folder/$new")" = 600 ]'
check "three backups are kept: the new one and the two newest old ones" \
  '[ "$(backups | tr "\n" " ")" = "mk-1-20251115T020000Z.sqlite mk-1-20251116T020000Z.sqlite $new " ]'
for name in "${others[@]}" mk-1-20241001T020000Z.sqlite mk-1-20241002T020000Z.sqlite; do
  check "$name is untouched" '[ -e "$folder/$name" ] || [ -L "$folder/$name" ]'
done
check "the file outside the node's folder is untouched" '[ -e "$tmp/backups/mk-1-20241001T020000Z.sqlite" ]'
check "the output has pccc's integrity line" 'grep -qx "integrity_check: ok" "$tmp/out"'

echo "== the default keeps 14"
for day in $(seq -w 1 20); do echo old >"$folder/mk-1-202510${day}T020000Z.sqlite"; done
# One backup a second at most: wait for the next second, so the new name differs from the last.
start=$(date -u +%s)
while [ "$(date -u +%s)" = "$start" ]; do sleep 0.05; done
status=0
"$script" mk-1 >"$tmp/out" 2>&1 || status=$?
check "succeeds" '[ "$status" -eq 0 ]'
check "14 backups are kept" '[ "$(backups | wc -l)" -eq 14 ]'
check "the two newest are from today" '[ "$(backups | tail -2 | grep -vc "^mk-1-2025")" -eq 2 ]'

echo "== bad input is refused before any backup"
: >"$tmp/calls"
for bad in 0 -1 abc 1.5 " 3" 00 "3 4"; do
  status=0
  PCCC_BACKUP_KEEP="$bad" "$script" mk-1 >"$tmp/out" 2>&1 || status=$?
  check "PCCC_BACKUP_KEEP='$bad' is refused" '[ "$status" -ne 0 ] && grep -q "PCCC_BACKUP_KEEP must be" "$tmp/out"'
done
for bad in ../mk-1 mk-1/x .hidden -x ""; do
  status=0
  "$script" "$bad" >"$tmp/out" 2>&1 || status=$?
  check "node '$bad' is refused" '[ "$status" -ne 0 ] && grep -q "the node must be a node id" "$tmp/out"'
done
check "pccc backup never ran" '[ ! -s "$tmp/calls" ]'

if [ "$failures" -ne 0 ]; then
  echo "error: $failures backup retention checks failed" >&2
  exit 1
fi
echo "backup retention: all checks passed"
