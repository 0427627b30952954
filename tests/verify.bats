#!/usr/bin/env bats
# neo4j-backup verify (DESIGN section 11): sets streamed through SHA-256 and
# the decoder writing nothing (a read-only file system but a tiny tmpfs),
# damaged sets exit 5, nothing to verify exits 3; --deep restores with
# neo4j-restore's code and runs neo4j-admin's check (4.4 and 5.x), exit 7
# when it fails, the scratch folder removed.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/gcs
  gcs_start_with_bucket
}

teardown_file() {
  gcs_stop
}

setup() {
  load helpers
  load lib/gcs
  load lib/ops
  setup_workspace
  unset DATABASE
  make_live_db "$W/live" neo4j 256
}

# flip_byte FILE: changes one byte in the middle of FILE.
flip_byte() {
  "$SYS_PYTHON" -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(bytes(b))' "$1"
}

@test "verify: good sets pass, writing nothing (read-only file system, tiny tmpfs)" {
  [ "$(id -u)" = 0 ] || skip "a mount namespace needs root"
  make_set 2026-11-01-00:00:00
  make_set 2026-11-02-00:00:00
  make_legacy 2025-01-01-00:00:00
  before=$(snapshot "$W/bucket")
  run readonly_run "$W/tiny" neo4j-backup verify --timestamp=all
  echo "$output"
  assert_success
  assert_output --partial "neo4j 2026-11-02-00:00:00 ok:"
  assert_output --partial "neo4j 2026-11-01-00:00:00 ok:"
  assert_output --partial "sha256 matches the manifest"
  assert_output --partial "neo4j 2025-01-01-00:00:00 ok: decoded"
  assert_output --partial "no checksum could be compared"
  # nothing was written: the tmpfs is empty, the bucket unchanged
  assert_equal "$(echo "$output" | sed -n '/^tiny-contents:$/,$p' | tail -n +2)" ""
  assert_equal "$(snapshot "$W/bucket")" "$before"
  run readonly_run "$W/tiny" neo4j-backup verify
  assert_success
  assert_output --partial "neo4j 2026-11-02-00:00:00 ok:"
  refute_output --partial "2026-11-01-00:00:00 ok"
  run readonly_run "$W/tiny" neo4j-backup verify --timestamp=2026-11-01-00:00:00
  assert_success
  assert_output --partial "neo4j 2026-11-01-00:00:00 ok:"
}

@test "verify: a flipped byte and a truncated archive exit 5, naming the set; others still checked" {
  [ "$(id -u)" = 0 ] || skip "a mount namespace needs root"
  make_set 2026-11-01-00:00:00
  make_set 2026-11-02-00:00:00
  make_set 2026-11-03-00:00:00
  flip_byte "$W/bucket/neo4j/neo4j-2026-11-02-00:00:00.tar.gz"
  f=$W/bucket/neo4j/neo4j-2026-11-03-00:00:00.tar.gz
  truncate -s $(($(stat -c %s "$f") / 2)) "$f"
  run readonly_run "$W/tiny" neo4j-backup verify --timestamp=all
  echo "$output"
  assert_failure 5
  assert_output --partial "neo4j 2026-11-01-00:00:00 ok:"
  echo "$output" | grep -E "^neo4j 2026-11-02-00:00:00 FAILED: .*(sha256|damaged)"
  echo "$output" | grep -E "^neo4j 2026-11-03-00:00:00 FAILED: .*(truncated|damaged)"
  assert_equal "$(echo "$output" | sed -n '/^tiny-contents:$/,$p' | tail -n +2)" ""
  # latest is the truncated one
  run readonly_run "$W/tiny" neo4j-backup verify
  assert_failure 5
  # a manifest naming a missing archive is an integrity failure too
  rm "$W/bucket/neo4j/neo4j-2026-11-01-00:00:00.tar.gz"
  run neo4j-backup verify --timestamp=2026-11-01-00:00:00
  assert_failure 5
  assert_output --partial "does not exist"
}

