#!/usr/bin/env bats
# Integrity and safety of restore: damaged archives and hostile archives
# fail with exit 5 and leave DATA_DIR exactly as it was (DESIGN section 7).

setup() {
  load helpers
  setup_workspace
  make_live_db "$W/live" neo4j 512
  run neo4j-backup --timestamp=2026-01-01-00:00:00
  assert_success
  A="$W/bucket/neo4j/neo4j-2026-01-01-00:00:00.tar.gz"
  # a previous database that must survive every failed restore
  mkdir -p "$DATA_DIR/databases/neo4j" "$DATA_DIR/transactions/neo4j"
  echo "live data" >"$DATA_DIR/databases/neo4j/neostore"
  echo "tx" >"$DATA_DIR/transactions/neo4j/neostore.transaction.db.0"
  export FORCE_OVERWRITE=true
  BEFORE=$(snapshot "$DATA_DIR")
}

flip_byte() { # flip_byte FILE OFFSET
  "$SYS_PYTHON" - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x01]))
PY
}

@test "a flipped byte in the middle: exit 5, DATA_DIR byte-identical" {
  flip_byte "$A" $(( $(stat -c %s "$A") / 2 ))
  run neo4j-restore
  echo "$output"
  assert_failure 5
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
  run grep -c restore "$STANDIN_LOG"
  assert_output 0
}

@test "a flipped byte in the gzip trailer is caught by the checksum" {
  flip_byte "$A" $(( $(stat -c %s "$A") - 2 ))
  run neo4j-restore
  echo "$output"
  assert_failure 5
  assert_output --partial "nothing under DATA_DIR was changed"
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "a truncated archive: exit 5, DATA_DIR byte-identical" {
  truncate -s $(( $(stat -c %s "$A") * 2 / 3 )) "$A"
  run neo4j-restore
  echo "$output"
  assert_failure 5
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "an archive with bytes appended: exit 5 (size and checksum differ)" {
  printf 'garbage' >>"$A"
  run neo4j-restore
  assert_failure 5
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "a manifest whose checksum was changed: exit 5" {
  zeros=$(printf '0%.0s' $(seq 64))
  sed -i "s/\"sha256\": \"[0-9a-f]*\"/\"sha256\": \"$zeros\"/" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  grep -q "$zeros" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  run neo4j-restore
  assert_failure 5
  assert_output --partial "but its manifest says $zeros"
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

# evil KIND [ARG]: serve a hostile archive as the latest set, restore it.
evil() {
  local kind=$1
  shift
  rm -f "$W"/bucket/neo4j/*
  "$SYS_PYTHON" "$PROJECT_ROOT/tests/fixtures/make_evil_archive.py" "$kind" "$W/bucket/neo4j/neo4j-latest.tar.gz" neo4j "$@"
  run neo4j-restore
  echo "$output"
}

@test "unsafe: a '..' path is refused; the canary outside is not created" {
  evil dotdot
  assert_failure 5
  assert_output --partial "unsafe"
  [ ! -e "$DATA_DIR/canary" ] && [ ! -e "$W/canary" ] && [ ! -e "$DATA_DIR/.restore/canary" ]
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "unsafe: an absolute path is refused" {
  evil absolute "$W/abs-canary"
  assert_failure 5
  [ ! -e "$W/abs-canary" ]
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "unsafe: an absolute symlink and a file through it are refused" {
  mkdir -p "$W/outside"
  evil symlink-absolute "$W/outside"
  assert_failure 5
  [ ! -e "$W/outside/canary" ]
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "unsafe: a symlink climbing out with '..' is refused" {
  evil symlink-dotdot
  assert_failure 5
  [ -z "$(find "$W" -name canary)" ]
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "unsafe: a hard link to a file outside is refused" {
  echo secret >"$W/secret"
  evil hardlink-out "$W/secret"
  assert_failure 5
  [ "$(stat -c %h "$W/secret")" = 1 ]
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "unsafe: device nodes and FIFOs are refused" {
  evil device
  assert_failure 5
  assert_output --partial "device"
  evil fifo
  assert_failure 5
  [ "$(snapshot "$DATA_DIR")" = "$BEFORE" ]
}

@test "set-id bits are stripped, never restored" {
  export STANDIN_VERSION=4.4.10
  evil setuid
  assert_success
  m=$(stat -c %a "$DATA_DIR/databases/neo4j/tool")
  [ "$m" = 755 ]
}

@test "a symlink that stays inside its folder is restored" {
  export STANDIN_VERSION=4.4.10 PURGE_ON_COMPLETE=false
  evil symlink-inside
  assert_success
  [ -L "$DATA_DIR/.restore/neo4j/backups/neo4j/alias" ] || [ -L "$DATA_DIR/databases/neo4j/alias" ]
}
