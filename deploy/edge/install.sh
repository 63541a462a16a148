#!/bin/sh
# Outpost edge install: one command puts the agent on an edge box (or any Linux host that can reach
# its cluster's apiserver) and joins it to the hub; with --node-proxy also the node proxy (the
# node-local caching API proxy, `outpost agent node-proxy`), with --node-proxy-only just that.
#
#   curl -sfL https://HUB/install.sh | sudo sh -s -- --dist https://HUB/outpost-dist.tar.gz \
#       --hub hub.example.com:7443 --token abcdef.0123456789abcdef --ca-hash sha256:HEX \
#       --name edge-sh-01 [--kind edge] [--label region=sh]... [--kubeconfig /etc/rancher/k3s/k3s.yaml]
#       [--node-proxy]
#
#   or from a copy:  sudo sh install.sh --dist ./outpost-dist.tar.gz --hub ... (same flags)
#   node proxy only (no hub, no token):
#                    sudo sh install.sh --dist ./outpost-dist.tar.gz --node-proxy-only --kubeconfig PATH
#
# What it does, in order (each step is skipped when already done, so re-running is safe):
#   1. checks the arguments and that Java 17+ is installed;
#   2. unpacks the distribution into --prefix (default /opt/outpost);
#   3. creates the system user --user (default outpost) when run as root;
#   4. writes --config-dir/agent.env (default /etc/outpost/agent.env); with --node-proxy also
#      node-proxy.env and, unless it exists (then it is kept as it is), node-proxy.yaml with the
#      kubeconfig and listen address, and creates --node-proxy-data-dir (/var/lib/outpost-node-proxy);
#   5. runs `outpost agent join` into --data-dir (default /var/lib/outpost-agent), unless that dir
#      already holds a joined identity (then the join is skipped and the token is not needed);
#   6. with systemd: installs outpost-agent.service (and outpost-node-proxy.service), enables and
#      (re)starts them; without systemd: prints the commands that run them.
#
# Options: see --help (usage() below).
set -eu

PROG="outpost-install"
# An identity written by `outpost agent join` (AgentIdentityFiles): its presence means "joined".
IDENTITY_FILE=agent.properties

say() { echo "$PROG: $*"; }
warn() { echo "$PROG: warning: $*" >&2; }
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
usage() {
  cat <<'USAGE'
usage: install.sh --dist FILE|URL|DIR --hub HOST:PORT --token ID.SECRET --ca-hash sha256:HEX --name NAME
                  [--kind edge] [--label KEY=VALUE]... [--kubeconfig PATH] [--prefix DIR] [--data-dir DIR]
                  [--config-dir DIR] [--user NAME] [--dist-sha256 HEX] [--node-proxy] [--no-start] [--dry-run]
       install.sh --dist FILE|URL|DIR --node-proxy-only [--kubeconfig PATH] [--prefix DIR] [--config-dir DIR]
                  [--node-proxy-data-dir DIR] [--user NAME] [--dist-sha256 HEX] [--no-start] [--dry-run]
Installs the Outpost agent, joins it to the hub and starts it (systemd); with --node-proxy also the
node proxy (node-local caching API proxy for kubelet/kube-proxy); safe to run again.

Options:
  --hub HOST:PORT       the hub's tunnel listener (printed by the hub as "tunnel:")     [join]
  --token ID.SECRET     single-use bootstrap token (outpost token create)              [join]
  --ca-hash sha256:HEX  the hub CA pin (printed by the hub as "ca-hash:")              [join]
  --name NAME           cluster name: lower-case letters, digits, '-', at most 63      [join]
  --kind KIND           idc, cloud or edge (default edge)
  --label KEY=VALUE     label for fleet targeting; repeatable
  --kubeconfig PATH     kubeconfig of the cluster the agent serves (default: the first of
                        /etc/rancher/k3s/k3s.yaml, /etc/kubernetes/admin.conf that exists; else the
                        agent uses the in-cluster service account or $KUBECONFIG); the node proxy's
                        upstream, required with --node-proxy unless node-proxy.yaml exists
  --node-proxy          also install the node proxy: CONFIG_DIR/node-proxy.yaml (kubeconfig, listen
                        127.0.0.1:10261; an existing file is kept), node-proxy.env and
                        outpost-node-proxy.service; point kubelet/kube-proxy at http://127.0.0.1:10261
  --node-proxy-only     install only the node proxy: no agent, no join (so no --hub, --token,
                        --ca-hash, --name, --kind, --label, --data-dir)
  --node-proxy-data-dir DIR  the node proxy's cache (default /var/lib/outpost-node-proxy)
  --dist FILE|URL|DIR   the distribution: outpost-dist.tar.gz, its http(s) URL, or an unpacked one
                        (default: $OUTPOST_DIST, else the distribution this script sits in)
  --dist-sha256 HEX     check the tarball's SHA-256 before unpacking it
  --prefix DIR          where the distribution goes (default /opt/outpost)
  --data-dir DIR        the agent's identity and caches (default /var/lib/outpost-agent)
  --config-dir DIR      where agent.env, node-proxy.env and node-proxy.yaml go (default /etc/outpost)
  --user NAME           the service user (default outpost; root is allowed, but not advised)
  --no-start            install and join, but do not enable/start the services
  --print-unit [agent|node-proxy]
                        print the systemd unit this install writes (default: the agent's; with
                        --prefix, --data-dir/--node-proxy-data-dir, --config-dir, --user applied) and
                        exit; for other init systems or review
  --dry-run             print what would be done, change nothing
  -h, --help            this text
                                                       [join]: required unless --data-dir has joined
USAGE
}

