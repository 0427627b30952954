#!/usr/bin/env bats
# Configuration: every setting is a long option and an environment
# variable; bad configuration exits 2 with a message naming the setting.

setup() {
  load helpers
  setup_workspace
}

@test "missing BUCKET: exit 2, names BUCKET" {
  unset BUCKET
  run neo4j-restore
  assert_failure 2
  assert_output --partial "BUCKET is not set"
  run neo4j-backup
  assert_failure 2
  assert_output --partial "BUCKET is not set"
}

@test "unknown CLOUD_PROVIDER: exit 2, names it and the choices" {
  run env CLOUD_PROVIDER=dropbox neo4j-restore
  assert_failure 2
  assert_output --partial "CLOUD_PROVIDER 'dropbox' is unknown"
}

@test "CLOUD_PROVIDER contradicting the bucket's scheme: exit 2" {
  run env CLOUD_PROVIDER=aws BUCKET=gs://b/p neo4j-restore
  assert_failure 2
  assert_output --partial "contradicts BUCKET"
}

@test "a bucket without scheme or provider: exit 2" {
  run env BUCKET=mybucket/path neo4j-backup
  assert_failure 2
  assert_output --partial "names no provider"
}

@test "bad DATABASE names: exit 2, names the value" {
  for bad in "ne" "1abc" "neo/../x" "neo4j,,x" "a b c"; do
    run env DATABASE="$bad" neo4j-restore
    echo "$bad: $output"
    assert_failure 2
    assert_output --partial "DATABASE"
  done
}

@test "an unreadable credentials file: exit 2, names the setting" {
  run env BUCKET=gs://bucket/p CREDENTIALS_FILE="$W/missing" neo4j-restore
  assert_failure 2
  assert_output --partial "credentials file '$W/missing' (from CREDENTIALS_FILE) cannot be read"
  run env BUCKET=gs://bucket/p GOOGLE_APPLICATION_CREDENTIALS="$W/missing" neo4j-backup
  assert_failure 2
  assert_output --partial "GOOGLE_APPLICATION_CREDENTIALS"
}

@test "a malformed TIMESTAMP and an impossible date: exit 2" {
  run neo4j-restore --timestamp=yesterday
  assert_failure 2
  assert_output --partial "TIMESTAMP 'yesterday'"
  run neo4j-restore --timestamp=2026-02-30-10:00:00
  assert_failure 2
}

@test "bad booleans and enums: exit 2 naming the variable" {
  run env FORCE_OVERWRITE=maybe neo4j-restore
  assert_failure 2
  assert_output --partial "FORCE_OVERWRITE is 'maybe'"
  run env MISSING_BACKUP=ignore neo4j-restore
  assert_failure 2
  assert_output --partial "MISSING_BACKUP"
  run env COMPRESSION=lz4 neo4j-backup
  assert_failure 2
  assert_output --partial "COMPRESSION 'lz4'"
  run neo4j-backup --check-consistency=perhaps
  assert_failure 2
  assert_output --partial "--check-consistency is 'perhaps'"
}

@test "NEO4J_ADDR is required for backup and needs a port" {
  unset NEO4J_ADDR
  run neo4j-backup
  assert_failure 2
  assert_output --partial "NEO4J_ADDR is not set"
  run env NEO4J_ADDR=my-neo4j neo4j-backup
  assert_failure 2
  assert_output --partial "has no port"
}

@test "an unknown option: exit 2" {
  run neo4j-restore --frobnicate
  assert_failure 2
  assert_output --partial "unknown option '--frobnicate'"
}

@test "the option wins over the environment" {
  make_live_db "$W/live" neo4j 64
  run env BUCKET=file:///nonexistent neo4j-backup --bucket="file://$W/bucket"
  assert_success
  [ -f "$W/bucket/neo4j/neo4j-latest.manifest.json" ]
}

@test "a missing local bucket folder is a configuration error (exit 2) that says what to do" {
  run env BUCKET=file:///nonexistent/folder neo4j-restore
  assert_failure 2
  assert_output --partial "create it or mount the volume there"
  make_live_db "$W/live" neo4j 64
  run env BUCKET=file:///nonexistent/folder neo4j-backup
  assert_failure 2
  assert_output --partial "BUCKET 'file:///nonexistent/folder'"
  assert_output --partial "create it or mount the volume there"
}

@test "--help documents every variable with its default" {
  run neo4j-restore --help
  assert_success
  for v in BUCKET DATABASE CLOUD_PROVIDER TIMESTAMP FORCE_OVERWRITE PURGE_ON_COMPLETE \
    BACKUP_SET_DIR MISSING_BACKUP DATA_DIR UNBIND CREDENTIALS_FILE NEO4J_ADMIN NEO4J_ADMIN_DIALECT; do
    assert_output --partial "env $v;"
  done
  assert_output --partial "env TIMESTAMP; default: latest"
  assert_output --partial "env DATA_DIR; default: /data"
  run neo4j-backup --help
  assert_success
  for v in NEO4J_ADDR DATABASE CLOUD_PROVIDER BUCKET HEAP_SIZE PAGE_CACHE FALLBACK_TO_FULL \
    CHECK_CONSISTENCY CHECK_INDEXES CHECK_GRAPH CHECK_LABEL_SCAN_STORE CHECK_PROPERTY_OWNERS \
    REMOVE_EXISTING_FILES REMOVE_BACKUP_FILES BACKUP_DIR COMPRESSION; do
    assert_output --partial "env $v;"
  done
  assert_output --partial "env HEAP_SIZE; default: 2G"
  assert_output --partial "env CHECK_PROPERTY_OWNERS; default: false"
}

@test "--version prints the version" {
  run neo4j-backup --version
  assert_success
  assert_output --regexp '^neo4j-backup [0-9]+\.[0-9]+\.[0-9]+$'
  run neo4j-restore --version
  assert_output --regexp '^neo4j-restore [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a missing neo4j-admin: exit 6 with what to set" {
  make_live_db "$W/live" neo4j 64
  run env NEO4J_ADMIN=/nonexistent/neo4j-admin neo4j-backup
  assert_failure 6
  assert_output --partial "set NEO4J_ADMIN"
}
