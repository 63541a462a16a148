#!/bin/sh
# Outpost launcher of the distribution tarball (installed as bin/outpost by deploy/dist/make-dist.sh).
#   outpost hub | agent join|run | kubeconfig | token create|list|revoke | clusters | sources | bundles | rollout   (--help on each)
# Java: $OUTPOST_JAVA, else $JAVA_HOME/bin/java, else `java` on PATH (17 or newer).
# JVM options: $OUTPOST_JAVA_OPTS (split on spaces), e.g. "-Xmx512m -XX:+ExitOnOutOfMemoryError".
# `agent node-proxy` adds $OUTPOST_NODE_PROXY_JAVA_OPTS (default: at most 128 MiB of heap that starts small and
# is given back, serial GC, C1 only; BENCHMARKS.md §4), logging configured in code (-Doutpost.logging=code)
# and, when $OUTPOST_NODE_PROXY_CDS names a file, class data sharing: if the file is missing or older than
# lib/node-proxy.classpath, it is made first from lib/node-proxy.classlist (-Xshare:dump, a few seconds),
# and every run maps it (-XX:SharedArchiveFile): ~5 MiB less resident and a faster start. Without the
# class list, the first run writes the archive at exit (-XX:ArchiveClassesAtExit) instead.
# Log level of io.outpost.*: $OUTPOST_LOG (default INFO); logs go to standard error.
set -eu

# Find the distribution's home even through symlinks (/usr/local/bin/outpost -> /opt/outpost/bin/outpost).
self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case "$link" in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
home=$(cd "$(dirname "$self")/.." && pwd -P)

usage() {
  cat <<'USAGE'
usage: outpost COMMAND [--help]
  hub                         run the hub
  agent join|run              join this cluster to a hub / run a joined agent
  kubeconfig                  fetch a kubeconfig with one context per member cluster
  token create|list|revoke    bootstrap tokens
  clusters [get|label|delete] the cluster registry
  sources list|add|sync|delete     Git sources of bundles (GitOps)
  bundles [NAME]       bundles and per-cluster delivery status
  rollout status|promote|pause|resume|rollback NAME   follow and steer a rollout
  version                     print the distribution's version
USAGE
}

cmd=${1:-}
case "$cmd" in
  hub|kubeconfig|token|clusters|sources|bundles|rollout) app=hub; main=io.outpost.hub.cli.HubMain ;;
  agent) app=agent; main=io.outpost.agent.cli.AgentMain
    # The node proxy runs on every edge node with only the jars it loads classes from: each jar on the
    # classpath costs resident memory once a resource lookup opens it (BENCHMARKS.md §4).
    [ "${2:-}" = node-proxy ] && app=node-proxy ;;
  version|--version|-V) cat "$home/VERSION"; exit 0 ;;
  ""|-h|--help|help) usage; exit 0 ;;
  *) echo "outpost: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac

# Each program gets exactly its own runtime classpath (lib/hub.classpath, lib/agent.classpath,
# lib/node-proxy.classpath: one jar name a line, all in lib/): the hub and the agent are separate Micronaut applications, and putting
# both on one `lib/*` classpath would let each scan the other's beans.
list="$home/lib/$app.classpath"
if [ ! -r "$list" ]; then
  echo "outpost: $list is missing: this distribution is incomplete; unpack outpost-dist.tar.gz again" >&2
  exit 1
fi
cp=""
while IFS= read -r jar || [ -n "$jar" ]; do
  [ -n "$jar" ] || continue
  cp="${cp:+$cp:}$home/lib/$jar"
done < "$list"

if [ -n "${OUTPOST_JAVA:-}" ]; then
  java=$OUTPOST_JAVA
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java=$JAVA_HOME/bin/java
else
  java=java
fi
if ! command -v "$java" >/dev/null 2>&1; then
  echo "outpost: no Java runtime found ('$java'); install Java 17 or newer" \
    "(Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless; RHEL/Fedora: dnf install -y java-17-openjdk-headless)" \
    "or set OUTPOST_JAVA to its java binary" >&2
  exit 1
fi

node_proxy_opts=""
if [ "$cmd" = agent ] && [ "${2:-}" = node-proxy ]; then
  # Defaults in lib/node-proxy.jvm-options (the same file the source tree's launcher reads).
  node_proxy_opts=${OUTPOST_NODE_PROXY_JAVA_OPTS-"$(grep -v '^#' "$home/lib/node-proxy.jvm-options")"}
  # Always: logback configured in code (not its XML configurator; -Dlogback.configurationFile=FILE in
  # OUTPOST_NODE_PROXY_JAVA_OPTS still wins) and Netty without its flight-recorder events.
  node_proxy_opts="$node_proxy_opts -Doutpost.logging=code -Dio.netty.jfr.enabled=false"
  # At most two glibc malloc arenas rather than eight per core: the proxy's native allocations are few.
  MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
  export MALLOC_ARENA_MAX
  if [ -n "${OUTPOST_NODE_PROXY_CDS:-}" ]; then
    cds=$OUTPOST_NODE_PROXY_CDS
    classlist="$home/lib/node-proxy.classlist"
    # An archive older than the class path it was made for belongs to an earlier version: make it again.
    if [ -s "$cds" ] && [ -z "$(find "$cds" -newer "$list" 2>/dev/null)" ]; then
      rm -f "$cds"
    fi
    if [ ! -s "$cds" ] && [ -s "$classlist" ]; then
      # One static archive of the classes the proxy loads (lib/node-proxy.classlist), made in a few
      # seconds before the first start, so that even the first run maps it (BENCHMARKS.md §4).
      # shellcheck disable=SC2086
      "$java" ${OUTPOST_JAVA_OPTS:-} $node_proxy_opts -Xshare:dump -XX:SharedClassListFile="$classlist" \
        -XX:SharedArchiveFile="$cds" -cp "$cp" >/dev/null 2>&1 || rm -f "$cds"
    fi
    if [ -s "$cds" ]; then
      # A stale or unreadable archive is ignored by the JVM with a warning, never fatal.
      node_proxy_opts="$node_proxy_opts -XX:SharedArchiveFile=$cds -Xshare:auto"
    else
      node_proxy_opts="$node_proxy_opts -XX:ArchiveClassesAtExit=$cds"
    fi
  fi
fi

# OUTPOST_JAVA_OPTS and node_proxy_opts are split on purpose: they hold several JVM options.
# shellcheck disable=SC2086
exec "$java" ${OUTPOST_JAVA_OPTS:-} $node_proxy_opts -cp "$cp" "$main" "$@"
