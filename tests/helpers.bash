# Common setup for every bats suite: load inside setup() or setup_file().
# shellcheck shell=bash

export LC_ALL=C
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PROJECT_ROOT
# The binaries under test; `make test` builds them first (BIN_DIR may point
# at a sanitizer build).
export BIN_DIR="${BIN_DIR:-$PROJECT_ROOT/bin}"
# The neo4j-admin stand-in comes first on PATH.
export PATH="$PROJECT_ROOT/tests/bin:$BIN_DIR:$PATH"
# Debian's interpreter: it has python3-cryptography, -jwt and -yaml.
export SYS_PYTHON=/usr/bin/python3

load_bats_libs() {
  load /usr/lib/bats/bats-support/load.bash
  load /usr/lib/bats/bats-assert/load.bash
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port PORT [TRIES]: polls until something accepts on 127.0.0.1:PORT
# (bounded; no fixed sleeps).
wait_for_port() {
  local port=$1 tries=${2:-200}
  while ((tries-- > 0)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$port" >&2
  return 1
}
