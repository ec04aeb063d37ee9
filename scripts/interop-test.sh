#!/usr/bin/env bash
# Two releases side by side, for real: node "old" runs a pccc built from an earlier commit
# (the release still in the field), node "new" a folder that release made, served by this
# build (a node upgraded in place); both write before and while they sync, and the digests
# must match. Proves release N and N+1 interoperate (PROTOCOL.md §3).
#   scripts/interop-test.sh OLD_PCCC     a pccc binary of the earlier release
#   scripts/interop-test.sh --rev REV    builds one from commit REV in a temporary clone first
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/swift-env.sh
case "${1:-}" in
    --rev)
        rev="${2:?--rev needs a commit}"
        clone="$(mktemp -d)"
        git clone -q . "$clone/src" && git -C "$clone/src" checkout -q "$rev"
        (cd "$clone/src" && swift build -c release --product pccc >/dev/null)
        old="$clone/src/.build/release/pccc" ;;
    "") echo "usage: scripts/interop-test.sh OLD_PCCC | --rev REV" >&2; exit 2 ;;
    *) old="$1" ;;
esac
[ -x "$old" ] || { echo "error: $old is not an executable pccc" >&2; exit 2; }
swift build --product pccc >/dev/null 2>&1 || { echo "error: swift build --product pccc failed" >&2; exit 1; }
new="$PWD/.build/debug/pccc"
work="$(mktemp -d)"; chmod 700 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$new" certs init-ca --out "$work/ca" --name "interop CA" >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A ports keys
for node in old new; do
    ports[$node]=$(port)
    keys[$node]=$("$new" certs issue "$node" --ca "$work/ca" --out "$work/issued" 2>&1 | grep -o 'ed25519:[A-Za-z0-9+/=]*' | head -1)
done
cat > "$work/topology.yaml" <<YAML
network: interop
nodes:
  - { id: old, address: "127.0.0.1:${ports[old]}", signing_key: "${keys[old]}" }
  - { id: new, address: "127.0.0.1:${ports[new]}", signing_key: "${keys[new]}" }
links:
  - [new, old]
groups:
  region: [old, new]
YAML
# Both folders are made by the earlier release: "new" is a node of the field upgraded in place.
for node in old new; do
    "$old" init --data "$work/$node" --node "$node" --topology "$work/topology.yaml" --ca "$work/ca/ca.pem" \
        --cert "$work/issued/$node.pem" --key "$work/issued/$node.key" --signing-key "$work/issued/$node.signing" --admin interop >/dev/null
done
# A release before OS accounts names its user with --user, and this one acts as the OS account
# the command runs for, which the upgrade mapped to the user of the same name (sudo's variables
# stand in). A release with OS accounts mapped the admin to the account that ran init: this one.
old_takes_user=false
"$old" record add --help 2>/dev/null | grep -q -- '--user' && old_takes_user=true
as_interop() {
    if ! $old_takes_user; then "$@"
    elif [ "$1" = "$old" ]; then "$@" --user interop
    else SUDO_USER=interop SUDO_UID=4242 "$@"; fi
}
# A person of this release carries the data-subject category of schema version 3, which an
# earlier release applies without that field (docs/PROTOCOL.md §5.11), so their digests would
# differ by design: this release writes vehicles, which both schemas know whole.
add() {
    if [ "$1" = "$old" ]; then
        as_interop "$1" record add person --data "$work/$2" --group region --set "family_name=$3" >/dev/null
    else
        as_interop "$1" record add vehicle --data "$work/$2" --group region --set "plate=$3" >/dev/null
    fi
}
add "$old" old "Old before"; add "$new" new "New before"
for node in old new; do
    binary=$([ "$node" = old ] && echo "$old" || echo "$new")
    "$binary" serve --data "$work/$node" --log-level info >/dev/null 2>"$work/$node.log" & pids+=($!)
done
for i in 1 2 3; do add "$old" old "Old during $i"; add "$new" new "New during $i"; done
for attempt in $(seq 1 300); do
    a=$("$old" digest --data "$work/old"); b=$("$new" digest --data "$work/new")
    if [ "$a" = "$b" ]; then
        count=$(as_interop "$new" record list --data "$work/new" --purpose interop --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
        [ "$count" = 8 ] || { echo "interop FAILED: equal digests but $count records, not 8" >&2; exit 1; }
        echo "interop: old ($old) and new (this build): equal digests ($a) after $((attempt / 10)).$((attempt % 10)) s, 8 records at both"
        grep -h "established" "$work/old.log" "$work/new.log" | sed 's/^/  /' | head -4
        exit 0
    fi
    sleep 0.1
done
echo "interop FAILED: digests differ after 30 s ($a, $b)" >&2
tail -20 "$work/old.log" "$work/new.log" >&2
exit 1
