#!/usr/bin/env bats
# neo4j-restore against a local bucket: round trips for both dialects and
# both compressions, latest and TIMESTAMP selection, DESIGN section 7 rules.

setup() {
  load helpers
  setup_workspace
  make_live_db "$W/live" neo4j 256
  make_live_db "$W/live" system 64
}

backup_at() { # backup_at STAMP [args...]
  local stamp=$1
  shift
  run neo4j-backup --timestamp="$stamp" "$@"
  echo "$output"
  assert_success
}

@test "round trip: 4.4, gzip" {
  export STANDIN_VERSION=4.4.10
  backup_at 2026-11-24-13:05:00
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
  assert_output --partial "summary: neo4j: restored"
  grep -q -- "neo4j-admin restore --from=$DATA_DIR/.restore/neo4j/backups/neo4j --database=neo4j --move --to-data-directory=$DATA_DIR/databases --to-data-tx-directory=$DATA_DIR/transactions" "$STANDIN_LOG"
}

@test "round trip: 4.4, zstd" {
  export STANDIN_VERSION=4.4.10
  backup_at 2026-11-24-13:05:00 --compression=zstd
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}

@test "round trip: 5.x, gzip, restoring the newest artifact" {
  backup_at 2026-11-24-13:05:00
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
  grep -qE -- "neo4j-admin database restore --from-path=$DATA_DIR/.restore/neo4j/backups/neo4j/neo4j-[0-9T-]+\.backup --to-path-data=$DATA_DIR/databases --to-path-txn=$DATA_DIR/transactions neo4j" "$STANDIN_LOG"
}

@test "round trip: 5.x, zstd" {
  backup_at 2026-11-24-13:05:00 --compression=zstd
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
}

@test "several databases: neo4j and system restored from one run" {
  export DATABASE=neo4j,system
  backup_at 2026-11-24-13:05:00
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
  restored_equals_live system
  assert_output --partial "summary: system: restored"
}

@test "the staging folder is on the data volume and purged afterwards" {
  export STANDIN_VERSION=4.4.10
  backup_at 2026-11-24-13:05:00
  run neo4j-restore
  assert_success
  [ ! -e "$DATA_DIR/.restore" ]
}

@test "PURGE_ON_COMPLETE=false keeps the staging folder" {
  backup_at 2026-11-24-13:05:00
  run neo4j-restore --purge-on-complete=false
  assert_success
  [ -d "$DATA_DIR/.restore/neo4j" ]
  assert_output --partial "PURGE_ON_COMPLETE=false"
}

@test "latest follows the manifest, not the DB-latest archive copy" {
  backup_at 2026-01-01-00:00:00
  # a stale or foreign latest archive must not be what restore reads
  echo "not an archive" >"$W/bucket/neo4j/neo4j-latest.tar.gz"
  run neo4j-restore
  echo "$output"
  assert_success
  assert_output --partial "neo4j-latest.manifest.json names neo4j-2026-01-01-00:00:00.tar.gz"
  restored_equals_live neo4j
}

@test "TIMESTAMP picks an older set" {
  backup_at 2026-01-01-00:00:00
  cp -a "$W/live/neo4j" "$W/old-neo4j"
  make_live_db "$W/live" neo4j 300
  backup_at 2026-01-02-00:00:00
  run neo4j-restore --timestamp=2026-01-01-00:00:00
  echo "$output"
  assert_success
  rm -rf "$W/live/neo4j" && mv "$W/old-neo4j" "$W/live/neo4j"
  restored_equals_live neo4j
}

@test "an unknown TIMESTAMP exits 3 and lists the sets there are" {
  backup_at 2026-01-01-00:00:00
  backup_at 2026-01-02-00:00:00
  run neo4j-restore --timestamp=2025-05-05-05:05:05
  assert_failure 3
  assert_output --partial "no backup of 'neo4j' taken at 2025-05-05-05:05:05"
  assert_output --partial "2026-01-01-00:00:00"
  assert_output --partial "2026-01-02-00:00:00"
}

