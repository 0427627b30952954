#!/usr/bin/env bats
# The local driver (file:// and absolute paths): storage failures exit 4
# with the object named; objects appear only whole.

setup() {
  load helpers
  setup_workspace
  make_live_db "$W/live" neo4j 128
}

@test "backup: a bucket where the database folder cannot be created exits 4 naming it" {
  touch "$W/bucket/neo4j" # a file where the folder neo4j/ must go
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "$W/bucket/neo4j"
}

@test "restore: an unreadable object exits 4 naming it" {
  run neo4j-backup --timestamp=2026-01-01-00:00:00
  assert_success
  rm "$W/bucket/neo4j/neo4j-latest.manifest.json"
  mkdir "$W/bucket/neo4j/neo4j-latest.manifest.json"
  run neo4j-restore
  echo "$output"
  assert_failure 4
  assert_output --partial "unable to open '$W/bucket/neo4j/neo4j-latest.manifest.json' for read"
  [ -z "$(ls -A "$DATA_DIR")" ]
}

@test "an absolute path works as BUCKET, like file://" {
  run neo4j-backup --bucket="$W/bucket/"
  assert_success
  run neo4j-restore --bucket="$W/bucket"
  assert_success
  restored_equals_live neo4j
}

@test "a path inside BUCKET keeps sets apart; no doubled slashes" {
  mkdir -p "$W/bucket/prod/graph"
  run neo4j-backup --bucket="file://$W/bucket/prod//graph/"
  assert_success
  [ -f "$W/bucket/prod/graph/neo4j/neo4j-latest.manifest.json" ]
  run neo4j-restore --bucket="file://$W/bucket/prod/graph"
  assert_success
  assert_output --partial "file://$W/bucket/prod/graph/neo4j/neo4j-latest.manifest.json"
  refute_output --partial "//neo4j"
}
