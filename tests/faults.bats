#!/usr/bin/env bats
# What an SRE does to the tools (issue 10): two restores on one DATA_DIR,
# two backups with one stamp, lying manifests on a small volume, a set with
# a path longer than PATH_MAX, wrong settings, kill -9 at many moments.
# Each case failed before the change that it covers.

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
  setup_workspace
  gcs_ctl POST reset '{}' >/dev/null
  make_live_db "$W/live" neo4j 256
}

teardown() {
  if mountpoint -q "$W/vol" 2>/dev/null; then umount "$W/vol"; fi
}

# ---- helpers ----

# small_volume SIZE: a fresh tmpfs of SIZE becomes DATA_DIR.
small_volume() {
  mkdir -p "$W/vol"
  mount -t tmpfs -o size="$1" tmpfs "$W/vol"
  export DATA_DIR="$W/vol"
}

# gs_requests: how many requests the emulator has logged since the reset.
gs_requests() {
  gcs_ctl requests | "$SYS_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'
}

# edit_manifest PYTHON: runs PYTHON on `d`, the latest manifest, and saves it.
edit_manifest() {
  "$SYS_PYTHON" - "$W/bucket/neo4j/neo4j-latest.manifest.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PY
}

# old_database: a database that a failed restore must leave as it is.
old_database() {
  mkdir -p "$DATA_DIR/databases/neo4j" "$DATA_DIR/transactions/neo4j"
  echo "old" >"$DATA_DIR/databases/neo4j/neostore"
  echo "old" >"$DATA_DIR/transactions/neo4j/neostore.transaction.db.0"
}

# until_or_done PATH LOG: polls (bounded) until PATH exists or LOG holds a
# summary line (the run ended before PATH showed).
until_or_done() {
  local tries=1500
  while ((tries-- > 0)); do
    [ -e "$1" ] && return 0
    grep -q "summary:" "$2" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}

# dead_pid: a PID that ran and has ended.
dead_pid() {
  true &
  local pid=$!
  wait "$pid"
  echo "$pid"
}

# ---- two restores on one DATA_DIR ----

# race_restores OFFSET: A starts; B starts at OFFSET of A (now, once A's lock
# is held, once A stages, once A's marker is written); both forced.
race_restores() {
  local offset=$1 a b sa sb
  FORCE_OVERWRITE=true neo4j-restore >"$W/a.log" 2>&1 &
  a=$!
  case $offset in
    now) ;;
    lock) until_or_done "$DATA_DIR/.restore/.lock" "$W/a.log" ;;
    staging) until_or_done "$DATA_DIR/.restore/neo4j/backups" "$W/a.log" ;;
    marker) until_or_done "$DATA_DIR/.restore/neo4j.restoring" "$W/a.log" ;;
  esac
  FORCE_OVERWRITE=true neo4j-restore >"$W/b.log" 2>&1 &
  b=$!
  sa=0 sb=0
  wait "$a" || sa=$?
  wait "$b" || sb=$?
  echo "offset $offset: A exit $sa, B exit $sb"
  # with the lock, B waits for A: both do all the work, one after the other
  if [ "$sa" != 0 ] || [ "$sb" != 0 ]; then
    cat "$W/a.log" "$W/b.log"
    return 1
  fi
  # neither exited 0 over a partial database
  restored_equals_live neo4j
  [ ! -e "$DATA_DIR/.restore" ]
  if grep -q "waiting up to 300 s" "$W/a.log" "$W/b.log"; then waited=$((waited + 1)); fi
}

@test "two restores on one DATA_DIR at several offsets: they take turns, the database is whole every time (4.4)" {
  export STANDIN_VERSION=4.4.10
  make_live_db "$W/live" neo4j 6144
  run neo4j-backup
  assert_success
  waited=0
  for round in 1 2 3 4 5; do
    for offset in now lock staging marker; do
      race_restores "$offset"
    done
  done
  # the runs did overlap: one waited for the other's lock
  echo "$waited of 20 pairs overlapped"
  [ "$waited" -ge 5 ]
}

