#!/usr/bin/env bats
# A restore killed half-way (pod killed) is detected on the next start and
# done again, even without FORCE_OVERWRITE (DESIGN section 7).

setup() {
  load helpers
  setup_workspace
  make_live_db "$W/live" neo4j 512
}

# start_hanging_restore: neo4j-restore whose neo4j-admin stops half-way.
kill_restore_halfway() {
  export STANDIN_HANG=restore STANDIN_HANG_READY="$W/hang-ready"
  neo4j-restore 2>"$W/restore1.log" &
  local pid=$!
  wait_for_file "$STANDIN_HANG_READY"
  # the pod is killed: the tool and neo4j-admin die at once
  local children
  children=$(pgrep -P "$pid" || true)
  kill -9 "$pid" $children
  wait "$pid" || true
  unset STANDIN_HANG STANDIN_HANG_READY
}

@test "4.4: a restore killed during neo4j-admin restore is redone on the next start" {
  export STANDIN_VERSION=4.4.10
  run neo4j-backup
  assert_success
  kill_restore_halfway
  # half a database is in place, and the marker says so
  [ -d "$DATA_DIR/databases/neo4j" ]
  [ -f "$DATA_DIR/.restore/neo4j.restoring" ]
  run neo4j-restore
  echo "$output"
  assert_success
  assert_output --partial "a previous restore was interrupted"
  restored_equals_live neo4j
  [ ! -e "$DATA_DIR/.restore" ]
}

@test "5.x: the same, with --overwrite-destination on the second run" {
  run neo4j-backup
  assert_success
  kill_restore_halfway
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
  grep -q -- "--overwrite-destination=true" "$STANDIN_LOG"
}

@test "a restore killed while downloading leaves the databases untouched and is redone" {
  make_live_db "$W/live" neo4j 30000
  head -c 30000000 /dev/urandom >"$W/live/neo4j/neostore.big.db"
  run neo4j-backup
  assert_success
  neo4j-restore 2>"$W/restore1.log" &
  pid=$!
  for _ in $(seq 600); do
    [ -n "$(find "$DATA_DIR/.restore/neo4j" -type f -size +1k 2>/dev/null | head -1)" ] && break
    sleep 0.02
  done
  kill -9 "$pid"
  wait "$pid" || true
  # only the staging folder was written
  [ ! -e "$DATA_DIR/databases" ] && [ ! -e "$DATA_DIR/transactions" ]
  [ ! -e "$DATA_DIR/.restore/neo4j.restoring" ]
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}
