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

# setup_workspace: scratch folders, a local bucket and the stand-in's
# environment, with every setting the tools read cleared first so the
# host's environment cannot leak in.
setup_workspace() {
  load_bats_libs
  # shellcheck source=lib/live_db.bash
  source "$PROJECT_ROOT/tests/lib/live_db.bash"
  local v
  for v in BUCKET DATABASE CLOUD_PROVIDER TIMESTAMP FORCE_OVERWRITE PURGE_ON_COMPLETE \
    BACKUP_SET_DIR MISSING_BACKUP DATA_DIR UNBIND NEO4J_ADDR HEAP_SIZE PAGE_CACHE \
    FALLBACK_TO_FULL CHECK_CONSISTENCY CHECK_INDEXES CHECK_GRAPH CHECK_LABEL_SCAN_STORE \
    CHECK_PROPERTY_OWNERS REMOVE_EXISTING_FILES REMOVE_BACKUP_FILES BACKUP_DIR COMPRESSION \
    COMPRESSION_LEVEL COMPRESSION_THREADS CREDENTIALS_FILE GOOGLE_APPLICATION_CREDENTIALS \
    NEO4J_ADMIN NEO4J_ADMIN_DIALECT BACKUP_TIMESTAMP NEO4J_OWNER STANDIN_EXIT \
    STANDIN_INCONSISTENT STANDIN_HANG STANDIN_HANG_READY; do
    unset "$v"
  done
  W="$BATS_TEST_TMPDIR"
  export W
  export STANDIN_LIVE_DIR="$W/live" STANDIN_LOG="$W/admin.log" STANDIN_VERSION="${STANDIN_VERSION:-5.26.0}"
  export BUCKET="file://$W/bucket" BACKUP_DIR="$W/backups" DATA_DIR="$W/data"
  export NEO4J_ADDR=localhost:6362 DATABASE=neo4j
  mkdir -p "$W/bucket" "$W/data" "$W/live"
}

# snapshot DIR: every path with its type, mode, owner and link target, and
# every file's sha256: two equal snapshots mean byte-identical trees.
snapshot() {
  (cd "$1" && find . -printf '%y %m %U:%G %p -> %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# same_tree A B: the files of A and B are byte-identical (names and bytes).
same_tree() {
  diff <(cd "$1" && find . -type f -exec sha256sum {} + | sort -k2) \
       <(cd "$2" && find . -type f -exec sha256sum {} + | sort -k2)
}

# restored_equals_live DB: the restored store and transaction folders hold
# exactly the live database's files.
restored_equals_live() {
  local db=$1 merged="$BATS_TEST_TMPDIR/merged-$1"
  rm -rf "$merged" && mkdir -p "$merged"
  cp -a "$DATA_DIR/databases/$db/." "$merged/"
  [ ! -d "$DATA_DIR/transactions/$db" ] || cp -a "$DATA_DIR/transactions/$db/." "$merged/"
  same_tree "$STANDIN_LIVE_DIR/$db" "$merged"
}

# bucket_files: the objects of the local bucket, relative, sorted.
bucket_files() {
  (cd "$W/bucket" && find . -type f | sed 's|^\./||' | sort)
}

# json_get FILE EXPR: a field of a JSON file (EXPR is Python, on `d`).
json_get() {
  "$SYS_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# wait_for_file PATH [TRIES]: bounded polling until PATH exists.
wait_for_file() {
  local path=$1 tries=${2:-600}
  while ((tries-- > 0)); do
    [ -e "$path" ] && return 0
    sleep 0.05
  done
  echo "timed out waiting for $path" >&2
  return 1
}

# race_backups STAMP [ARGS_OF_B...]: two backups at once with one stamp,
# each with its own BACKUP_DIR (two Jobs, two pods). Exactly one wins; the
# other exits 2 naming the stamp and saying the set exists. RACE_LOSER is
# the loser's log.
race_backups() {
  local stamp=$1 a b s1=0 s2=0
  shift
  BACKUP_DIR="$W/b1" neo4j-backup --timestamp="$stamp" >"$W/b1.log" 2>&1 3>&- &
  a=$!
  BACKUP_DIR="$W/b2" neo4j-backup --timestamp="$stamp" "$@" >"$W/b2.log" 2>&1 3>&- &
  b=$!
  wait "$a" || s1=$?
  wait "$b" || s2=$?
  echo "$stamp: exits $s1 and $s2"
  if [ "$s1" = 0 ] && [ "$s2" = 2 ]; then
    RACE_LOSER=$W/b2.log
  elif [ "$s1" = 2 ] && [ "$s2" = 0 ]; then
    RACE_LOSER=$W/b1.log
  else
    cat "$W/b1.log" "$W/b2.log"
    return 1
  fi
  grep -q "$stamp" "$RACE_LOSER" &&
    grep -Eq "written by another backup at the same moment|exists already" "$RACE_LOSER"
}