@test "verify: an empty bucket, or a missing stamp, is exit 3" {
  [ "$(id -u)" = 0 ] || skip "a mount namespace needs root"
  run readonly_run "$W/tiny" neo4j-backup verify
  assert_failure 3
  assert_output --partial "no backups in"
  assert_equal "$(echo "$output" | sed -n '/^tiny-contents:$/,$p' | tail -n +2)" ""
  make_set 2026-11-01-00:00:00
  run neo4j-backup verify --timestamp=2020-01-01-00:00:00
  assert_failure 3
  DATABASE=neo4j,system run neo4j-backup verify
  assert_failure 3
  assert_output --partial "neo4j 2026-11-01-00:00:00 ok:"
  assert_output --partial "no latest backup of 'system'"
}

@test "verify on GCS (emulator): good passes, a flipped byte fails with 5" {
  export BUCKET=gs://backups/verify CREDENTIALS_FILE=$SA_KEY
  make_set 2026-11-01-00:00:00
  make_set 2026-11-02-00:00:00
  run neo4j-backup verify --timestamp=all
  assert_success
  gcs_ctl POST faults '{"kind":"corrupt_download","method":"GET","path":"neo4j-2026-11-02"}' >/dev/null
  run neo4j-backup verify --timestamp=2026-11-02-00:00:00
  echo "$output"
  assert_failure 5
}

@test "verify --deep (5.x): restores into a scratch folder, database check passes, scratch removed" {
  make_set 2026-11-01-00:00:00
  run neo4j-backup verify --deep
  echo "$output"
  assert_success
  assert_output --partial "neo4j 2026-11-01-00:00:00 ok: restored and consistent (restore drill)"
  grep -E "^neo4j-admin database restore .*--to-path-data=$W/backups/verify-neo4j-[^/]+/databases " "$W/admin.log"
  grep -E "^neo4j-admin database check --from-path-data=$W/backups/verify-neo4j-[^/]+/databases --from-path-txn=$W/backups/verify-neo4j-[^/]+/transactions --report-path=.* neo4j$" "$W/admin.log"
  # the scratch folder is gone; DATA_DIR was never touched
  assert_equal "$(ls -A "$W/backups" | grep -c verify-)" 0
  assert_equal "$(ls -A "$W/data")" ""
  # SCRATCH_DIR picks another place
  mkdir "$W/scratch"
  SCRATCH_DIR=$W/scratch run neo4j-backup verify --deep
  assert_success
  grep -q "verify-neo4j-.*" <(grep "$W/scratch" "$W/admin.log")
  assert_equal "$(ls -A "$W/scratch")" ""
}

@test "verify --deep (4.4): check-consistency of the restored database; inconsistent is exit 7" {
  export STANDIN_VERSION=4.4.10
  make_set 2026-11-01-00:00:00
  run neo4j-backup verify --deep
  echo "$output"
  assert_success
  grep -E "^neo4j-admin check-consistency --database=neo4j --additional-config=$W/backups/verify-neo4j-[^/]+/drill.conf --report-dir=" "$W/admin.log"
  STANDIN_INCONSISTENT=neo4j run neo4j-backup verify --deep
  echo "$output"
  assert_failure 7
  assert_output --partial "consistency check failed"
  assert_output --partial "Inconsistencies for database 'neo4j'"
  assert_equal "$(ls -A "$W/backups" | grep -c verify-)" 0
}

@test "verify --deep: a scratch volume without room is exit 8, nothing left behind" {
  [ "$(id -u)" = 0 ] || skip "a mount namespace needs root"
  make_set 2026-11-01-00:00:00
  mkdir -p "$W/small"
  run unshare -m --propagation private sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" && SCRATCH_DIR=$1 neo4j-backup verify --deep; rc=$?; ls -A "$1" | sed "s/^/left: /"; exit $rc' sh "$W/small"
  echo "$output"
  assert_failure 8
  refute_output --partial "left: "
}

@test "verify --deep on GCS (emulator)" {
  export BUCKET=gs://backups/deep CREDENTIALS_FILE=$SA_KEY
  make_set 2026-11-01-00:00:00
  run neo4j-backup verify --deep
  assert_success
  assert_output --partial "restored and consistent"
}
