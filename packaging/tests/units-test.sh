#!/usr/bin/env bash
# The systemd units as scripts/install.sh installs them into a temporary root:
#  1. `systemd-analyze verify` accepts them without a word, and does reject a broken unit;
#  2. pccc@.service's ExecStart, with its specifiers, environment file and $PCCC_SERVE_OPTIONS
#     expanded as systemd does, started as a real process on a node folder made here with
#     `pccc certs` and `pccc init`: it serves (listening line, `pccc status` says serving, the
#     web UI from the installed resources, /metrics), takes ExecReload's SIGHUP, and exits 0
#     soon after SIGTERM, well within the unit's TimeoutStopSec.
# As root it hides the build folder's resource bundles in a mount namespace of the node's own,
# so the installed web UI is the one served and nothing else of the build folder is needed. Every wait is bounded.
# Usage: packaging/tests/units-test.sh [PCCC-BINARY]   (default .build/debug/pccc)
set -euo pipefail
cd "$(dirname "$0")/../.."
pccc=$(realpath "${1:-.build/debug/pccc}")
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "error: $*" >&2
  exit 1
}
node=mk-unit
root="$tmp/root"
scripts/install.sh --binary "$pccc" --destdir "$root" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "install.sh failed"; }
units="$root/etc/systemd/system"

echo "== systemd-analyze verify"
# The root needs the system's own units (sysinit.target, network-online.target, …) and the
# commands the units run besides pccc's own (/bin/kill), as a real system has them.
mkdir -p "$root/usr/lib/systemd" "$root/usr/bin"
cp -R /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp /usr/bin/kill "$root/usr/bin/kill"
[ -e "$root/bin" ] || ln -s usr/bin "$root/bin"
verify() { systemd-analyze verify --root="$root" "$@" 2>&1; }
instances=("pccc@$node.service" "pccc-backup@$node.service" "pccc-backup@$node.timer")
status=0
output=$(verify "${instances[@]}") || status=$?
[ "$status" -eq 0 ] && [ -z "$output" ] || fail "systemd-analyze verify ${instances[*]} (exit $status): $output"
echo "  ok: ${instances[*]}: no complaint"
# It must be able to fail: a misspelt directive, and a command that is not there.
sed 's/^ProtectSystem=/ProtectSytem=/' "$units/pccc@.service" >"$units/pccc-misspelt@.service"
output=$(verify "pccc-misspelt@$node.service") || true
grep -q "Unknown key 'ProtectSytem'" <<<"$output" || fail "verify did not notice a misspelt directive: $output"
sed 's|^ExecStart=/usr/local/bin/pccc|ExecStart=/usr/local/bin/pccc-missing|' "$units/pccc@.service" >"$units/pccc-missing@.service"
status=0
output=$(verify "pccc-missing@$node.service") || status=$?
[ "$status" -ne 0 ] && grep -q "pccc-missing" <<<"$output" || fail "verify did not notice a missing command (exit $status): $output"
rm "$units/pccc-misspelt@.service" "$units/pccc-missing@.service"
echo "  ok: a misspelt directive and a missing command are reported"