@test "two restores on one DATA_DIR at several offsets (5.x)" {
  make_live_db "$W/live" neo4j 6144
  run neo4j-backup
  assert_success
  waited=0
  for round in 1 2 3; do
    for offset in now staging marker; do
      race_restores "$offset"
    done
  done
  [ "$waited" -ge 3 ]
}

@test "a restore that cannot get the DATA_DIR lock gives up with exit 2 and leaves the holder's staging alone" {
  run neo4j-backup
  assert_success
  mkdir -p "$DATA_DIR/.restore/neo4j"
  echo "theirs" >"$DATA_DIR/.restore/neo4j/partial"
  exec {lockfd}>"$DATA_DIR/.restore/.lock"
  flock -x "$lockfd"
  run env RESTORE_LOCK_TIMEOUT=0 neo4j-restore
  exec {lockfd}>&-
  echo "$output"
  assert_failure 2
  assert_output --partial "another neo4j-restore is restoring into DATA_DIR $DATA_DIR"
  assert_output --partial "RESTORE_LOCK_TIMEOUT=0"
  [ "$(cat "$DATA_DIR/.restore/neo4j/partial")" = theirs ]
  [ ! -e "$DATA_DIR/databases/neo4j" ]
}

@test "a restore waits (logged) for the run that holds the lock, then does its work" {
  run neo4j-backup
  assert_success
  mkdir -p "$DATA_DIR/.restore"
  mkfifo "$W/release"
  (
    exec 9>"$DATA_DIR/.restore/.lock"
    flock -x 9
    echo 4242 >&9
    touch "$W/held"
    read -r _ <"$W/release"
  ) 3>&- &
  holder=$!
  wait_for_file "$W/held"
  neo4j-restore >"$W/r.log" 2>&1 &
  r=$!
  tries=600
  until grep -q "waiting up to 300 s" "$W/r.log" || ((tries-- == 0)); do sleep 0.05; done
  grep -q "another neo4j-restore (pid 4242) is restoring into DATA_DIR" "$W/r.log"
  [ ! -e "$DATA_DIR/databases/neo4j" ]
  echo go >"$W/release"
  wait "$holder"
  status=0
  wait "$r" || status=$?
  cat "$W/r.log"
  [ "$status" = 0 ]
  grep -q "got the restore lock" "$W/r.log"
  restored_equals_live neo4j
  [ ! -e "$DATA_DIR/.restore" ]
}

# ---- two backups with one stamp ----

# race_backups_counted STAMP [ARGS_OF_B...]: race_backups (helpers.bash),
# counting in at_write the races lost at the write itself (both runs
# passed the early check), not before it.
race_backups_counted() {
  race_backups "$@" || return 1
  if grep -q "written by another backup at the same moment" "$RACE_LOSER"; then
    at_write=$((at_write + 1))
  fi
}

