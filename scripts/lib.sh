# Shared helpers for netrepro's shell entry points. Sourced, never run.
NETREPRO_HOME="${NETREPRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/netrepro}"
NODE_DIR="$NETREPRO_HOME/node22"
NODE_MIN="22.22"

log() { printf '[netrepro setup] %s\n' "$*" >&2; }
die() { local code="$1"; shift; printf '[netrepro setup] error: %s\n' "$*" >&2; exit "$code"; }

# node_ok PATH: true when PATH is a node binary of at least $NODE_MIN.
node_ok() {
  local bin="$1" v
  [ -n "$bin" ] && [ -x "$bin" ] || return 1
  v="$("$bin" -p 'process.versions.node' 2>/dev/null)" || return 1
  local maj min want_maj want_min
  maj="${v%%.*}"; min="${v#*.}"; min="${min%%.*}"
  want_maj="${NODE_MIN%%.*}"; want_min="${NODE_MIN#*.}"
  [ "$maj" -gt "$want_maj" ] || { [ "$maj" -eq "$want_maj" ] && [ "$min" -ge "$want_min" ]; }
}

# find_node: prints a node binary that is recent enough, or fails.
find_node() {
  local host; host="$(command -v node || true)"
  if node_ok "$host"; then echo "$host"; return; fi
  if node_ok "$NODE_DIR/bin/node"; then echo "$NODE_DIR/bin/node"; return; fi
  die 3 "Node >= $NODE_MIN not found; run 'npm run setup' (it provisions Node 22 when the host's is older)"
}
