#!/usr/bin/env bats
# A 150 MB database restores onto a volume with room for the data plus a
# fifth (the archive never sits on disk whole), with bounded memory.

setup_file() {
  load helpers
  export LARGE_DIR="$BATS_FILE_TMPDIR/large"
  mkdir -p "$LARGE_DIR/vol"
}

teardown_file() {
  umount "$BATS_FILE_TMPDIR/large/vol" 2>/dev/null || true
}

setup() {
  load helpers
  setup_workspace
}

# data_volume SIZE: a fresh tmpfs of SIZE becomes DATA_DIR.
data_volume() {
  umount "$LARGE_DIR/vol" 2>/dev/null || true
  mount -t tmpfs -o size="$1" tmpfs "$LARGE_DIR/vol"
  export DATA_DIR="$LARGE_DIR/vol"
}

@test "150 MB: backup and restore onto a volume of data + 1/5, peak RSS under 64 MiB" {
  [ "$(id -u)" = 0 ] || skip "mounting a size-limited volume needs root"
  make_live_db "$W/live" neo4j $((150 * 1024))
  size_kb=$(du -sk --apparent-size "$W/live/neo4j" | cut -f1)
  vol_kb=$((size_kb * 6 / 5))
  data_volume "${vol_kb}k"
  export STANDIN_VERSION=4.4.10

  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-backup
  echo "$output" | tail -3
  assert_success
  backup_rss=$(echo "$output" | awk '/^peak-rss-kb/ {print $2}')
  archive=$(ls "$W/bucket/neo4j/"neo4j-2*.tar.gz)
  # the archive alone would not fit beside the data
  echo "data ${size_kb} KiB, volume ${vol_kb} KiB, archive $(( $(stat -c %s "$archive") / 1024 )) KiB"

  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -3
  assert_success
  restore_rss=$(echo "$output" | awk '/^peak-rss-kb/ {print $2}')
  restored_equals_live neo4j
  echo "peak RSS: backup ${backup_rss} KiB, restore ${restore_rss} KiB"
  if [ -z "${SANITIZED:-}" ]; then # sanitizers' shadow memory is not ours
    [ "$restore_rss" -lt 65536 ]
    [ "$backup_rss" -lt 65536 ]
  fi
}

@test "4.4: a volume without room for the data: exit 8 before downloading" {
  [ "$(id -u)" = 0 ] || skip "mounting a size-limited volume needs root"
  export STANDIN_VERSION=4.4.10
  make_live_db "$W/live" neo4j $((20 * 1024))
  run neo4j-backup
  assert_success
  data_volume 10m
  run neo4j-restore
  echo "$output"
  assert_failure 8
  [ -z "$(ls -A "$DATA_DIR")" ]
}

@test "5.x: an artifact that expands beyond the volume: exit 8, redone once there is room" {
  [ "$(id -u)" = 0 ] || skip "mounting a size-limited volume needs root"
  make_live_db "$W/live" neo4j $((20 * 1024))
  run neo4j-backup
  assert_success
  # room for the compressed artifact in staging, not for the expanded store
  data_volume 12m
  run neo4j-restore
  echo "$output"
  assert_failure 8
  assert_output --partial "ran out of space"
  data_volume 64m
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}
