#!/usr/bin/env bats
# neo4j-backup against a local bucket: names, manifest, latest, compression,
# neo4j-admin's command lines and exit codes.

setup() {
  load helpers
  setup_workspace
  make_live_db "$W/live" neo4j 256
  make_live_db "$W/live" system 64
}

@test "backup writes the archive, its manifest and the latest copies under DB/" {
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00
  run neo4j-backup
  echo "$output"
  assert_success
  run bucket_files
  assert_output "$(printf '%s\n' \
    neo4j/neo4j-2026-11-24-13:05:00.manifest.json \
    neo4j/neo4j-2026-11-24-13:05:00.tar.gz \
    neo4j/neo4j-latest.manifest.json \
    neo4j/neo4j-latest.tar.gz)"
  # latest holds the same bytes as the set it points to
  cmp "$W/bucket/neo4j/neo4j-latest.tar.gz" "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz"
  cmp "$W/bucket/neo4j/neo4j-latest.manifest.json" "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.manifest.json"
}

@test "the archive holds the set under backups/DB/ and nothing else" {
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00
  run neo4j-backup
  assert_success
  run bash -c "tar -tzf '$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz' | grep -v '^backups/neo4j/' | grep -v '^backups/neo4j$'"
  assert_output ""
  tar -tzf "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz" | grep -q '^backups/neo4j/'
}

