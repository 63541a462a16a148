#!/bin/sh
# Builds the self-contained Outpost distribution: deploy/target/outpost-dist.tar.gz
#
#   deploy/dist/make-dist.sh [--no-build] [--isolated] [--output FILE]
#
# Layout of the tarball (one top directory, outpost-VERSION/):
#   bin/outpost                 launcher: hub | agent | kubeconfig | token | clusters (needs Java 17+)
#   lib/*.jar                   runtime jars of the hub and the edge agent, deduplicated
#   lib/hub.classpath           jar names of the hub's runtime classpath, one a line
#   lib/agent.classpath         jar names of the agent's runtime classpath, one a line
#   lib/node-proxy.classpath    the part of it `agent node-proxy` loads classes from
#   lib/node-proxy.jvm-options  the node proxy's default JVM options
#   lib/node-proxy.classlist    the classes it loads, for its class-data archive
#   share/systemd/*.service     the hardened systemd units (deploy/systemd/)
#   share/install.sh            the edge one-command installer (deploy/edge/install.sh)
#   VERSION
# The sandbox cluster (mock apiserver) lives only in the tests module and is not in the distribution.
#
# Options:
#   --no-build   package the artifacts already built (hub/target, edge-agent/target, ...), do not run Maven
#   --isolated   copy the working tree (without target/ and .git/) to deploy/target/build-src and build
#                there, so concurrent builds in the working tree cannot race this one
#   --output F   where to write the tarball (default: deploy/target/outpost-dist.tar.gz); a F.sha256 is
#                written next to it
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
deploy="$root/deploy"

build=1
isolated=0
output="$deploy/target/outpost-dist.tar.gz"

die() {
  echo "make-dist: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --isolated) isolated=1 ;;
    --output)
      [ $# -ge 2 ] || die "--output needs a file name"
      output=$2
      shift
      ;;
    --output=*) output=${1#--output=} ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

command -v java >/dev/null 2>&1 || die "java is not on PATH; the build needs a JDK 17 (apt-get install -y openjdk-17-jdk-headless)"
command -v tar >/dev/null 2>&1 || die "tar is not on PATH"
command -v gzip >/dev/null 2>&1 || die "gzip is not on PATH"

# Where the Maven build happens (the checkout itself, or an isolated copy of it).
src=$root
if [ "$isolated" -eq 1 ]; then
  [ "$build" -eq 1 ] || die "--isolated and --no-build exclude each other"
  src="$deploy/target/build-src"
  echo "make-dist: copying the working tree to $src" >&2
  rm -rf "$src"
  mkdir -p "$src"
  # Everything but build output, VCS data and local runtime state.
  (cd "$root" && tar -cf - --exclude=./.git --exclude='*/target' --exclude=./target \
      --exclude=./.outpost --exclude=./deploy/target .) | (cd "$src" && tar -xf -)
fi

if [ "$build" -eq 1 ]; then
  echo "make-dist: building hub and edge-agent (./mvnw -q -B -Dmaven.test.skip=true -pl hub,edge-agent -am package)" >&2
  (cd "$src" && ./mvnw -q -B -Dmaven.test.skip=true -pl hub,edge-agent -am package) \
    || die "the Maven build failed (see above); fix it, or package an earlier build with --no-build"
fi

# The application jars and their runtime classpaths (written by maven-dependency-plugin build-classpath).
hub_jar=""
agent_jar=""
for f in "$src"/hub/target/outpost-hub-*.jar; do
  case "$f" in *-sources.jar|*-tests.jar|*-javadoc.jar) continue ;; esac
  [ -f "$f" ] && hub_jar=$f
done
for f in "$src"/edge-agent/target/outpost-edge-agent-*.jar; do
  case "$f" in *-sources.jar|*-tests.jar|*-javadoc.jar) continue ;; esac
  [ -f "$f" ] && agent_jar=$f
done
[ -n "$hub_jar" ] || die "no hub jar in $src/hub/target; build first (run without --no-build)"
[ -n "$agent_jar" ] || die "no edge-agent jar in $src/edge-agent/target; build first (run without --no-build)"
for cp_txt in hub/target/classpath.txt edge-agent/target/classpath.txt edge-agent/target/node-proxy-classpath.txt; do
  [ -s "$src/$cp_txt" ] || die "$src/$cp_txt is missing; build first (run without --no-build)"
