#!/bin/sh
# Validates deploy/kubernetes/*.yaml (or the files given) as well as this machine allows:
#   1. kubectl apply --dry-run=client  when kubectl reaches an apiserver (it needs one for discovery
#      and schemas; without one it fails before looking at the file);
#   2. schema check: the OpenAPI-derived JSON schemas of the npm package kubernetes-models
#      (types, required fields, enums), installed once into deploy/target/k8s-validate;
#   3. unknown-field check: StrictFields.java decodes into fabric8's typed model and lists every
#      field name the model does not know (typos), using the agent's runtime jars.
# A check whose tool is missing is reported as skipped; any failing check fails the script.
#
#   deploy/kubernetes/validate/validate.sh [FILE.yaml...]
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
deploy=$(cd "$here/../.." && pwd -P)
root=$(cd "$deploy/.." && pwd -P)

if [ $# -eq 0 ]; then
  set -- "$deploy/kubernetes/hub.yaml" "$deploy/kubernetes/agent.yaml"
fi
for f in "$@"; do
  [ -f "$f" ] || { echo "validate: $f does not exist" >&2; exit 2; }
done

failed=0
ran=0

# 1. kubectl against a server, if one is configured and answers.
if command -v kubectl >/dev/null 2>&1 && kubectl get --raw /version --request-timeout=3s >/dev/null 2>&1; then
  echo "== kubectl apply --dry-run=client (server: $(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null))"
  for f in "$@"; do
    kubectl apply --dry-run=client -f "$f" || failed=1
  done
  ran=$((ran + 1))
else
  echo "== kubectl apply --dry-run=client: skipped (no reachable apiserver; kubectl $(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1) needs one for discovery)"
fi

# 2. JSON-schema check with kubernetes-models (npm).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tools="$deploy/target/k8s-validate"
  if [ ! -d "$tools/node_modules/kubernetes-models" ]; then
    mkdir -p "$tools"
    printf '{"name":"outpost-k8s-validate","private":true,"type":"module"}\n' > "$tools/package.json"
    (cd "$tools" && npm install --silent --no-audit --no-fund --loglevel=error kubernetes-models@5.1.0 yaml@2.9.1) \
      || { echo "validate: npm install kubernetes-models failed" >&2; exit 1; }
  fi
  cp "$here/schema-check.mjs" "$tools/schema-check.mjs"
  echo "== schema check (kubernetes-models 5.1.0)"
  node "$tools/schema-check.mjs" "$@" || failed=1
  ran=$((ran + 1))
else
  echo "== schema check: skipped (node/npm not installed: apt-get install -y nodejs npm)"
fi

# 3. Unknown-field check with fabric8's model (the agent's runtime classpath).
cp_list=""
for list in "$deploy"/target/dist-stage/*/lib/agent.classpath; do
  if [ -f "$list" ]; then
    lib=$(dirname "$list")
    cp_list=$(sed "s|^|$lib/|" "$list" | paste -sd: -)
  fi
done
if [ -z "$cp_list" ] && [ -f "$root/edge-agent/target/classpath.txt" ]; then
  cp_list=$(cat "$root/edge-agent/target/classpath.txt")
fi
if command -v java >/dev/null 2>&1 && [ -n "$cp_list" ]; then
  echo "== unknown-field check (fabric8 kubernetes-model)"
  status=0
  out=$(java -cp "$cp_list" "$here/StrictFields.java" "$@" 2>&1) || status=$?
  printf '%s\n' "$out" | grep -v -e '^SLF4J' -e '^Note:' || true
  [ "$status" -eq 0 ] || failed=1
  ran=$((ran + 1))
else
  echo "== unknown-field check: skipped (needs java and the agent's jars: run deploy/dist/make-dist.sh first)"
fi

if [ "$ran" -eq 0 ]; then
  echo "validate: no check could run" >&2
  exit 1
fi
if [ "$failed" -ne 0 ]; then
  echo "validate: FAILED" >&2
  exit 1
fi
echo "validate: OK ($ran checks ran)"