# run CMD ARGS...: runs a command, or prints it under --dry-run.
run() {
  if [ "$dry_run" -eq 1 ]; then
    printf 'would run:'
    for a in "$@"; do
      case "$a" in
        *[[:space:]]*) printf " '%s'" "$a" ;;
        *) printf ' %s' "$a" ;;
      esac
    done
    printf '\n'
  else
    "$@"
  fi
}

# abs PATH: PATH made absolute against the current directory (it need not exist).
abs() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$(pwd -P)/$1" ;;
  esac
}

# writable_target PATH: true when PATH, or its nearest existing ancestor, is writable.
writable_target() {
  wt_path=$1
  while [ ! -e "$wt_path" ]; do
    wt_path=$(dirname "$wt_path")
  done
  [ -w "$wt_path" ]
}

# set_env FILE KEY VALUE: sets KEY=VALUE in an environment file (CONFIG_DIR/NAME.env, read by
# outpost-NAME.service), keeping every other line.
set_env() {
  file=$1
  key=$2
  value=$3
  if [ "$dry_run" -eq 1 ]; then
    echo "would set in $file: $key=$value"
    return
  fi
  tmp="$file.tmp.$$"
  if [ -f "$file" ]; then
    grep -v "^$key=" "$file" > "$tmp" || true
  else
    printf '# Outpost settings for outpost-%s.service; install.sh updates its own keys, keeps the rest.\n' \
      "$(basename "$file" .env)" > "$tmp"
  fi
  printf '%s=%s\n' "$key" "$value" >> "$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$file"
}

# java_major JAVA: the major version of a java binary (8 for 1.8, 17 for 17.0.x), empty when unknown.
java_major() {
  v=$("$1" -version 2>&1 </dev/null | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  case "$v" in
    1.*) v=${v#1.} ;;
  esac
  echo "${v%%[!0-9]*}"
}

java_install_hint() {
  echo "install Java 17 or newer and run this again:" \
    "Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless;" \
    "RHEL/CentOS/Rocky/Fedora: yum install -y java-17-openjdk-headless;" \
    "SUSE: zypper install -y java-17-openjdk-headless; Alpine: apk add openjdk17-jre-headless;" \
    "or point OUTPOST_JAVA (or JAVA_HOME) at an installed Java 17+."
}

# render_unit SRC PREFIX DEFAULT_DATA_DIR DATA_DIR CONFIG_DIR USER GROUP: a unit (agent or node
# proxy) with this install's paths and user instead of the defaults (/opt/outpost, DEFAULT_DATA_DIR,
# /etc/outpost/, outpost). Defaults go to placeholders first, so that a new path containing another
# default (--config-dir /opt/outpost/etc) is not rewritten twice. StateDirectory= only works below
# /var/lib, so it is dropped for another data dir (ReadWritePaths= stays).
render_unit() {
  if [ "$4" = "$3" ]; then
    keep_state='s/^StateDirectory=/StateDirectory=/'
  else
    keep_state='/^StateDirectory/d'
  fi
  sed -e "s|/opt/outpost|@@PREFIX@@|g" \
      -e "s|$3|@@DATA_DIR@@|g" \
      -e "s|/etc/outpost/|@@CONFIG_DIR@@/|g" \
      -e "s|@@PREFIX@@|$2|g" \
      -e "s|@@DATA_DIR@@|$4|g" \
      -e "s|@@CONFIG_DIR@@|$5|g" \
      -e "s|^User=outpost\$|User=$6|" \
      -e "s|^Group=outpost\$|Group=$7|" \
      -e "$keep_state" \
      "$1"
}

# service_vars NAME: for outpost-agent or outpost-node-proxy, sets svc_what (its name in messages),
# svc_default_dir and svc_dir (the unit's data dir and this install's), svc_cmd (how to run it
# without systemd, with the same settings as its unit).
service_vars() {
  case "$1" in
    outpost-agent)
      svc_what="the agent"
      svc_default_dir=/var/lib/outpost-agent
      svc_dir=$data_dir
      svc_cmd="sh -c 'set -a; . $env_file; set +a; exec $outpost agent run --data-dir $data_dir'"
      ;;
    outpost-node-proxy)
      svc_what="the node proxy"
      svc_default_dir=/var/lib/outpost-node-proxy
      svc_dir=$np_data_dir
      svc_cmd="sh -c 'set -a; OUTPOST_NODE_PROXY_CDS=$np_data_dir/node-proxy.jsa; . $np_env_file; set +a; exec $outpost agent node-proxy --config $np_config --data-dir $np_data_dir'"
      ;;
    *) die "service_vars: unknown service $1" ;;
  esac
}