# restore_stamp STAMP: the set restores (its checksum matches its manifest)
# and holds the live database.
restore_stamp() {
  rm -rf "$DATA_DIR/databases" "$DATA_DIR/transactions"
  run neo4j-restore --timestamp="$1"
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "two backups with one stamp on a local bucket: one wins, the other exits 2, the set is intact" {
  at_write=0
  for i in 1 2 3 4 5; do
    stamp=2026-01-01-00:00:0$i
    race_backups_counted "$stamp"
    m="$W/bucket/neo4j/neo4j-$stamp.manifest.json"
    a="$W/bucket/neo4j/neo4j-$stamp.tar.gz"
    [ "$(json_get "$m" 'd["archive"]["sha256"]')" = "$(sha256sum "$a" | cut -d' ' -f1)" ]
    [ "$(json_get "$m" 'd["archive"]["bytes"]')" = "$(stat -c %s "$a")" ]
    restore_stamp "$stamp"
  done
  [ "$at_write" -ge 1 ]
  # nothing half-written is left behind
  [ -z "$(find "$W/bucket" -name '.*')" ]
}

@test "two backups with one stamp and different compressions: the manifest decides, the loser's archive goes" {
  for i in 1 2 3; do
    stamp=2026-01-01-00:01:0$i
    race_backups_counted "$stamp" --compression=zstd
    m="$W/bucket/neo4j/neo4j-$stamp.manifest.json"
    name=$(json_get "$m" 'd["archive"]["name"]')
    # one archive for the stamp, the one its manifest names
    [ "$(ls "$W/bucket/neo4j" | grep -c "^neo4j-$stamp\.tar\.")" = 1 ]
    [ -f "$W/bucket/neo4j/$name" ]
    [ "$(json_get "$m" 'd["archive"]["sha256"]')" = "$(sha256sum "$W/bucket/neo4j/$name" | cut -d' ' -f1)" ]
    restore_stamp "$stamp"
  done
}

@test "two backups with one stamp on gs://: one wins (ifGenerationMatch=0), the other exits 2, the set is intact" {
  export BUCKET="gs://backups/race" CREDENTIALS_FILE=$SA_KEY
  at_write=0
  for i in 1 2 3; do
    stamp=2026-01-01-00:02:0$i
    race_backups_counted "$stamp"
    restore_stamp "$stamp"
  done
  [ "$at_write" -ge 1 ]
  # every object the tools wrote went up with the precondition
  gcs_ctl requests | "$SYS_PYTHON" -c '
import json, sys
for r in json.load(sys.stdin)["requests"]:
    t = r["target"]
    if "uploadType=" in t and "tar.gz" in t and "latest" not in t:
        assert "ifGenerationMatch=0" in t, t'
}

@test "a backup that passed its early check but finds the set at its write (GCS 412): exit 2 naming the stamp, the set intact" {
  export BUCKET="gs://backups/exists" CREDENTIALS_FILE=$SA_KEY
  run neo4j-backup --timestamp=2026-01-01-00:03:00
  assert_success
  gcs_ctl POST reset '{}' >/dev/null
  # the early check (a stat of the manifest and the archive) is told the set
  # is not there, as when two runs check at the same moment
  gcs_ctl POST faults '{"kind":"status","status":404,"count":2,"method":"GET","path":"neo4j-2026-01-01-00(%3A|:)03(%3A|:)00\\.(manifest\\.json|tar\\.gz)"}' >/dev/null
  run neo4j-backup --timestamp=2026-01-01-00:03:00
  echo "$output"
  assert_failure 2
  assert_output --partial "stamped 2026-01-01-00:03:00 was written by another backup at the same moment"
  [ "$(gcs_ctl 'requests?status=412' | "$SYS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["count"])')" -ge 1 ]
  restore_stamp 2026-01-01-00:03:00
}

# ---- lying manifests on a small volume ----

# bomb_set: a 4.4 set whose 40 MB of zeros compress to almost nothing.
bomb_set() {
  export STANDIN_VERSION=4.4.10
  head -c 40000000 /dev/zero >"$W/live/neo4j/neostore.zeros.db"
  run neo4j-backup
  assert_success
}

# refused_on_volume CODE TEXT: the restore fails with CODE saying TEXT,
# before the volume fills, and the old database is intact.
refused_on_volume() {
  local before
  before=$(snapshot "$DATA_DIR")
  run env FORCE_OVERWRITE=true neo4j-restore
  echo "$output"
  assert_failure "$1"
  assert_output --partial "$2"
  refute_output --partial "No space left"
  [ "$(snapshot "$DATA_DIR")" = "$before" ]
  [ ! -e "$DATA_DIR/.restore" ]
}

@test "a manifest that understates content.bytes: extraction stops with exit 5 before the volume fills" {
  bomb_set
  small_volume 16m
  old_database
  edit_manifest 'd["content"]["bytes"] = 300000'
  refused_on_volume 5 "holds more bytes than its manifest's content.bytes (300000)"
}

@test "a manifest that understates content.files: exit 5" {
  bomb_set
  small_volume 64m
  old_database
  edit_manifest 'd["content"]["files"] = 2'
  refused_on_volume 5 "holds more files than its manifest's content.files (2)"
}

@test "manifest numbers out of range never wrap the free-space check: exit 5 or 8, nothing written" {
  bomb_set
  small_volume 16m
  old_database
  cp "$W/bucket/neo4j/neo4j-latest.manifest.json" "$W/good.json"
  edit_manifest 'd["content"]["files"] = 1 << 52'
  refused_on_volume 5 "out of range"
  cp "$W/good.json" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  edit_manifest 'd["content"]["bytes"] = (1 << 63) - 1'
  refused_on_volume 5 "out of range"
  cp "$W/good.json" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  edit_manifest 'd["content"]["files"] = -1'
  refused_on_volume 5 "out of range"
  cp "$W/good.json" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  edit_manifest 'd["archive"]["bytes"] = 1 << 62'
  refused_on_volume 5 "out of range"
  # in range, but 2^40 files need 4 PiB of blocks: the free-space check says so
  cp "$W/good.json" "$W/bucket/neo4j/neo4j-latest.manifest.json"
  edit_manifest 'd["content"]["files"] = 1 << 40'
  refused_on_volume 8 "grow the volume"
}

@test "an honest manifest on the same volume restores (the bounds are not too tight)" {
  bomb_set
  small_volume 64m
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

# ---- a path longer than PATH_MAX ----

@test "a set holding a 5,000-character path is refused with exit 5; nothing is left, every start says the same" {
  "$SYS_PYTHON" - "$W/bucket/neo4j/neo4j-latest.tar.gz" <<'PY'
import io, os, sys, tarfile
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
def add(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as t:
    add(t, "backups/neo4j/neostore", b"NEO4J")
    deep = "backups/neo4j/" + "/".join(["d" * 200] * 25) + "/neostore.deep"
    assert len(deep) > 5000
    add(t, deep, b"deep")
PY
  export STANDIN_VERSION=4.4.10
  for _ in 1 2; do
    run neo4j-restore
    echo "$output"
    assert_failure 5
    assert_output --partial "too long for the file system"
    [ ! -e "$DATA_DIR/.restore" ]
    [ ! -e "$DATA_DIR/databases" ]
  done
}

# ---- settings checked before any work ----

@test "each bad restore setting: exit 2 naming it, before any request, staging or neo4j-admin" {
  export BUCKET="gs://backups/settings" CREDENTIALS_FILE=$SA_KEY
  run neo4j-backup
  assert_success
  long=$(printf 'a%.0s' $(seq 1100))
  while IFS='|' read -r setting named; do
    gcs_ctl POST reset '{}' >/dev/null
    : >"$STANDIN_LOG"
    run env "$setting" neo4j-restore
    echo "$setting -> $status: $output"
    assert_failure 2
    assert_output --partial "$named"
    [ "$(gs_requests)" = 0 ]
    [ ! -e "$DATA_DIR/.restore" ]
    [ ! -s "$STANDIN_LOG" ]
  done <<EOF
NEO4J_ADMIN_DIALECT=6|NEO4J_ADMIN_DIALECT is '6'
NEO4J_OWNER=-1:-1|NEO4J_OWNER is '-1:-1'
NEO4J_OWNER=7474|NEO4J_OWNER is '7474'
NEO4J_OWNER=4294967295:7474|NEO4J_OWNER
NEO4J_OWNER=7474:abc|NEO4J_OWNER
DATA_DIR=$W/nope|DATA_DIR is '$W/nope', which does not exist
DATA_DIR=data|DATA_DIR is 'data': write an absolute path
DATA_DIR=/$long|DATA_DIR
RESTORE_LOCK_TIMEOUT=soon|RESTORE_LOCK_TIMEOUT
HEAP_SIZE=lots|HEAP_SIZE is 'lots'
BUCKET=gs://Backups/x|BUCKET names the bucket or container 'Backups'
BUCKET=gs://ab/x|GCS bucket names have 3 to 63 characters
BUCKET=gs://google-backups/x|cannot start with 'goog' or hold 'google'
BUCKET=gs://192.168.0.1/x|cannot be IP addresses
BUCKET=gs://backups/$long|below the store's 1024-byte limit
BUCKET=s3://My_Bucket/x|S3 bucket names use lower-case letters
BUCKET=s3://a..b/x|two dots in a row
BUCKET=azb://bad--container/x|Azure container names
BUCKET=https://Account.blob.core.windows.net/c0ntainer/x|Azure storage account names
BUCKET=file:///$long|BUCKET
DATABASE=ne|DATABASE
EOF
}

@test "each bad backup setting: exit 2 naming it, before neo4j-admin or any request" {
  export BUCKET="gs://backups/settings" CREDENTIALS_FILE=$SA_KEY
  while IFS='|' read -r setting named; do
    gcs_ctl POST reset '{}' >/dev/null
    run env "$setting" neo4j-backup
    echo "$setting -> $status: $output"
    assert_failure 2
    assert_output --partial "$named"
    [ "$(gs_requests)" = 0 ]
    [ ! -e "$STANDIN_LOG" ]
    [ ! -e "$BACKUP_DIR" ]
  done <<EOF
NEO4J_ADDR=host:99999|NEO4J_ADDR is 'host:99999': the port must be a number from 1 to 65535
NEO4J_ADDR=host:abc|the port must be a number
NEO4J_ADDR=host:0|the port must be a number
NEO4J_ADDR=:6362|the host must be a name or address
NEO4J_ADDR=my-neo4j|has no port
NEO4J_ADDR=a:6362,b:x|NEO4J_ADDR
HEAP_SIZE=2GB|HEAP_SIZE is '2GB'
HEAP_SIZE=0|HEAP_SIZE
PAGE_CACHE=lots|PAGE_CACHE is 'lots'
PAGE_CACHE=-1|PAGE_CACHE
NEO4J_ADMIN_DIALECT=6|NEO4J_ADMIN_DIALECT is '6'
BACKUP_DIR=backups|BACKUP_DIR
BUCKET=gs://UPPER/x|GCS bucket names use lower-case letters
EOF
}

@test "good addresses and sizes pass: lists, IPv6, units" {
  export STANDIN_VERSION=4.4.10
  run env NEO4J_ADDR='[::1]:6362' HEAP_SIZE=512m PAGE_CACHE=1GiB neo4j-backup --timestamp=2026-01-01-00:00:00
  echo "$output"
  assert_success
  grep -qF -- "'--from=[::1]:6362' --database=neo4j" "$STANDIN_LOG"
  grep -q -- "--pagecache=1GiB .* HEAP_SIZE=512m$" "$STANDIN_LOG"
}

@test "DATABASE is lower-cased as Neo4j does, with a log line: the backup of Neo4j is found by a restore of neo4j" {
  run env DATABASE=Neo4j neo4j-backup
  echo "$output"
  assert_success
  assert_output --partial "DATABASE: the database 'Neo4j' is 'neo4j'"
  [ -f "$W/bucket/neo4j/neo4j-latest.manifest.json" ]
  [ ! -e "$W/bucket/Neo4j" ]
  run env DATABASE=NEO4J neo4j-restore
  assert_success
  restored_equals_live neo4j
  run env DATABASE=neo4j,NEO4J neo4j-restore
  assert_failure 2
  assert_output --partial "twice"
}

@test "a DATA_DIR that does not exist and a local bucket folder that does not exist: exit 2 naming the setting" {
  run env DATA_DIR="$W/missing" neo4j-restore
  assert_failure 2
  assert_output --partial "DATA_DIR is '$W/missing', which does not exist"
  run env BUCKET="file://$W/missing-bucket" neo4j-backup
  assert_failure 2
  assert_output --partial "BUCKET 'file://$W/missing-bucket'"
}

# ---- leftovers after kill -9 ----

# kill_tree PID: the pod dies: the tool and its children at once.
kill_tree() {
  local children
  children=$(pgrep -P "$1" || true)
  kill -9 "$1" $children 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

@test "backups killed at many moments leave no temp file after the next run" {
  make_live_db "$W/live" neo4j 16384
  n=0 leftovers=0
  for moment in admin temp temp-1m temp-2m; do
    n=$((n + 1))
    neo4j-backup --timestamp="2026-01-01-01:00:0$n" >"$W/k.log" 2>&1 &
    pid=$!
    tries=3000
    case $moment in
      admin) until [ -s "$STANDIN_LOG" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      temp) until [ -n "$(find "$W/bucket" -name ".neo4j-*.tmp-$pid" 2>/dev/null)" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      temp-1m) until [ -n "$(find "$W/bucket" -name ".neo4j-*.tmp-$pid" -size +1M 2>/dev/null)" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      temp-2m) until [ -n "$(find "$W/bucket" -name ".neo4j-*.tmp-$pid" -size +2M 2>/dev/null)" ] || ((tries-- == 0)); do sleep 0.01; done ;;
    esac
    kill_tree "$pid"
    # what this kill left; the previous kill's temp file is gone already:
    # this run removed it when it started writing into the folder
    left=$(find "$W/bucket" -name '.*.tmp-*')
    echo "$moment: left ${left:-nothing}"
    [ -z "$left" ] || leftovers=$((leftovers + 1))
    [ "$(echo "$left" | grep -c .)" -le 1 ]
  done
  [ "$leftovers" -ge 1 ]
  run neo4j-backup --timestamp=2026-01-01-02:00:00
  echo "$output"
  assert_success
  # the last kill's temp file, when it left one (a fast compressor may
  # finish before the larger moments), is removed and said so
  [ -z "$left" ] || assert_output --partial "that was stopped before it finished"
  [ -z "$(find "$W/bucket" -name '.*')" ]
  restore_stamp 2026-01-01-02:00:00
}

@test "a backup removes only temp files it can prove stale: a live PID's or a locked one stays" {
  mkdir -p "$W/bucket/neo4j"
  dead=$(dead_pid)
  echo x >"$W/bucket/neo4j/.neo4j-2026-01-01-00:00:00.tar.gz.tmp-$dead"
  echo x >"$W/bucket/neo4j/.neo4j-2026-01-01-00:00:01.tar.gz.tmp-$$"
  echo x >"$W/bucket/neo4j/.neo4j-2026-01-01-00:00:02.tar.gz.tmp-$(dead_pid)"
  exec {lockfd}<"$W/bucket/neo4j/.neo4j-2026-01-01-00:00:02.tar.gz.tmp-"*
  flock -x "$lockfd"
  run neo4j-backup
  exec {lockfd}<&-
  assert_success
  [ ! -e "$W/bucket/neo4j/.neo4j-2026-01-01-00:00:00.tar.gz.tmp-$dead" ]
  [ -e "$W/bucket/neo4j/.neo4j-2026-01-01-00:00:01.tar.gz.tmp-$$" ]
  [ -n "$(find "$W/bucket/neo4j" -name '.neo4j-2026-01-01-00:00:02.tar.gz.tmp-*')" ]
}

@test "restores killed at many moments, and a marker's temp file, leave nothing after a successful run" {
  export STANDIN_VERSION=4.4.10
  make_live_db "$W/live" neo4j 16384
  run neo4j-backup
  assert_success
  for moment in lock staging download hang; do
    if [ "$moment" = hang ]; then
      export STANDIN_HANG=restore STANDIN_HANG_READY="$W/hang-ready"
    fi
    neo4j-restore >"$W/k.log" 2>&1 &
    pid=$!
    tries=3000
    case $moment in
      lock) until [ -e "$DATA_DIR/.restore/.lock" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      staging) until [ -d "$DATA_DIR/.restore/neo4j/backups" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      download) until [ -n "$(find "$DATA_DIR/.restore/neo4j" -type f -size +1M 2>/dev/null)" ] || ((tries-- == 0)); do sleep 0.01; done ;;
      hang) wait_for_file "$STANDIN_HANG_READY" ;;
    esac
    kill_tree "$pid"
    unset STANDIN_HANG STANDIN_HANG_READY
    rm -f "$W/hang-ready"
  done
  # a run killed while it wrote its marker
  echo "neo4j/neo4j-x.tar.gz" >"$DATA_DIR/.restore/.neo4j.restoring.tmp-$(dead_pid)"
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
  [ ! -e "$DATA_DIR/.restore" ]
}