@test "the manifest records name, size, sha256, content and neo4j facts" {
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00 STANDIN_VERSION=4.4.10
  run neo4j-backup
  assert_success
  m="$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.manifest.json"
  a="$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz"
  [ "$(json_get "$m" 'd["format"]')" = "neo4j-backup-manifest/1" ]
  [ "$(json_get "$m" 'd["database"]')" = neo4j ]
  [ "$(json_get "$m" 'd["timestamp"]')" = 2026-11-24-13:05:00 ]
  [ "$(json_get "$m" 'd["archive"]["name"]')" = "neo4j-2026-11-24-13:05:00.tar.gz" ]
  [ "$(json_get "$m" 'd["archive"]["bytes"]')" = "$(stat -c %s "$a")" ]
  [ "$(json_get "$m" 'd["archive"]["sha256"]')" = "$(sha256sum "$a" | cut -d' ' -f1)" ]
  [ "$(json_get "$m" 'd["archive"]["compression"]')" = gzip ]
  [ "$(json_get "$m" 'd["archive"]["encryption"]')" = None ]
  [ "$(json_get "$m" 'd["content"]["files"]')" = "$(find "$W/live/neo4j" -type f | wc -l)" ]
  [ "$(json_get "$m" 'd["content"]["bytes"]')" = "$(find "$W/live/neo4j" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')" ]
  [ "$(json_get "$m" 'd["neo4j"]["dialect"]')" = 4.4 ]
  [ "$(json_get "$m" 'd["neo4j"]["version"]')" = 4.4.10 ]
  [ "$(json_get "$m" 'd["neo4j"]["backup_type"]')" = FULL ]
  [ "$(json_get "$m" 'd["neo4j"]["consistency"]')" = passed ]
  [ "$(json_get "$m" 'd["tool"]["name"]')" = neo4j-backup ]
  [[ "$(json_get "$m" 'd["created"]')" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
}

@test "several databases share one timestamp" {
  export DATABASE=neo4j,system
  run neo4j-backup
  assert_success
  n=$(ls "$W/bucket/neo4j" | grep -c '^neo4j-[0-9].*\.tar\.gz$')
  s=$(ls "$W/bucket/system" | grep -c '^system-[0-9].*\.tar\.gz$')
  [ "$n" = 1 ] && [ "$s" = 1 ]
  [ "$(ls "$W/bucket/neo4j" | grep '^neo4j-[0-9]' | head -1 | cut -c7-25)" = \
    "$(ls "$W/bucket/system" | grep '^system-[0-9]' | head -1 | cut -c8-26)" ]
  assert_output --partial "summary: neo4j: backed up"
  assert_output --partial "summary: system: backed up"
}

@test "--compression zstd writes .tar.zst that zstd can read" {
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00
  run neo4j-backup --compression zstd --compression-threads=2
  echo "$output"
  assert_success
  [ -f "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.zst" ]
  [ -f "$W/bucket/neo4j/neo4j-latest.tar.zst" ]
  zstd -dc "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.zst" | tar -t | grep -q '^backups/neo4j/'
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["archive"]["compression"]')" = zstd ]
}

@test "4.4: neo4j-admin backup gets the documented flags and HEAP_SIZE" {
  export STANDIN_VERSION=4.4.10 HEAP_SIZE=1G PAGE_CACHE=512m CHECK_PROPERTY_OWNERS=true
  run neo4j-backup
  assert_success
  run cat "$STANDIN_LOG"
  assert_line --partial "neo4j-admin backup --backup-dir=$W/backups --from=localhost:6362 --database=neo4j --fallback-to-full=true --pagecache=512m --check-consistency=true --report-dir=$W/backups/.reports/neo4j --check-graph=true --check-indexes=true --check-label-scan-store=true --check-property-owners=true"
  assert_line --partial "HEAP_SIZE=1G"
}

@test "5.x: database backup then database check on the new artifact" {
  export STANDIN_VERSION=5.26.0
  run neo4j-backup
  assert_success
  run cat "$STANDIN_LOG"
  assert_line --partial "neo4j-admin database backup --to-path=$W/backups/neo4j --from=localhost:6362 --type=FULL --pagecache=2G neo4j"
  assert_line --partial "neo4j-admin database check --from-path=$W/backups/neo4j --report-path=$W/backups/.reports/neo4j --check-graph=true --check-indexes=true --check-property-owners=false neo4j"
}

@test "5.x: CHECK_CONSISTENCY=false skips the check and says so in the manifest" {
  export CHECK_CONSISTENCY=false
  run neo4j-backup
  assert_success
  run grep -c "database check" "$STANDIN_LOG"
  assert_output 0
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["neo4j"]["consistency"]')" = skipped ]
}

@test "calendar versions (2025.x) use the 5.x command set" {
  export STANDIN_VERSION=2025.10.1
  run neo4j-backup
  assert_success
  grep -q "database backup" "$STANDIN_LOG"
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["neo4j"]["version"]')" = 2025.10.1 ]
}

@test "NEO4J_ADMIN_DIALECT forces the command set" {
  export STANDIN_VERSION=4.4.10 NEO4J_ADMIN_DIALECT=4.4
  run neo4j-backup
  assert_success
  grep -q "neo4j-admin backup --backup-dir" "$STANDIN_LOG"
}

@test "REMOVE_BACKUP_FILES=false keeps the local set; true removes it" {
  run neo4j-backup --remove-backup-files=false
  assert_success
  [ -d "$W/backups/neo4j" ]
  export BACKUP_TIMESTAMP=2030-01-01-00:00:00
  run neo4j-backup
  assert_success
  [ ! -e "$W/backups/neo4j" ]
}

@test "4.4 consistency failure (exit 3): set kept and marked, report uploaded, latest stays, exit 7" {
  export STANDIN_VERSION=4.4.10
  run neo4j-backup --timestamp=2026-01-01-00:00:00
  assert_success
  export STANDIN_INCONSISTENT=neo4j
  run neo4j-backup --timestamp=2026-01-02-00:00:00
  echo "$output"
  assert_failure 7
  assert_output --partial "consistency check of 'neo4j' failed"
  [ -f "$W/bucket/neo4j/neo4j-2026-01-02-00:00:00.tar.gz" ]
  [ "$(json_get "$W/bucket/neo4j/neo4j-2026-01-02-00:00:00.manifest.json" 'd["neo4j"]["consistency"]')" = failed ]
  tar -tzf "$W/bucket/neo4j/neo4j-2026-01-02-00:00:00.report.tar.gz" | grep -q 'inconsistencies'
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["timestamp"]')" = 2026-01-01-00:00:00 ]
}

@test "4.4 exit 2 (check could not run) also keeps latest and exits 7" {
  export STANDIN_VERSION=4.4.10
  run neo4j-backup --timestamp=2026-01-01-00:00:00
  assert_success
  export STANDIN_EXIT=backup=2
  run neo4j-backup --timestamp=2026-01-02-00:00:00
  assert_failure 7
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["timestamp"]')" = 2026-01-01-00:00:00 ]
}

@test "5.x consistency failure: exit 7, latest stays where it was" {
  run neo4j-backup --timestamp=2026-01-01-00:00:00
  assert_success
  export STANDIN_INCONSISTENT=neo4j
  run neo4j-backup --timestamp=2026-01-02-00:00:00
  assert_failure 7
  [ "$(json_get "$W/bucket/neo4j/neo4j-2026-01-02-00:00:00.manifest.json" 'd["neo4j"]["consistency"]')" = failed ]
  [ -f "$W/bucket/neo4j/neo4j-2026-01-02-00:00:00.report.tar.gz" ]
  [ "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["timestamp"]')" = 2026-01-01-00:00:00 ]
}

@test "neo4j-admin failure: exit 6, nothing uploaded, the other database still backed up" {
  export DATABASE=missing,neo4j
  run neo4j-backup
  echo "$output"
  assert_failure 6
  assert_output --partial "summary: missing: failed, exit 6"
  assert_output --partial "summary: neo4j: backed up"
  [ ! -e "$W/bucket/missing" ]
}

@test "a set is never overwritten: the same stamp twice is refused" {
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00
  run neo4j-backup
  assert_success
  before=$(sha256sum "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz")
  run neo4j-backup
  assert_failure 2
  assert_output --partial "exists already"
  [ "$(sha256sum "$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.gz")" = "$before" ]
}

@test "a backup killed mid-upload leaves no object under a final name" {
  make_live_db "$W/live" neo4j 40000
  head -c 40000000 /dev/urandom >"$W/live/neo4j/neostore.big.db"
  export BACKUP_TIMESTAMP=2026-11-24-13:05:00 CHECK_CONSISTENCY=false
  neo4j-backup 2>"$W/backup.log" &
  pid=$!
  # wait until the upload's temp object exists and has bytes in it
  for _ in $(seq 600); do
    t=$(find "$W/bucket/neo4j" -name '.*tmp*' -size +1k 2>/dev/null | head -1)
    [ -n "$t" ] && break
    sleep 0.02
  done
  kill -9 "$pid"
  wait "$pid" || true
  [ -n "$t" ]
  # only the hidden temp object remains: nothing under a final name
  run bash -c "cd '$W/bucket' && find . -type f ! -name '.*'"
  echo "$output"
  assert_output ""
  # the next run succeeds and latest moves to it
  unset BACKUP_TIMESTAMP
  run neo4j-backup
  assert_success
  [ -f "$W/bucket/neo4j/neo4j-latest.manifest.json" ]
}

@test "progress lines show bytes, rate and percent" {
  export PROGRESS_INTERVAL=0
  run neo4j-backup
  assert_success
  assert_output --regexp "uploading file://.*neo4j-.*\.tar\.gz: [0-9.]+ (B|KiB|MiB) at [0-9.]+ (B|KiB|MiB|GiB)/s"
}