@test "no backup at all: exit 3 with what to set" {
  run neo4j-restore
  assert_failure 3
  assert_output --partial "no backup of 'neo4j'"
  assert_output --partial "MISSING_BACKUP=skip"
  [ -z "$(ls -A "$DATA_DIR")" ]
}

@test "MISSING_BACKUP=skip: exit 0, logged, the other database restored" {
  export DATABASE=neo4j
  backup_at 2026-01-01-00:00:00
  run neo4j-restore --database=neo4j,system --missing-backup=skip
  echo "$output"
  assert_success
  assert_output --partial "summary: system: skipped"
  assert_output --partial "summary: neo4j: restored"
}

@test "an existing database is kept without FORCE_OVERWRITE (exit 0, logged, untouched)" {
  backup_at 2026-01-01-00:00:00
  mkdir -p "$DATA_DIR/databases/neo4j"
  echo "writes made since the backup" >"$DATA_DIR/databases/neo4j/neostore"
  before=$(snapshot "$DATA_DIR")
  run neo4j-restore
  assert_success
  assert_output --partial "keeping the existing database"
  assert_output --partial "summary: neo4j: kept"
  [ "$(snapshot "$DATA_DIR")" = "$before" ]
  run grep -c restore "$STANDIN_LOG"
  assert_output 0
}

@test "FORCE_OVERWRITE=true replaces an existing database" {
  export STANDIN_VERSION=4.4.10
  backup_at 2026-01-01-00:00:00
  mkdir -p "$DATA_DIR/databases/neo4j" "$DATA_DIR/transactions/neo4j"
  echo "old" >"$DATA_DIR/databases/neo4j/neostore"
  echo "old" >"$DATA_DIR/transactions/neo4j/neostore.transaction.db.9"
  run neo4j-restore --force-overwrite
  echo "$output"
  assert_success
  restored_equals_live neo4j
  grep -q -- "--force --move" "$STANDIN_LOG"
}

@test "5.x FORCE_OVERWRITE passes --overwrite-destination=true" {
  backup_at 2026-01-01-00:00:00
  mkdir -p "$DATA_DIR/databases/neo4j"
  echo "old" >"$DATA_DIR/databases/neo4j/neostore"
  run env FORCE_OVERWRITE=true neo4j-restore
  assert_success
  grep -q -- "--overwrite-destination=true" "$STANDIN_LOG"
  restored_equals_live neo4j
}

@test "neo4j-admin restore failing exits 6 and the next start tries again" {
  backup_at 2026-01-01-00:00:00
  run env STANDIN_EXIT=restore=1 neo4j-restore
  echo "$output"
  assert_failure 6
  assert_output --partial "the next start will try again"
  # it failed before changing anything: no restore is pending, nothing left
  assert_output --partial "the restore changed nothing"
  [ ! -e "$DATA_DIR/.restore" ]
  run neo4j-restore
  assert_success
  restored_equals_live neo4j
  [ ! -e "$DATA_DIR/.restore" ]
}

@test "a forced restore whose neo4j-admin fails before changing anything leaves no marker: the next start without FORCE_OVERWRITE keeps the database" {
  backup_at 2026-01-01-00:00:00
  mkdir -p "$DATA_DIR/databases/neo4j" "$DATA_DIR/transactions/neo4j"
  echo "old" >"$DATA_DIR/databases/neo4j/neostore"
  echo "old" >"$DATA_DIR/transactions/neo4j/neostore.transaction.db.0"
  before=$(snapshot "$DATA_DIR")
  run env STANDIN_EXIT=restore=1 FORCE_OVERWRITE=true neo4j-restore
  echo "$output"
  assert_failure 6
  [ ! -e "$DATA_DIR/.restore/neo4j.restoring" ]
  [ "$(snapshot "$DATA_DIR")" = "$before" ]
  run neo4j-restore
  echo "$output"
  assert_success
  assert_output --partial "summary: neo4j: kept"
  [ "$(cat "$DATA_DIR/databases/neo4j/neostore")" = old ]
}

