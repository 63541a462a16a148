#!/bin/sh
# End-to-end check of deploy/ on one machine with no Docker engine, no kube-apiserver and no systemd
# PID 1: builds (or takes) the distribution, starts a hub from it, a sandbox member cluster, installs
# an agent with deploy/edge/install.sh into a temp prefix, runs it, reaches the sandbox through the
# hub with kubectl, re-runs the installer (idempotence), installs and runs the node proxy with
# install.sh --node-proxy(-only), exercises the Kubernetes join init script, and validates the
# systemd units and the Kubernetes manifests.
#
#   deploy/verify-local.sh [--dist FILE] [--work DIR]
#     --dist FILE   use this outpost-dist.tar.gz instead of building one (make-dist.sh --isolated)
#     --work DIR    where to put everything (default: a new /tmp/outpost-deploy-verify.XXXXXX, kept)
#
# Needs: java 17, curl, kubectl (for the gateway step); shellcheck, systemd-analyze, node/npm are
# used when present. As root it creates (and afterwards deletes) a system user outpost-verify to run
# the agent as; otherwise the agent runs as the current user.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
dist=""
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "verify-local: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$work" ] || work=$(mktemp -d /tmp/outpost-deploy-verify.XXXXXX)
mkdir -p "$work"
# The agent runs as another user (outpost-verify) when this runs as root: it must reach the files.
chmod 755 "$work"
work=$(cd "$work" && pwd -P)

passed=0
pids=""
created_user=""

cleanup() {
  for pid in $pids; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 2
  for pid in $pids; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$created_user" ]; then
    userdel "$created_user" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
  passed=$((passed + 1))
  echo "ok $passed - $*"
}
fail() {
  echo "not ok - $*" >&2
  echo "verify-local: $passed passed, 1 failed (files in $work)"
  exit 1
}
# wait_for FILE PATTERN SECONDS: waits until FILE has a line matching PATTERN.
wait_for() {
  i=0
  while [ "$i" -lt "$3" ]; do
    if grep -q "$2" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 1
    i=$((i + 1))
  done
  return 1
}
# start NAME CMD...: starts CMD in the background with output in $work/NAME.out/.err.
start() {
  name=$1
  shift
  "$@" > "$work/$name.out" 2> "$work/$name.err" < /dev/null &
  last_pid=$!
  pids="$pids $last_pid"
}

echo "verify-local: working in $work"

# ---- shell scripts ---------------------------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck -s sh "$root/deploy/dist/make-dist.sh" "$root/deploy/dist/outpost.sh" "$root/deploy/edge/install.sh" \
    "$root/deploy/kubernetes/validate/validate.sh" "$0" || fail "shellcheck"
  ok "shellcheck: deploy scripts are clean"
else
  echo "skip - shellcheck not installed (apt-get install -y shellcheck)"
fi

# ---- 1. distribution -------------------------------------------------------------------------------
if [ -z "$dist" ]; then
  sh "$root/deploy/dist/make-dist.sh" --isolated > "$work/make-dist.log" 2>&1 || { tail -20 "$work/make-dist.log"; fail "make-dist.sh --isolated"; }
  dist="$root/deploy/target/outpost-dist.tar.gz"
  ok "make-dist.sh built $(tail -n 1 "$work/make-dist.log" | sed 's/^make-dist: wrote //')"
fi
[ -f "$dist" ] || fail "no distribution at $dist"
mkdir -p "$work/untar"
tar -xzf "$dist" -C "$work/untar"
home=$(find "$work/untar" -mindepth 1 -maxdepth 1 -type d | head -n 1)
for f in bin/outpost lib/hub.classpath lib/agent.classpath lib/node-proxy.classpath lib/node-proxy.classlist lib/node-proxy.jvm-options share/systemd/outpost-agent.service share/systemd/outpost-hub.service share/install.sh VERSION; do
  [ -e "$home/$f" ] || fail "the tarball has no $f"
done
if tar -tzf "$dist" | grep -q -e 'outpost-tests' -e 'kubernetes-server-mock' -e 'mockwebserver'; then
  fail "the tarball contains the sandbox/mock server"