# check_user_access USER DATA_DIR FILE...: fails unless USER can run the launcher, read each FILE and
# write DATA_DIR (a parent directory with mode 700 would stop it).
check_user_access() {
  cua_user=$1
  cua_dir=$2
  shift 2
  if [ "$dry_run" -eq 1 ] || ! command -v runuser >/dev/null 2>&1; then
    return 0
  fi
  # shellcheck disable=SC2016  # $0, $1 and "$@" are expanded by the inner shell
  if ! runuser -u "$cua_user" -- sh -c 'test -x "$0" && test -w "$1" && shift && for f; do test -r "$f" || exit 1; done' \
      "$outpost" "$cua_dir" "$@" </dev/null; then
    die "user $cua_user cannot run $outpost, read $* or write $cua_dir (check the modes of their parent directories), or use --user root"
  fi
}

# write_new_file FILE: writes standard input to FILE (mode 644) unless it exists; says which.
write_new_file() {
  if [ -f "$1" ]; then
    say "$1 exists: keeping it as it is (delete it to have it written anew)"
    cat >/dev/null
  elif [ "$dry_run" -eq 1 ]; then
    echo "would write $1:"
    sed 's/^/  | /'
  else
    cat > "$1.tmp.$$"
    chmod 644 "$1.tmp.$$"
    mv "$1.tmp.$$" "$1"
    say "wrote $1"
  fi
}