echo "== pccc@.service's ExecStart as a real process"
unit="$units/pccc@.service"
directive() { sed -n "s/^$1=//p" "$unit"; }
[ "$(directive ExecStart | wc -l)" -eq 1 ] || fail "pccc@.service must have one ExecStart line"
# Specifiers: %S is the state root (/var/lib for the system manager), %i the instance.
state="$tmp/state"
specifiers() { local text=$1; text=${text//%S/$state}; text=${text//%i/$node}; printf '%s' "${text//%%/%}"; }
exec_start=$(specifiers "$(directive ExecStart)")
case "$exec_start" in *[\"\'\\]*) fail "ExecStart has quotes or escapes this test does not expand as systemd would: $exec_start" ;; esac
environment_file=$(specifiers "$(directive EnvironmentFile)")
environment_file=${environment_file#-}
[ "$environment_file" = "/etc/pccc/$node.env" ] || fail "the environment file is $environment_file, not /etc/pccc/$node.env"
install -d -m 0755 "$root/etc/pccc"
# What an admin writes: a port for the web UI, and here a free sync port rather than the topology's.
echo "PCCC_SERVE_OPTIONS=--listen 127.0.0.1:0 --api 127.0.0.1:0" >"$root$environment_file"

# The node folder, as the region's CA admin and `pccc init` make it.
"$pccc" certs init-ca --out "$tmp/ca" >/dev/null
key=$("$pccc" certs issue "$node" --ca "$tmp/ca" --out "$tmp/ca" 2>/dev/null)
cat >"$tmp/region.yaml" <<EOF
network: unit-test
nodes:
  - { id: $node, address: "127.0.0.1:7441", signing_key: "$key" }
  - { id: rs-unit, address: "127.0.0.1:7442" }
links:
  - [$node, rs-unit]
groups:
  region: [$node, rs-unit]
revoked: []
EOF
install -d -m 0700 "$state/pccc"
"$pccc" init --data "$state/pccc/$node" --node "$node" --topology "$tmp/region.yaml" --signing-key "$tmp/ca/$node.signing" \
  --ca "$tmp/ca/ca.pem" --cert "$tmp/ca/$node.pem" --key "$tmp/ca/$node.key" --admin unit-test >/dev/null

# The environment systemd gives the service: its own variables and the environment file's.
environment=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  name=${line%%=*} value=${line#*=}
  value=${value#\"} value=${value%\"}
  environment+=("$name=$value")
  declare "unit_env_$name=$value"
done <"$root$environment_file"
# The command line: "$NAME" splits the variable into words, "${NAME}" is one word.
argv=()
set -f
for word in $exec_start; do
  case "$word" in
    '${'*'}') name=${word:2:-1}; ref="unit_env_$name"; argv+=("${!ref-}") ;;
    '$'*) name=${word:1}; ref="unit_env_$name"; for part in ${!ref-}; do argv+=("$part"); done ;;
    *) argv+=("$word") ;;
  esac
done
set +f
[ "${argv[0]}" = /usr/local/bin/pccc ] || fail "ExecStart runs ${argv[0]}, not /usr/local/bin/pccc"
argv[0]="$root/usr/local/bin/pccc"
echo "  ExecStart: ${argv[*]#"$tmp/"}"
launch=(env -i "${environment[@]}" "${argv[@]}")
if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  # Every resource bundle of the build (the web UI's, GRDB's, …): none may be needed but the installed ones.
  hidden=$(find "$(dirname "$pccc")" -maxdepth 1 -type d -name '*.resources' | tr '\n' ' ')
  [[ "$hidden" == *pccc-sync_API.resources* ]] || fail "the build folder has no pccc-sync_API.resources: $hidden"
  # And the toolchain's folders of the libraries install.sh copied next to the binary, so the copies are the ones loaded.
  toolchain=$( (ldd "$pccc" 2>/dev/null || true) | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | xargs -r -n1 dirname | sort -u | grep -vE '^/(usr/)?lib(64)?(/|$)' || true)
  hidden="$hidden $(echo $toolchain)"
  launch=(unshare --mount --propagation private sh -c 'for d in $0; do mount -t tmpfs -o ro,size=4k none "$d" || exit 1; done; exec "$@"' "$hidden" "${launch[@]}")
  echo "  (hidden from the node: the build folder's $(for d in $hidden; do [[ "$d" != *.resources ]] || printf '%s ' "${d##*/}"; done)and $(echo $toolchain))"
else
  echo "  (not root: the build folder's resource bundles stay visible to the node)"
fi
: >"$tmp/out"
: >"$tmp/err"
"${launch[@]}" >"$tmp/out" 2>"$tmp/err" &
pid=$!

waitfor() { # waitfor SECONDS WHAT CONDITION: polls CONDITION (shell code) until true; the node must live
  local deadline=$((SECONDS + $1))
  until eval "$3"; do
    kill -0 "$pid" 2>/dev/null || fail "the node ended while waiting for $2: $(cat "$tmp/err")"
    [ "$SECONDS" -lt "$deadline" ] || fail "no $2 within $1 s: $(cat "$tmp/out" "$tmp/err")"
    sleep 0.1
  done
}
waitfor 60 "listening line" 'grep -q "^node $node listening on port [0-9]" "$tmp/out"'
waitfor 60 "API line" 'grep -q "^api listening on http://127.0.0.1:[0-9]" "$tmp/out"'
api=$(sed -n 's|^api listening on \(http://127.0.0.1:[0-9]*\)$|\1|p' "$tmp/out")
echo "  ok: $(head -1 "$tmp/out"); $api"
waitfor 30 "pccc status saying serving" '"$root/usr/local/bin/pccc" status --data "$state/pccc/$node" 2>/dev/null | grep -qx "node $node: serving, record schema version 3"'
echo "  ok: pccc status: node $node: serving, record schema version 3"
curl -fsS --max-time 10 "$api/" >"$tmp/index.html" || fail "GET / failed: $(cat "$tmp/err")"
cmp -s "$tmp/index.html" "$root/usr/local/lib/pccc/pccc-sync_API.resources/UI/index.html" || fail "GET / is not the installed index.html"
curl -fsS --max-time 10 "$api/metrics" | grep -q '^pccc_' || fail "GET /metrics has no pccc_ metric"
echo "  ok: the web UI (the installed index.html) and /metrics"

# ExecReload with $MAINPID, as systemctl reload runs it.
reload=$(directive ExecReload)
reload=${reload//\$MAINPID/$pid}
[ "$reload" = "/bin/kill -HUP $pid" ] || fail "ExecReload is $reload"
$reload
waitfor 30 "reload log line" 'grep -q "SIGHUP: reloading" "$tmp/err"'
echo "  ok: ExecReload: $(grep -o "SIGHUP: reloading.*" "$tmp/err" | head -1 | sed "s|$tmp/||")"

# systemctl stop: KillSignal, then at most TimeoutStopSec before systemd would SIGKILL.
signal=$(directive KillSignal)
timeout=$(directive TimeoutStopSec)
timeout=${timeout%s}
[ "$signal" = SIGTERM ] && [ "$timeout" -gt 20 ] || fail "the unit stops with $signal and waits $timeout s; want SIGTERM and more than the node's 20 s"
started=$SECONDS
kill -TERM "$pid"
deadline=$((SECONDS + timeout))
while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the node did not stop within TimeoutStopSec ($timeout s) of SIGTERM"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || fail "the node exited with status $status after SIGTERM: $(cat "$tmp/err")"
echo "  ok: SIGTERM: exit 0 after $((SECONDS - started)) s (TimeoutStopSec $timeout s)"
echo "units: all checks passed"