fi
ok "tarball layout: bin/outpost, lib/ ($(find "$home/lib" -name '*.jar' | wc -l | tr -d ' ') jars), share/, no sandbox"
"$home/bin/outpost" hub --help > "$work/hub-help.txt" 2>&1 || fail "bin/outpost hub --help"
grep -q -- '--tunnel-port' "$work/hub-help.txt" || fail "hub --help does not list --tunnel-port"
"$home/bin/outpost" agent join --help > "$work/join-help.txt" 2>&1 || fail "bin/outpost agent join --help"
grep -q -- '--ca-hash' "$work/join-help.txt" || fail "agent join --help does not list --ca-hash"
ok "bin/outpost hub --help and agent join --help"

# ---- 2. hub from the distribution --------------------------------------------------------------------
start hub "$home/bin/outpost" hub --data-dir "$work/hub-data" --port 0 --tunnel-port 0 --advertise-host localhost,127.0.0.1
wait_for "$work/hub.out" '^ca-hash:' 60 || { tail -5 "$work/hub.err"; fail "the hub did not start"; }
hub_url=$(sed -n 's/^hub: //p' "$work/hub.out")
tunnel=$(sed -n 's/^tunnel: //p' "$work/hub.out")
ca_hash=$(sed -n 's/^ca-hash: //p' "$work/hub.out")
admin=$(sed -n 's/^admin token (shown once, stored hashed): //p' "$work/hub.out")
token=$(grep -o -- '--token [^ ]*' "$work/hub.out" | head -n 1 | cut -d' ' -f2)
tunnel_port=${tunnel##*:}
https_port=${hub_url##*:}
if [ -z "$ca_hash" ] || [ -z "$admin" ] || [ -z "$token" ]; then
  fail "the hub did not print ca-hash, admin token and join token"
fi
curl -sf --cacert "$work/hub-data/pki/ca.crt" "https://localhost:$https_port/health" | grep -q '"UP"' || fail "hub /health"
ok "hub from the distribution: printed hub:, tunnel:, ca-hash:; /health is UP ($hub_url)"

# ---- 3. sandbox member cluster ----------------------------------------------------------------------
start sandbox "$root/outpost" sandbox --port 0 --name edge-verify-01 --kubeconfig "$work/sandbox.kubeconfig"
wait_for "$work/sandbox.out" '^kubeconfig:' 300 || { tail -5 "$work/sandbox.err"; fail "the sandbox did not start"; }
chmod 644 "$work/sandbox.kubeconfig"
ok "sandbox cluster (tests module, not in the distribution) at $(sed -n 's/^server: //p' "$work/sandbox.out")"

# ---- 4. edge install ---------------------------------------------------------------------------------
install="$root/deploy/edge/install.sh"
set -- --dist "$dist" --prefix "$work/opt/outpost" --data-dir "$work/var/lib/outpost-agent" --config-dir "$work/etc/outpost"
user_args=""
user_existed=1
if [ "$(id -u)" -eq 0 ]; then
  user_args="--user outpost-verify"
  id outpost-verify >/dev/null 2>&1 || user_existed=0
fi
join="--hub 127.0.0.1:$tunnel_port --token $token --ca-hash $ca_hash --name edge-verify-01 --kind edge --label region=verify --label tier=test --kubeconfig $work/sandbox.kubeconfig"

# shellcheck disable=SC2086  # $join and $user_args hold several words on purpose
sh "$install" "$@" $join $user_args --dry-run > "$work/install-dry.out" 2>&1 || { cat "$work/install-dry.out"; fail "install.sh --dry-run"; }
[ ! -e "$work/opt/outpost" ] || fail "install.sh --dry-run changed $work/opt/outpost"
grep -q 'would run: .*agent join' "$work/install-dry.out" || fail "install.sh --dry-run does not show the join"
ok "install.sh --dry-run prints the plan and changes nothing"

for bad in "--hub nohost" "--token short" "--ca-hash sha256:12" "--name Bad_Name" "--kind fog"; do
  # shellcheck disable=SC2086
  if sh "$install" "$@" $join $bad --dry-run > "$work/install-bad.out" 2>&1; then
    fail "install.sh accepted $bad"
  fi
  grep -q 'error: ' "$work/install-bad.out" || fail "install.sh gave no error message for $bad"
done
ok "install.sh refuses invalid --hub, --token, --ca-hash, --name, --kind with an error message"

if [ "$user_existed" -eq 0 ]; then
  created_user=outpost-verify  # removed again on exit
fi
# shellcheck disable=SC2086
sh "$install" "$@" $join $user_args > "$work/install.out" 2>&1 || { cat "$work/install.out"; fail "install.sh"; }
grep -q '^joined: cluster edge-verify-01' "$work/install.out" || { cat "$work/install.out"; fail "install.sh did not join"; }
[ -f "$work/var/lib/outpost-agent/agent.properties" ] || fail "no identity in the data dir"
ok "install.sh unpacked to --prefix, wrote agent.env, joined (no systemd: printed the run command)"

run_cmd=$(grep -A1 'Run the agent' "$work/install.out" | tail -n 1 | sed 's/^  //')
[ -n "$run_cmd" ] || fail "install.sh printed no run command"
start agent sh -c "exec $run_cmd"
agent_pid=$last_pid
wait_for "$work/agent.out" '^connected: edge-verify-01' 60 || { tail -5 "$work/agent.err"; fail "the installed agent did not connect"; }
ok "agent started with the printed command connected: $(grep '^connected' "$work/agent.out")"

# ---- 5. through the hub -------------------------------------------------------------------------------
"$home/bin/outpost" clusters --hub "https://localhost:$https_port" --token "$admin" --ca-hash "$ca_hash" > "$work/clusters.json" 2>&1 \
  || { cat "$work/clusters.json"; fail "outpost clusters"; }
if ! grep -q '"name":"edge-verify-01"' "$work/clusters.json" || ! grep -q '"region":"verify"' "$work/clusters.json"; then
  fail "the hub does not list edge-verify-01 with its labels"
fi
ok "outpost clusters lists edge-verify-01 with labels region=verify, tier=test"

if command -v kubectl >/dev/null 2>&1; then
  if ! "$home/bin/outpost" kubeconfig --hub "https://localhost:$https_port" --token "$admin" --ca-hash "$ca_hash" \
      -o "$work/fleet.kubeconfig" > "$work/kubeconfig.err" 2>&1; then
    # Known CLI bug at the time of writing: it asks for JSON, the endpoint serves YAML (406).
    echo "warn - outpost kubeconfig failed ($(grep -m1 -o 'the hub answered [0-9]*' "$work/kubeconfig.err")); fetching it with curl"
    curl -sf --cacert "$work/hub-data/pki/ca.crt" -H "Authorization: Bearer $admin" \
      "https://localhost:$https_port/api/v1/kubeconfig" -o "$work/fleet.kubeconfig" || fail "GET /api/v1/kubeconfig"
  fi
  kubectl --kubeconfig "$work/fleet.kubeconfig" --context edge-verify-01 get nodes > "$work/nodes.txt" 2>&1 \
    || { cat "$work/nodes.txt"; fail "kubectl get nodes through the hub"; }
  grep -q 'edge-verify-01-node-1' "$work/nodes.txt" || fail "kubectl through the hub did not list the sandbox's nodes"
  ok "kubectl --context edge-verify-01 get nodes through the hub lists $(grep -c node- "$work/nodes.txt") nodes"
fi

# ---- 6. idempotence ------------------------------------------------------------------------------------
# shellcheck disable=SC2086
sh "$install" "$@" $user_args > "$work/install-again.out" 2>&1 || { cat "$work/install-again.out"; fail "install.sh re-run"; }
grep -q 'skipping the join' "$work/install-again.out" || fail "the re-run did not skip the join"
# shellcheck disable=SC2086
sh "$install" "$@" $join $user_args > "$work/install-again2.out" 2>&1 || { cat "$work/install-again2.out"; fail "install.sh re-run with the used token"; }
grep -q 'skipping the join' "$work/install-again2.out" || fail "the re-run with the used token did not skip the join"
sleep 2
kill -0 "$agent_pid" 2>/dev/null || fail "the running agent died during the re-install"
ok "install.sh re-runs (without join flags, and with the used token) skip the join; the running agent survived"

# ---- 6b. curl | sh from a web server ---------------------------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
  mkdir -p "$work/www"
  cp "$dist" "$work/www/outpost-dist.tar.gz"
  cp "$install" "$work/www/install.sh"
  sha=$(sha256sum "$work/www/outpost-dist.tar.gz" | cut -d' ' -f1)
  start www python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/www"
  wait_for "$work/www.out" 'Serving HTTP' 20 || fail "python3 -m http.server did not start"
  www_port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$work/www.out" | head -n 1)
  base="http://127.0.0.1:$www_port"
  # shellcheck disable=SC2086
  curl -sfL "$base/install.sh" | sh -s -- --dist "$base/outpost-dist.tar.gz" --dist-sha256 "$sha" \
    --prefix "$work/opt2/outpost" --data-dir "$work/var/lib/outpost-agent" --config-dir "$work/etc/outpost" $user_args \
    > "$work/install-pipe.out" 2>&1 || { cat "$work/install-pipe.out"; fail "curl | sh -s -- (download install)"; }
  if ! grep -q 'SHA-256 checked' "$work/install-pipe.out" || [ ! -x "$work/opt2/outpost/bin/outpost" ]; then
    cat "$work/install-pipe.out"
    fail "the piped install did not download, check and unpack the distribution"
  fi
  # shellcheck disable=SC2086
  if curl -sfL "$base/install.sh" | sh -s -- --dist "$base/outpost-dist.tar.gz" --dist-sha256 "$(echo "$sha" | tr 0-9a-f 1-9a-f0)" \
      --prefix "$work/opt3/outpost" --data-dir "$work/var/lib/outpost-agent" --config-dir "$work/etc/outpost" $user_args \
      > "$work/install-badsha.out" 2>&1; then
    fail "the piped install accepted a wrong --dist-sha256"
  fi
  grep -q "refusing to install" "$work/install-badsha.out" || fail "no clear message for a wrong --dist-sha256"
  [ ! -e "$work/opt3/outpost/bin/outpost" ] || fail "a distribution with a wrong SHA-256 was unpacked"
  ok "curl -sfL URL/install.sh | sh -s -- --dist URL --dist-sha256 HEX installs; a wrong SHA-256 is refused"
else
  echo "skip - python3 not installed (serves the files for the curl | sh check)"
fi

# ---- 6c. node proxy (install.sh --node-proxy, --node-proxy-only) ------------------------------------------
# No --data-dir here: it is the agent's, and --node-proxy-only refuses agent flags.
np_paths="--dist $dist --prefix $work/opt/outpost --config-dir $work/etc/outpost --node-proxy-data-dir $work/var/lib/outpost-node-proxy"
np_yaml="$work/etc/outpost/node-proxy.yaml"
np_dir="$work/var/lib/outpost-node-proxy"
# shellcheck disable=SC2086
sh "$install" "$@" --node-proxy-data-dir "$np_dir" --node-proxy --kubeconfig "$work/sandbox.kubeconfig" $user_args --dry-run \
  > "$work/install-np-dry.out" 2>&1 || { cat "$work/install-np-dry.out"; fail "install.sh --node-proxy --dry-run"; }
{ [ ! -e "$np_yaml" ] && [ ! -e "$np_dir" ]; } || fail "install.sh --node-proxy --dry-run wrote $np_yaml or $np_dir"
for want in "would write $np_yaml:" "| kubeconfig: $work/sandbox.kubeconfig" '| listen: 127.0.0.1:10261' \
    "would run: mkdir -p $np_dir" 'Run the agent' 'Run the node proxy' \
    "agent node-proxy --config $np_yaml --data-dir $np_dir"; do
  grep -q -F -- "$want" "$work/install-np-dry.out" || { cat "$work/install-np-dry.out"; fail "install.sh --node-proxy --dry-run does not show: $want"; }
done
ok "install.sh --node-proxy --dry-run shows node-proxy.yaml (kubeconfig, listen), the data dir and the node proxy's command; changes nothing"

# refuse EXPECTED ARGS...: install.sh ARGS --dry-run must fail with "error: EXPECTED...".
refuse() {
  expected=$1
  shift
  if sh "$install" "$@" --dry-run > "$work/install-np-bad.out" 2>&1; then
    fail "install.sh accepted $*"
  fi
  grep -q -F -- "error: $expected" "$work/install-np-bad.out" || { cat "$work/install-np-bad.out"; fail "install.sh gave no clear error for $*"; }
}
# shellcheck disable=SC2086  # $np_paths and $join hold several words on purpose
refuse "--node-proxy-only installs no agent, so --hub --token --ca-hash --name --kind --label --data-dir would be ignored" \
  $np_paths --node-proxy-only $join --data-dir "$work/var/lib/outpost-agent"
# shellcheck disable=SC2086
refuse "--node-proxy needs the kubeconfig of the apiserver it fronts and found none" \
  $np_paths --config-dir "$work/etc-empty" --node-proxy-only
grep -q -F -- 'pass --kubeconfig PATH' "$work/install-np-bad.out" || fail "the missing-kubeconfig error does not name --kubeconfig"
refuse "--print-unit 'kubelet' is not valid: expected agent or node-proxy" --print-unit kubelet
ok "install.sh refuses --node-proxy-only with join flags, --node-proxy without a kubeconfig (names --kubeconfig), --print-unit kubelet"

# shellcheck disable=SC2086
sh "$install" $np_paths --node-proxy-only --kubeconfig "$work/sandbox.kubeconfig" $user_args > "$work/install-np.out" 2>&1 \
  || { cat "$work/install-np.out"; fail "install.sh --node-proxy-only"; }
grep -q -x "kubeconfig: $work/sandbox.kubeconfig" "$np_yaml" || { cat "$np_yaml"; fail "node-proxy.yaml has no kubeconfig line for the sandbox"; }
grep -q -x 'listen: 127.0.0.1:10261' "$np_yaml" || fail "node-proxy.yaml has no listen line"
grep -q '^OUTPOST_JAVA=/' "$work/etc/outpost/node-proxy.env" || fail "node-proxy.env has no OUTPOST_JAVA"
[ "$(stat -c %a "$np_dir")" = 700 ] || fail "$np_dir is not mode 700"
if [ -n "$user_args" ]; then
  [ "$(stat -c %U "$np_dir")" = outpost-verify ] || fail "$np_dir is not owned by outpost-verify"
fi
if grep -q -e 'agent join' -e 'Run the agent' "$work/install-np.out"; then
  fail "install.sh --node-proxy-only touched the agent"
fi
ok "install.sh --node-proxy-only wrote node-proxy.yaml (kubeconfig: the sandbox, listen 127.0.0.1:10261), $(stat -c '%a %U' "$np_dir") data dir; no join"

# An edited node-proxy.yaml survives a re-run; a free port keeps this run away from a real proxy on 10261.
sed -i 's/^listen: .*/listen: 127.0.0.1:0/' "$np_yaml"
echo '# edited by verify-local' >> "$np_yaml"
cp "$np_yaml" "$work/node-proxy.yaml.edited"
# shellcheck disable=SC2086
sh "$install" "$@" --node-proxy-data-dir "$np_dir" --node-proxy --kubeconfig "$work/sandbox.kubeconfig" $user_args \
  > "$work/install-np-again.out" 2>&1 || { cat "$work/install-np-again.out"; fail "install.sh --node-proxy re-run"; }
grep -q -F "$np_yaml exists: keeping it as it is" "$work/install-np-again.out" || { cat "$work/install-np-again.out"; fail "the re-run did not say it keeps node-proxy.yaml"; }
cmp -s "$np_yaml" "$work/node-proxy.yaml.edited" || fail "the re-run changed the edited node-proxy.yaml"
grep -q 'skipping the join' "$work/install-np-again.out" || fail "install.sh --node-proxy re-run did not skip the join"
ok "install.sh --node-proxy re-run keeps the edited node-proxy.yaml and skips the join"

np_cmd=$(grep -A1 'Run the node proxy' "$work/install-np-again.out" | tail -n 1 | sed 's/^  //')
[ -n "$np_cmd" ] || fail "install.sh printed no node proxy command"
start node-proxy sh -c "exec $np_cmd"
wait_for "$work/node-proxy.out" '^node-proxy: http://' 60 || { tail -5 "$work/node-proxy.err"; fail "the installed node proxy did not start"; }
np_url=$(sed -n 's/^node-proxy: \(http:[^ ]*\).*/\1/p' "$work/node-proxy.out" | head -n 1)
curl -sf "$np_url/outpost/metrics" | grep -q '^outpost_node_proxy_upstream_healthy' || fail "no metrics at $np_url/outpost/metrics"
if command -v kubectl >/dev/null 2>&1; then
  kubectl --server "$np_url" get nodes > "$work/np-nodes.txt" 2>&1 || { cat "$work/np-nodes.txt"; fail "kubectl get nodes through the node proxy"; }
  grep -q 'edge-verify-01-node-1' "$work/np-nodes.txt" || fail "kubectl through the node proxy did not list the sandbox's nodes"
fi
[ -s "$np_dir/node-proxy.jsa" ] || fail "the node proxy's launcher made no class-data archive at $np_dir/node-proxy.jsa"
ok "node proxy started with the printed command ($np_url, settings from node-proxy.yaml, class-data archive made before its first start): metrics served, kubectl get nodes lists the sandbox's nodes"

# ---- 7. Kubernetes join init script ----------------------------------------------------------------------
script=$(awk '/- name: join/{j=1} j&&/^            - \|/{s=1; next} s&&/^          env:/{exit} s{sub(/^              /,""); print}' \
  "$root/deploy/kubernetes/agent.yaml")
[ -n "$script" ] || fail "cannot find the join script in agent.yaml"
"$home/bin/outpost" token create --hub "https://localhost:$https_port" --token "$admin" --ca-hash "$ca_hash" > "$work/token2.out" 2>&1 \
  || { cat "$work/token2.out"; fail "outpost token create"; }
token2=$(sed -n 's/^token: //p' "$work/token2.out")
for round in 1 2; do
  env PATH="$home/bin:$PATH" OUTPOST_AGENT_DATA_DIR="$work/k8s-agent-data" OUTPOST_JOIN_HUB="localhost:$tunnel_port" \
    OUTPOST_JOIN_TOKEN="$token2" OUTPOST_JOIN_CA_HASH="$ca_hash" OUTPOST_JOIN_NAME=idc-verify-02 OUTPOST_JOIN_KIND=idc \
    OUTPOST_JOIN_LABELS="region=beijing env=prod" sh -c "$script" > "$work/k8s-join-$round.out" 2>&1 \
    || { cat "$work/k8s-join-$round.out"; fail "agent.yaml join script, round $round"; }
done
grep -q '^joined: cluster idc-verify-02' "$work/k8s-join-1.out" || fail "agent.yaml join script did not join"
grep -q 'skipping the join' "$work/k8s-join-2.out" || fail "agent.yaml join script did not skip on an existing identity"
ok "agent.yaml's join step joins on an empty volume and skips on a joined one"

# ---- 8. systemd units --------------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$work/units"
  # shellcheck disable=SC2086
  sh "$install" --print-unit --prefix "$work/opt/outpost" --data-dir "$work/var/lib/outpost-agent" \
    --config-dir "$work/etc/outpost" $user_args > "$work/units/outpost-agent.service"
  # shellcheck disable=SC2086
  sh "$install" --print-unit node-proxy --prefix "$work/opt/outpost" --node-proxy-data-dir "$work/var/lib/outpost-node-proxy" \
    --config-dir "$work/etc/outpost" $user_args > "$work/units/outpost-node-proxy.service"
  grep -q "^ExecStart=$work/opt/outpost/bin/outpost agent node-proxy --config $work/etc/outpost/node-proxy.yaml --data-dir $work/var/lib/outpost-node-proxy\$" \
    "$work/units/outpost-node-proxy.service" || fail "install.sh --print-unit node-proxy did not apply the paths"
  sed "s|/opt/outpost|$work/opt/outpost|g" "$root/deploy/systemd/outpost-hub.service" > "$work/units/outpost-hub.service"
  (cd "$work/units" && systemd-analyze verify ./outpost-agent.service ./outpost-hub.service ./outpost-node-proxy.service) > "$work/units/verify.out" 2>&1 \
    || { cat "$work/units/verify.out"; fail "systemd-analyze verify"; }
  [ ! -s "$work/units/verify.out" ] || { cat "$work/units/verify.out"; fail "systemd-analyze verify printed warnings"; }
  ok "systemd-analyze verify: the three units clean (agent and node proxy rendered by install.sh --print-unit)"
else
  echo "skip - systemd-analyze not installed"
fi

# ---- 9. Kubernetes manifests ---------------------------------------------------------------------------------
sh "$root/deploy/kubernetes/validate/validate.sh" > "$work/k8s-validate.out" 2>&1 || { cat "$work/k8s-validate.out"; fail "kubernetes/validate/validate.sh"; }
ok "kubernetes manifests: $(tail -n 1 "$work/k8s-validate.out")"

echo "verify-local: $passed passed, 0 failed (files in $work)"