done
version=$(basename "$hub_jar" .jar)
version=${version#outpost-hub-}

stage="$deploy/target/dist-stage"
top="outpost-$version"
rm -rf "$stage"
mkdir -p "$stage/$top/bin" "$stage/$top/lib" "$stage/$top/share/systemd"

# copy_jar SOURCE: copies one jar into lib/ (once) and prints the name it has there.
# Outpost's own modules always come from this build's target/ (a classpath.txt can name an older copy
# in ~/.m2 when a module was built alone). Two different jars with the same file name (same artifactId
# and version, different groupId) keep apart by a groupId prefix.
copy_jar() {
  jar=$1
  name=$(basename "$jar")
  case "$name" in
    outpost-*.jar)
      module=${name#outpost-}
      module=${module%-"$version".jar}
      if [ -f "$src/$module/target/$name" ]; then
        jar="$src/$module/target/$name"
      fi
      ;;
  esac
  [ -f "$jar" ] || die "$jar (on a runtime classpath) does not exist; rebuild without --no-build"
  dest="$stage/$top/lib/$name"
  if [ -f "$dest" ] && ! cmp -s "$jar" "$dest"; then
    group=$(echo "$jar" | sed -n 's|.*/repository/\(.*\)/[^/]*/[^/]*/[^/]*$|\1|p' | tr / .)
    [ -n "$group" ] || die "two different jars are both named $name and the second ($jar) has no Maven groupId path"
    name="$group.$name"
    dest="$stage/$top/lib/$name"
  fi
  [ -f "$dest" ] || cp "$jar" "$dest"
  echo "$name"
}

# write_classpath APP_JAR CLASSPATH_TXT LIST: copies the jars and writes the launcher's jar list.
write_classpath() {
  app_jar=$1
  cp_txt=$2
  list=$3
  : > "$list"
  copy_jar "$app_jar" >> "$list"
  # classpath.txt is one line, entries separated by ':'.
  tr ':' '\n' < "$cp_txt" | while IFS= read -r entry || [ -n "$entry" ]; do
    [ -n "$entry" ] || continue
    case "$entry" in
      *.jar) copy_jar "$entry" >> "$list" ;;
      *) die "unexpected non-jar runtime classpath entry $entry in $cp_txt" ;;
    esac
  done
}

write_classpath "$hub_jar" "$src/hub/target/classpath.txt" "$stage/$top/lib/hub.classpath"
write_classpath "$agent_jar" "$src/edge-agent/target/classpath.txt" "$stage/$top/lib/agent.classpath"
write_classpath "$agent_jar" "$src/edge-agent/target/node-proxy-classpath.txt" "$stage/$top/lib/node-proxy.classpath"

# The sandbox (fabric8 mock server) must never ship.
if grep -q -e 'kubernetes-server-mock' -e 'mockwebserver' -e '^outpost-tests' "$stage/$top/lib/hub.classpath" "$stage/$top/lib/agent.classpath"; then
  die "a test-only jar (mock server / tests module) is on a runtime classpath; check the hub and edge-agent poms"
fi

cp "$here/outpost.sh" "$stage/$top/bin/outpost"
cp "$here/node-proxy.jvm-options" "$stage/$top/lib/node-proxy.jvm-options"
cp "$here/node-proxy.classlist" "$stage/$top/lib/node-proxy.classlist"
cp "$deploy/systemd/outpost-agent.service" "$deploy/systemd/outpost-hub.service" \
  "$deploy/systemd/outpost-node-proxy.service" "$stage/$top/share/systemd/"
cp "$deploy/edge/install.sh" "$stage/$top/share/install.sh"
echo "$version" > "$stage/$top/VERSION"
chmod 755 "$stage/$top/bin/outpost" "$stage/$top/share/install.sh"
chmod 644 "$stage/$top/lib/"* "$stage/$top/share/systemd/"* "$stage/$top/VERSION"

mkdir -p "$(dirname "$output")"
# Reproducible-ish: sorted names, numeric root owner (GNU tar options; fall back to plain tar elsewhere).
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$top" | gzip -9n > "$output.tmp"
else
  tar -C "$stage" -cf - "$top" | gzip -9n > "$output.tmp"
fi
mv "$output.tmp" "$output"
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$(dirname "$output")" && sha256sum "$(basename "$output")") > "$output.sha256"
fi

jars=$(find "$stage/$top/lib" -name '*.jar' | wc -l | tr -d ' ')
size=$(du -h "$output" | cut -f1)
echo "make-dist: wrote $output ($size, $top, $jars jars: hub $(wc -l < "$stage/$top/lib/hub.classpath" | tr -d ' ')," \
  "agent $(wc -l < "$stage/$top/lib/agent.classpath" | tr -d ' '))"