main() {
  hub=""
  token=""
  ca_hash=""
  name=""
  kind=edge
  labels=""
  kubeconfig=""
  dist=${OUTPOST_DIST:-}
  dist_sha256=""
  prefix=/opt/outpost
  data_dir=/var/lib/outpost-agent
  config_dir=/etc/outpost
  user=outpost
  start=1
  dry_run=0
  print_unit=""
  agent=1
  node_proxy=0
  np_data_dir=/var/lib/outpost-node-proxy
  # Flags that only mean something for the agent, to refuse them with --node-proxy-only.
  agent_flags=""

  # ---- 1. arguments ---------------------------------------------------------------------------
  while [ $# -gt 0 ]; do
    opt=$1
    case "$opt" in
      --*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
      *) val=""; has_val=0 ;;
    esac
    case "$opt" in
      --hub|--token|--ca-hash|--name|--kind|--label|--kubeconfig|--dist|--dist-sha256|--prefix|--data-dir|--config-dir|--user|--node-proxy-data-dir)
        if [ "$has_val" -eq 0 ]; then
          [ $# -ge 2 ] || die "$opt needs a value (see --help)"
          case "$2" in
            --*) die "$opt needs a value, got the option '$2' (see --help)" ;;
          esac
          val=$2
          shift
        fi
        [ -n "$val" ] || die "$opt needs a non-empty value"
        ;;
    esac
    case "$opt" in
      --hub|--token|--ca-hash|--name|--kind|--label|--data-dir)
        case "$agent_flags " in
          *" $opt "*) ;;
          *) agent_flags="$agent_flags $opt" ;;
        esac
        ;;
    esac
    case "$opt" in
      --hub) hub=$val ;;
      --token) token=$val ;;
      --ca-hash) ca_hash=$val ;;
      --name) name=$val ;;
      --kind) kind=$val ;;
      --label)
        case "$val" in
          =*|*[!A-Za-z0-9._/=-]*|*=*=*) die "--label '$val' is not valid: expected KEY=VALUE with letters, digits, '.', '_', '-', '/' (e.g. region=shanghai)" ;;
          *=*) ;;
          *) die "--label '$val' is not valid: expected KEY=VALUE (e.g. region=shanghai)" ;;
        esac
        labels="$labels $val"
        ;;
      --kubeconfig) kubeconfig=$val ;;
      --dist) dist=$val ;;
      --dist-sha256) dist_sha256=$val ;;
      --prefix) prefix=$val ;;
      --data-dir) data_dir=$val ;;
      --config-dir) config_dir=$val ;;
      --user) user=$val ;;
      --node-proxy) node_proxy=1 ;;
      --node-proxy-only) node_proxy=1; agent=0 ;;
      --node-proxy-data-dir) np_data_dir=$val ;;
      --no-start) start=0 ;;
      --print-unit)
        # The unit name is optional: plain --print-unit keeps printing the agent's unit.
        if [ "$has_val" -eq 0 ]; then
          val=agent
          case "${2:-}" in
            ""|-*) ;;
            *) val=$2; shift ;;
          esac
        fi
        case "$val" in
          agent|node-proxy) print_unit=$val ;;
          *) die "--print-unit '$val' is not valid: expected agent or node-proxy" ;;
        esac
        ;;
      --dry-run) dry_run=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option '$opt' (see --help)" ;;
    esac
    shift
  done

  # An error rather than a warning: who passes a join token expects a joined agent, and a warning
  # scrolling past would leave this box out of the fleet with the token unused (--node-proxy installs both).
  if [ "$agent" -eq 0 ] && [ -n "$agent_flags" ]; then
    die "--node-proxy-only installs no agent, so$agent_flags would be ignored: drop them, or use --node-proxy to install the agent and the node proxy"
  fi

  prefix=$(abs "$prefix")
  data_dir=$(abs "$data_dir")
  config_dir=$(abs "$config_dir")
  np_data_dir=$(abs "$np_data_dir")
  for p in "$prefix" "$data_dir" "$config_dir" "$np_data_dir"; do
    case "$p" in
      *[!A-Za-z0-9._/+@-]*) die "path '$p' has characters this installer does not handle (space, quote, |, &, ...); choose a plain path" ;;
    esac
  done
  case "$prefix" in
    /) die "--prefix / is not allowed: the distribution's bin/, lib/ and share/ would replace the system's" ;;
  esac

  outpost="$prefix/bin/outpost"
  env_file="$config_dir/agent.env"
  np_env_file="$config_dir/node-proxy.env"
  np_config="$config_dir/node-proxy.yaml"

  if [ -n "$print_unit" ]; then
    unit_src="$prefix/share/systemd/outpost-$print_unit.service"
    [ -f "$unit_src" ] || die "$unit_src does not exist: install the distribution into --prefix $prefix first"
    group=$user
    if id "$user" >/dev/null 2>&1; then
      group=$(id -gn "$user")
    fi
    service_vars "outpost-$print_unit"
    render_unit "$unit_src" "$prefix" "$svc_default_dir" "$svc_dir" "$config_dir" "$user" "$group"
    return 0
  fi

  # What runs as the service user, for messages.
  if [ "$agent" -eq 0 ]; then
    what="the node proxy"
  elif [ "$node_proxy" -eq 1 ]; then
    what="the agent and the node proxy"
  else
    what="the agent"
  fi

  joined=0
  if [ -f "$data_dir/$IDENTITY_FILE" ]; then
    joined=1
  fi
  if [ "$agent" -eq 1 ] && [ "$joined" -eq 0 ]; then
    missing=""
    [ -n "$hub" ] || missing="$missing --hub"
    [ -n "$token" ] || missing="$missing --token"
    [ -n "$ca_hash" ] || missing="$missing --ca-hash"
    [ -n "$name" ] || missing="$missing --name"
    [ -z "$missing" ] || die "missing$missing: $data_dir holds no joined agent yet, so the join needs --hub HOST:PORT --token ID.SECRET --ca-hash sha256:HEX --name NAME (the hub prints them; 'outpost token create' makes a new token)"
  fi
  if [ -n "$hub" ]; then
    hub_host=${hub%:*}
    hub_port=${hub##*:}
    case "$hub" in
      *:*) ;;
      *) die "--hub '$hub' is not valid: expected HOST:PORT of the hub's tunnel listener (e.g. hub.example.com:7443)" ;;
    esac
    case "$hub_port" in
      ""|*[!0-9]*) die "--hub '$hub' has no valid port after ':' (e.g. hub.example.com:7443)" ;;
    esac
    [ -n "$hub_host" ] || die "--hub '$hub' has no host before ':' (e.g. hub.example.com:7443)"
    { [ "$hub_port" -ge 1 ] && [ "$hub_port" -le 65535 ]; } || die "--hub '$hub': port $hub_port is out of range 1-65535"
    case "$hub" in
      http://*|https://*) die "--hub '$hub' is not valid: give HOST:PORT of the tunnel listener, not a URL" ;;
    esac
  fi
  if [ -n "$token" ]; then
    tid=${token%%.*}
    tsecret=${token#*.}
    case "$token" in
      *.*.*) die "--token is not valid: expected ID.SECRET (6 and 16 lower-case letters or digits)" ;;
      *.*) ;;
      *) die "--token is not valid: expected ID.SECRET (6 and 16 lower-case letters or digits)" ;;
    esac
    if [ ${#tid} -ne 6 ] || [ ${#tsecret} -ne 16 ]; then
      die "--token is not valid: expected ID.SECRET (6 and 16 lower-case letters or digits)"
    fi
    case "$tid$tsecret" in
      *[!a-z0-9]*) die "--token is not valid: expected ID.SECRET (6 and 16 lower-case letters or digits)" ;;
    esac
  fi
  if [ -n "$ca_hash" ]; then
    hex=$(echo "${ca_hash#sha256:}" | tr 'A-F' 'a-f')
    case "$ca_hash" in
      sha256:*) ;;
      *) die "--ca-hash '$ca_hash' is not valid: expected sha256:HEX (64 hex digits), as the hub printed it" ;;
    esac
    case "$hex" in
      *[!0-9a-f]*) die "--ca-hash is not valid: expected sha256: followed by 64 hex digits" ;;
    esac
    [ ${#hex} -eq 64 ] || die "--ca-hash is not valid: expected 64 hex digits after sha256:, got ${#hex}"
    ca_hash="sha256:$hex"
  fi
  if [ -n "$name" ]; then
    case "$name" in
      -*|*-|*[!a-z0-9-]*) die "--name '$name' is not valid: lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. edge-sh-01)" ;;
    esac
    [ ${#name} -le 63 ] || die "--name '$name' is longer than 63 characters"
  fi
  case "$kind" in
    idc|cloud|edge) ;;
    *) die "--kind '$kind' is not valid: expected idc, cloud or edge" ;;
  esac
  case "$user" in
    ""|-*|*[!a-z0-9_-]*) die "--user '$user' is not a valid user name" ;;
  esac

  if [ -z "$kubeconfig" ]; then
    for k in /etc/rancher/k3s/k3s.yaml /etc/kubernetes/admin.conf; do
      if [ -f "$k" ]; then
        kubeconfig=$k
        say "using the kubeconfig found at $k (pass --kubeconfig to choose another)"
        break
      fi
    done
  fi
  if [ -n "$kubeconfig" ]; then
    kubeconfig=$(abs "$kubeconfig")
    [ -f "$kubeconfig" ] || die "--kubeconfig $kubeconfig does not exist"
    [ -r "$kubeconfig" ] || die "--kubeconfig $kubeconfig is not readable by $(id -un)"
  fi
  if [ "$node_proxy" -eq 1 ]; then
    # A host service has no in-cluster service account, so the proxy needs a kubeconfig for its
    # upstream; an existing node-proxy.yaml is kept, and names its own.
    if [ -z "$kubeconfig" ] && [ ! -f "$np_config" ]; then
      die "--node-proxy needs the kubeconfig of the apiserver it fronts and found none" \
        "(no /etc/rancher/k3s/k3s.yaml, no /etc/kubernetes/admin.conf, no $np_config):" \
        "pass --kubeconfig PATH (in-cluster credentials do not apply to a service on the host)"
    fi
    case "$kubeconfig" in
      *[!A-Za-z0-9._/+@-]*) die "--kubeconfig '$kubeconfig' has characters node-proxy.yaml cannot hold as is (space, quote, backslash, ...); choose a plain path" ;;
    esac
  fi

  is_root=0
  [ "$(id -u)" -eq 0 ] && is_root=1
  has_systemd=0
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    has_systemd=1
  fi
  if [ "$is_root" -eq 0 ]; then
    targets="$prefix $config_dir"
    [ "$agent" -eq 0 ] || targets="$targets $data_dir"
    [ "$node_proxy" -eq 0 ] || targets="$targets $np_data_dir"
    for p in $targets; do
      writable_target "$p" || die "cannot write $p as $(id -un): run as root (curl ... | sudo sh -s -- ...) or choose --prefix/--data-dir/--node-proxy-data-dir/--config-dir you can write"
    done
  fi

  # ---- Java -----------------------------------------------------------------------------------
  if [ -n "${OUTPOST_JAVA:-}" ]; then
    java=$OUTPOST_JAVA
  elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java=$JAVA_HOME/bin/java
  else
    java=$(command -v java 2>/dev/null || true)
  fi
  if [ -z "$java" ] || [ ! -x "$java" ]; then
    die "no Java runtime found; $(java_install_hint)"
  fi
  if command -v readlink >/dev/null 2>&1 && readlink -f "$java" >/dev/null 2>&1; then
    java=$(readlink -f "$java")
  fi
  major=$(java_major "$java")
  [ -n "$major" ] || die "cannot tell the version of $java; $(java_install_hint)"
  [ "$major" -ge 17 ] || die "$java is Java $major, Outpost needs 17 or newer; $(java_install_hint)"
  say "java: $java (Java $major)"

  [ "$dry_run" -eq 0 ] || say "dry run: nothing will be changed"

  # ---- 2. distribution ------------------------------------------------------------------------
  if [ -z "$dist" ]; then
    # Run from an unpacked distribution (share/install.sh)? Then install that one.
    self_dir=""
    if [ -f "$0" ]; then
      self_dir=$(cd "$(dirname "$0")" && pwd -P)
    fi
    if [ -n "$self_dir" ] && [ -x "$self_dir/../bin/outpost" ] && [ -d "$self_dir/../lib" ]; then
      dist=$(cd "$self_dir/.." && pwd -P)
    else
      die "missing --dist: give the distribution tarball (outpost-dist.tar.gz), its URL, or an unpacked one (or set OUTPOST_DIST)"
    fi
  fi
  work=""
  cleanup() {
    if [ -n "$work" ]; then
      rm -rf "$work"
    fi
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  case "$dist" in
    http://*|https://*)
      if [ "$dry_run" -eq 1 ]; then
        echo "would download: $dist"
        dist_file=""
      else
        work=$(mktemp -d "${TMPDIR:-/tmp}/outpost-install.XXXXXX")
        dist_file="$work/outpost-dist.tar.gz"
        say "downloading $dist"
        if command -v curl >/dev/null 2>&1; then
          curl -fsSL -o "$dist_file" "$dist" </dev/null || die "cannot download $dist"
        elif command -v wget >/dev/null 2>&1; then
          wget -q -O "$dist_file" "$dist" </dev/null || die "cannot download $dist"
        else
          die "neither curl nor wget is installed to download $dist; download it and pass --dist FILE"
        fi
      fi
      ;;
    *)
      dist=$(abs "$dist")
      [ -e "$dist" ] || die "--dist $dist does not exist"
      dist_file=$dist
      ;;
  esac
  if [ -n "$dist_sha256" ] && [ -n "$dist_file" ] && [ -f "$dist_file" ]; then
    command -v sha256sum >/dev/null 2>&1 || die "--dist-sha256 needs sha256sum"
    got=$(sha256sum "$dist_file" | cut -d' ' -f1)
    [ "$got" = "$(echo "$dist_sha256" | tr 'A-F' 'a-f')" ] || die "the distribution's SHA-256 is $got, not the expected $dist_sha256: refusing to install it"
    say "distribution SHA-256 checked"
  fi

  if [ -n "$dist_file" ] && [ -d "$dist_file" ] && [ "$(cd "$dist_file" && pwd -P)" = "$prefix" ]; then
    say "the distribution is already at $prefix"
  elif [ "$dry_run" -eq 1 ]; then
    echo "would unpack: ${dist_file:-$dist} -> $prefix (bin/, lib/, share/, VERSION replaced; other files kept)"
  else
    parent=$(dirname "$prefix")
    mkdir -p "$parent"
    stage=$(mktemp -d "$parent/.outpost-install.XXXXXX")
    if [ -d "$dist_file" ]; then
      if [ ! -x "$dist_file/bin/outpost" ] || [ ! -d "$dist_file/lib" ]; then
        rm -rf "$stage"
        die "$dist_file is not an unpacked Outpost distribution (no bin/outpost, lib/)"
      fi
      cp -R "$dist_file/." "$stage/"
    else
      if ! gzip -dc "$dist_file" 2>/dev/null | tar -xf - -C "$stage" 2>/dev/null; then
        rm -rf "$stage"
        die "$dist_file is not a readable .tar.gz; download outpost-dist.tar.gz again"
      fi
      # The tarball has one top directory (outpost-VERSION/); flatten it.
      tops=$(ls -A "$stage")
      if [ "$(echo "$tops" | wc -l)" -eq 1 ] && [ -d "$stage/$tops" ] && [ -x "$stage/$tops/bin/outpost" ]; then
        mv "$stage/$tops" "$stage.top"
        rmdir "$stage"
        mv "$stage.top" "$stage"
      fi
    fi
    if [ ! -x "$stage/bin/outpost" ] || [ ! -f "$stage/lib/agent.classpath" ]; then
      rm -rf "$stage"
      die "$dist_file holds no Outpost distribution (no bin/outpost, lib/agent.classpath)"
    fi
    new_version=$(cat "$stage/VERSION" 2>/dev/null || echo unknown)
    old_version=$(cat "$prefix/VERSION" 2>/dev/null || echo "")
    mkdir -p "$prefix"
    # Replace whole directories (new inodes): a running agent keeps its open jars until restarted.
    for item in bin lib share VERSION; do
      if [ -e "$stage/$item" ]; then
        rm -rf "${prefix:?}/$item"
        mv "$stage/$item" "$prefix/$item"
      fi
    done
    rm -rf "$stage"
    chmod 755 "$prefix" "$prefix/bin" "$prefix/bin/outpost"
    if [ -n "$old_version" ]; then
      say "distribution $new_version unpacked to $prefix (was $old_version)"
    else
      say "distribution $new_version unpacked to $prefix"
    fi
  fi

  # ---- 3. system user -------------------------------------------------------------------------
  run_as=$user
  if id "$user" >/dev/null 2>&1; then
    say "user $user exists"
  elif [ "$is_root" -eq 0 ]; then
    say "not root: skipping the creation of user $user; $what will run as $(id -un)"
    run_as=$(id -un)
  elif command -v useradd >/dev/null 2>&1; then
    nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/sbin/nologin
    [ -x "$nologin" ] || nologin=/bin/false
    home_dir=$data_dir
    [ "$agent" -eq 1 ] || home_dir=$np_data_dir
    run useradd --system --user-group --home-dir "$home_dir" --no-create-home --shell "$nologin" \
      --comment "Outpost" "$user"
    [ "$dry_run" -eq 1 ] || say "created system user $user"
  else
    warn "useradd is not available: user $user was not created; $what will run as root (create the user and run this again to drop root)"
    run_as=root
  fi

  # ---- 4. settings ----------------------------------------------------------------------------
  run mkdir -p "$config_dir"
  if [ "$agent" -eq 1 ]; then
    set_env "$env_file" OUTPOST_JAVA "$java"
    if [ -n "$kubeconfig" ]; then
      set_env "$env_file" OUTPOST_AGENT_KUBECONFIG "$kubeconfig"
    fi
  fi
  if [ -n "$kubeconfig" ] && [ "$is_root" -eq 1 ] && [ "$run_as" != root ] && [ "$dry_run" -eq 0 ] \
      && command -v runuser >/dev/null 2>&1 && id "$run_as" >/dev/null 2>&1 \
      && ! runuser -u "$run_as" -- test -r "$kubeconfig" </dev/null 2>/dev/null; then
    warn "user $run_as cannot read $kubeconfig, so $what cannot reach the apiserver." \
      "Grant it (setfacl -m u:$run_as:r $kubeconfig), give it a kubeconfig of its own (--kubeconfig)," \
      "or run as root (--user root), then run this again"
  fi
  if [ "$node_proxy" -eq 1 ]; then
    set_env "$np_env_file" OUTPOST_JAVA "$java"
    # Flat `key: value` lines (NodeProxyConfigFile reads them as Java properties, so a comment must
    # have its own line); the unit passes --data-dir itself.
    write_new_file "$np_config" <<EOF
