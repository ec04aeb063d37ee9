#!/usr/bin/env bash
# Backs up one node folder and keeps the newest backups: pccc-backup@NODE.service runs it.
#
#   pccc-backup.sh NODE
#
# Runs `pccc backup --data $PCCC_DATA_ROOT/NODE --out $PCCC_BACKUP_ROOT/NODE/NODE-YYYYmmddTHHMMSSZ.sqlite`
# and, only when that succeeded and said `integrity_check: ok`, deletes all but the newest
# $PCCC_BACKUP_KEEP backups of NODE in that folder. It only ever deletes regular files named
# NODE-YYYYmmddTHHMMSSZ.sqlite in $PCCC_BACKUP_ROOT/NODE, never the backup it has just made.
# A failed backup deletes nothing; a file it left behind is renamed to end in .failed.
#
# Environment (the unit sets the first three; the keep count comes from /etc/pccc/*.env):
#   PCCC              the pccc executable (default: pccc on PATH)
#   PCCC_DATA_ROOT    the folder of node folders (default /var/lib/pccc)
#   PCCC_BACKUP_ROOT  the folder of backup folders, one per node (default /var/backups/pccc)
#   PCCC_BACKUP_KEEP  how many backups of the node to keep, 1 or more (default, or empty: 14)
set -euo pipefail
umask 077
export LC_ALL=C

fail() {
  echo "pccc-backup: $*" >&2
  exit 1
}

[ "$#" -eq 1 ] || fail "usage: pccc-backup.sh NODE"
node=$1
# A node id, never a path: no slash, no leading dot or dash.
[[ "$node" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || fail "the node must be a node id (letters, digits, '.', '_', '-'), not '$node'"
pccc=${PCCC:-pccc}
data_root=${PCCC_DATA_ROOT:-/var/lib/pccc}
backup_root=${PCCC_BACKUP_ROOT:-/var/backups/pccc}
keep=${PCCC_BACKUP_KEEP:-14}
[[ "$keep" =~ ^[0-9]+$ ]] && [ "$((10#$keep))" -ge 1 ] || fail "PCCC_BACKUP_KEEP must be a whole number of at least 1, not '$keep'"
keep=$((10#$keep))

data="$data_root/$node"
folder="$backup_root/$node"
[ -d "$backup_root" ] || fail "the backup folder $backup_root does not exist (scripts/install.sh makes it)"
[ -d "$folder" ] || mkdir -m 0700 "$folder"
[ -d "$folder" ] && [ ! -L "$folder" ] || fail "$folder is not a folder"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$folder/$node-$stamp.sqlite"
echo "backing up $data to $out"
status=0
output=$("$pccc" backup --data "$data" --out "$out" 2>&1) || status=$?
[ -z "$output" ] || printf '%s\n' "$output"
if [ "$status" -ne 0 ] || ! grep -qx 'integrity_check: ok' <<<"$output"; then
  if [ -e "$out" ] && [ ! -L "$out" ]; then
    mv -n -- "$out" "$out.failed"
    echo "pccc-backup: kept what the failed backup left as $out.failed" >&2
  fi
  fail "the backup of $node failed (pccc backup exited with status $status); no backup was deleted"
fi
[ -f "$out" ] || fail "pccc backup succeeded but $out is not there; no backup was deleted"

# The node's backups, oldest first: the name's UTC time sorts as text in time order.
backups=()
shopt -s nullglob
for path in "$folder/$node"-*.sqlite; do
  name=${path##*/}
  [[ "${name#"$node"-}" =~ ^[0-9]{8}T[0-9]{6}Z\.sqlite$ ]] || continue
  [ -f "$path" ] && [ ! -L "$path" ] || continue
  [ "$path" = "$out" ] && continue
  backups+=("$path")
done
shopt -u nullglob
# The new backup counts as one of the kept.
excess=$((${#backups[@]} - (keep - 1)))
removed=0
for ((i = 0; i < excess; i++)); do
  rm -f -- "${backups[$i]}"
  echo "removed the old backup ${backups[$i]}"
  removed=$((removed + 1))
done
echo "backup of $node done: $out; $((${#backups[@]} - removed + 1)) kept (at most $keep), $removed removed"
