#!/usr/bin/env bats
# Sets written by the older neo4j-helm tools: no manifest, `tar -czf
# DB-TIMESTAMP.tar.gz /backups/DB`, a DB-latest.tar.gz copy; other layouts.

setup() {
  load helpers
  setup_workspace
  export STANDIN_VERSION=4.4.10
  make_live_db "$W/live" neo4j 256
  mkdir -p "$W/bucket/neo4j" "$W/old"
}

# old_tool_archive NAME TOPDIR: what the bash tool did: tar -czf NAME TOPDIR/DB
old_tool_archive() {
  local name=$1 top=$2
  mkdir -p "$W/old/$top"
  cp -a "$W/live/neo4j" "$W/old/$top/neo4j"
  tar -C "$W/old" -czf "$W/bucket/neo4j/$name" "$top/neo4j"
}

@test "neo4j-helm layout: DB-latest.tar.gz with backups/DB/, no manifest" {
  old_tool_archive neo4j-latest.tar.gz backups
  run neo4j-restore
  echo "$output"
  assert_success
  assert_output --partial "no manifest beside"
  assert_output --partial "no checksum can be checked"
  restored_equals_live neo4j
}

@test "neo4j-helm layout: a timestamped archive picked by TIMESTAMP" {
  old_tool_archive neo4j-2020-06-01-10:00:00.tar.gz backups
  run neo4j-restore --timestamp=2020-06-01-10:00:00
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "sets under data/DB/ restore too" {
  old_tool_archive neo4j-latest.tar.gz data
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}

@test "a single top-level folder is taken as the set" {
  old_tool_archive neo4j-latest.tar.gz graph-export
  # the archive holds graph-export/neo4j: one folder whose only child is the set
  tar -C "$W/old/graph-export" -czf "$W/bucket/neo4j/neo4j-latest.tar.gz" neo4j
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "BACKUP_SET_DIR names the set's folder inside the archive" {
  mkdir -p "$W/old/x/y"
  cp -a "$W/live/neo4j" "$W/old/x/y/store"
  echo extra >"$W/old/README"
  tar -C "$W/old" -czf "$W/bucket/neo4j/neo4j-latest.tar.gz" x README
  run neo4j-restore
  assert_failure 5
  assert_output --partial "set BACKUP_SET_DIR"
  run neo4j-restore --backup-set-dir=x/y/store
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "BACKUP_SET_DIR may not climb out of the archive" {
  run neo4j-restore --backup-set-dir=../etc
  assert_failure 2
  assert_output --partial "BACKUP_SET_DIR"
}

@test "an old-layout zstd archive (DB-latest.tar.zst) restores" {
  mkdir -p "$W/old/backups"
  cp -a "$W/live/neo4j" "$W/old/backups/neo4j"
  tar -C "$W/old" -cf - backups/neo4j | zstd -q -o "$W/bucket/neo4j/neo4j-latest.tar.zst"
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}