# Outpost node proxy settings: outpost agent node-proxy --config $np_config
# One "key: value" a line, keys are the flags without "--" (README, "Node proxy"); comments on their
# own lines. Written once by install.sh, which keeps this file from then on.
kubeconfig: $kubeconfig
listen: 127.0.0.1:10261
EOF
    if [ -f "$np_config" ] && [ -n "$kubeconfig" ]; then
      np_kubeconfig=$(sed -n 's/^kubeconfig[[:space:]]*[:=][[:space:]]*//p' "$np_config" | head -n 1)
      if [ -n "$np_kubeconfig" ] && [ "$np_kubeconfig" != "$kubeconfig" ]; then
        warn "$np_config names kubeconfig $np_kubeconfig, not $kubeconfig: edit it if the node proxy should use the new one"
      fi
    fi
    run mkdir -p "$np_data_dir"
    run chmod 700 "$np_data_dir"
    if [ "$is_root" -eq 1 ] && [ "$run_as" != root ]; then
      run chown -R "$run_as:" "$np_data_dir"
      check_user_access "$run_as" "$np_data_dir" "$np_config"
    fi
  fi

  # ---- 5. join --------------------------------------------------------------------------------
  if [ "$agent" -eq 0 ]; then
    :
  elif [ "$joined" -eq 1 ]; then
    joined_name=$(sed -n 's/^cluster\.name=//p' "$data_dir/$IDENTITY_FILE" | head -n 1)
    say "$data_dir already holds the identity of cluster '$joined_name': skipping the join"
    if [ -n "$name" ] && [ "$name" != "$joined_name" ]; then
      warn "--name $name differs from the joined cluster '$joined_name'; to join anew, stop the agent and empty $data_dir"
    fi
  else
    # shellcheck disable=SC2086  # $labels holds several KEY=VALUE words on purpose
    set -- $labels
    label_args=""
    for l in "$@"; do
      label_args="$label_args --label $l"
    done
    if [ "$dry_run" -eq 1 ]; then
      echo "would run: $outpost agent join --hub $hub --token ${token%%.*}.<secret> --ca-hash $ca_hash --name $name --kind $kind$label_args --data-dir $data_dir"
    else
      mkdir -p "$data_dir"
      chmod 700 "$data_dir"
      say "joining the hub at $hub as cluster $name"
      # shellcheck disable=SC2086  # $label_args holds several words on purpose
      if ! OUTPOST_JAVA=$java "$outpost" agent join --hub "$hub" --token "$token" --ca-hash "$ca_hash" \
          --name "$name" --kind "$kind" $label_args --data-dir "$data_dir" </dev/null; then
        die "the join failed (see the message above). Tokens are single-use and expire: if this one was used or is old, make a new one on the hub with 'outpost token create' and run this again"
      fi
    fi
  fi
  if [ "$agent" -eq 1 ] && [ "$is_root" -eq 1 ] && [ "$run_as" != root ]; then
    run chown -R "$run_as:" "$data_dir"
    check_user_access "$run_as" "$data_dir" "$env_file"
  fi

  # ---- 6. services ----------------------------------------------------------------------------
  services=""
  [ "$agent" -eq 0 ] || services=" outpost-agent"
  [ "$node_proxy" -eq 0 ] || services="$services outpost-node-proxy"
  if [ "$has_systemd" -eq 0 ] || [ "$is_root" -eq 0 ]; then
    if [ "$has_systemd" -eq 0 ]; then
      say "no systemd here (/run/systemd/system is missing): not installing a service."
    else
      say "not root: not installing the systemd units."
    fi
    for s in $services; do
      service_vars "$s"
      say "Run $svc_what under your init system or supervisor with:"
      if [ "$is_root" -eq 1 ] && [ "$run_as" != root ]; then
        echo "  runuser -u $run_as -- $svc_cmd"
      else
        echo "  $svc_cmd"
      fi
    done
    return 0
  fi
  for s in $services; do
    service_vars "$s"
    unit_src="$prefix/share/systemd/$s.service"
    unit=/etc/systemd/system/$s.service
    if [ "$dry_run" -eq 1 ]; then
      echo "would install: $unit (from $unit_src; User=$run_as, data dir $svc_dir)"
    else
      [ -f "$unit_src" ] || die "$unit_src is missing from the distribution"
      render_unit "$unit_src" "$prefix" "$svc_default_dir" "$svc_dir" "$config_dir" "$run_as" "$(id -gn "$run_as")" > "$unit.tmp"
      chmod 644 "$unit.tmp"
      mv "$unit.tmp" "$unit"
      say "installed $unit"
    fi
  done
  run systemctl daemon-reload
  if [ "$start" -eq 0 ]; then
    say "--no-start: not enabling or starting$services; later: systemctl enable --now$services"
    return 0
  fi
  for s in $services; do
    run systemctl enable "$s.service"
    run systemctl restart "$s.service"
  done
  if [ "$dry_run" -eq 0 ]; then
    sleep 3
    for s in $services; do
      if systemctl is-active --quiet "$s.service"; then
        say "$s is running; follow it with: journalctl -u $s -f"
      else
        die "$s did not stay up; see: systemctl status $s; journalctl -u $s -n 50"
      fi
    done
  fi
}

# Everything runs from main(), called on the last line, so that `curl ... | sh` has read the whole
# script before anything happens (a truncated download cannot run half an install).
main "$@"