@test "not enough free space on DATA_DIR: exit 8 before anything is downloaded" {
  backup_at 2026-01-01-00:00:00
  m="$W/bucket/neo4j/neo4j-latest.manifest.json"
  "$SYS_PYTHON" - "$m" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["content"]["bytes"] = 1 << 55
json.dump(d, open(sys.argv[1], "w"))
PY
  before=$(snapshot "$DATA_DIR")
  run neo4j-restore
  echo "$output"
  assert_failure 8
  assert_output --partial "grow the volume"
  [ "$(snapshot "$DATA_DIR")" = "$before" ]
}

@test "a manifest of a newer major format is refused with exit 5" {
  backup_at 2026-01-01-00:00:00
  sed -i 's|neo4j-backup-manifest/1|neo4j-backup-manifest/2|' "$W/bucket/neo4j/neo4j-latest.manifest.json"
  run neo4j-restore
  assert_failure 5
  assert_output --partial "newer than this tool reads"
}

@test "a manifest naming a missing archive is exit 5" {
  backup_at 2026-01-01-00:00:00
  rm "$W/bucket/neo4j/neo4j-2026-01-01-00:00:00.tar.gz"
  run neo4j-restore
  assert_failure 5
  assert_output --partial "which does not exist"
}

@test "unknown manifest fields are ignored" {
  backup_at 2026-01-01-00:00:00
  "$SYS_PYTHON" - "$W/bucket/neo4j/neo4j-latest.manifest.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["future"] = {"x": 1}; d["archive"]["extra"] = True
json.dump(d, open(sys.argv[1], "w"))
PY
  run neo4j-restore
  assert_success
}

@test "UNBIND=true unbinds once before restore (4.4: neo4j-admin unbind)" {
  export STANDIN_VERSION=4.4.10 DATABASE=neo4j,system
  backup_at 2026-01-01-00:00:00
  run neo4j-restore --unbind
  assert_success
  run grep -c "neo4j-admin unbind" "$STANDIN_LOG"
  assert_output 1
  [ "$(grep -n 'unbind' "$STANDIN_LOG" | cut -d: -f1)" -lt "$(grep -n ' restore ' "$STANDIN_LOG" | head -1 | cut -d: -f1)" ]
}

@test "UNBIND=true on 5.x runs server unbind and says it is a last resort" {
  backup_at 2026-01-01-00:00:00
  run neo4j-restore --unbind
  assert_success
  assert_output --partial "last resort"
  grep -q "neo4j-admin server unbind" "$STANDIN_LOG"
}

@test "no unbind unless asked" {
  backup_at 2026-01-01-00:00:00
  run neo4j-restore
  assert_success
  run grep -c unbind "$STANDIN_LOG"
  assert_output 0
}

@test "run as root, restored files belong to 7474:7474 (or NEO4J_OWNER)" {
  [ "$(id -u)" = 0 ] || skip "needs root to change owners"
  backup_at 2026-01-01-00:00:00
  run neo4j-restore
  assert_success
  [ -z "$(find "$DATA_DIR/databases/neo4j" "$DATA_DIR/transactions/neo4j" ! -user 7474)" ]
  [ -z "$(find "$DATA_DIR/databases/neo4j" ! -group 7474)" ]
  run neo4j-restore --force-overwrite --owner=1234:5678
  assert_success
  [ -z "$(find "$DATA_DIR/databases/neo4j" ! -user 1234)" ]
}

@test "progress lines show bytes, percent and rate while downloading" {
  backup_at 2026-01-01-00:00:00
  run env PROGRESS_INTERVAL=0 neo4j-restore
  assert_success
  assert_output --regexp "downloading file://.*: [0-9.]+ (B|KiB|MiB) \([0-9]+%\) at [0-9.]+ (B|KiB|MiB|GiB)/s"
}
