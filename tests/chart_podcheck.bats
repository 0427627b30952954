#!/usr/bin/env bats
# The pod check: the restore initContainer a scenario renders is run as its
# spec says (command, env, volume mounts at their absolute paths, runAsUser
# 7474 with fsGroup 7474, no privilege escalation), by tests/charts/podcheck.py
# in a private mount namespace, with the image emulated (neo4j-restore from
# BIN_DIR in /usr/local/bin, the neo4j-admin stand-in in /var/lib/neo4j/bin).
# The only change to the spec: BUCKET points at a local bucket (bind-mounted
# at /bucket) filled by neo4j-backup, and CLOUD_PROVIDER says local. The data
# must land in the volume the Neo4j container of the same pod mounts at /data.
#
# Needs root (unshare -m, chroot) and the built binaries; skipped otherwise.

setup_file() {
  load helpers
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || return 0
  [ -x "$BIN_DIR/neo4j-restore" ] && [ -x "$BIN_DIR/neo4j-backup" ] || return 0
  chart_tools
  source "$PROJECT_ROOT/tests/lib/live_db.bash"
  local f="$BATS_FILE_TMPDIR"
  make_live_db "$f/live" neo4j 256
  make_live_db "$f/live" system 64
  # One bucket per neo4j-admin dialect, each with a set of both databases.
  local version
  for version in 5.26.0 4.4.10; do
    mkdir -p "$f/bucket-$version" "$f/backups-$version"
    env -i PATH="$PROJECT_ROOT/tests/bin:$PATH" STANDIN_VERSION="$version" STANDIN_LIVE_DIR="$f/live" \
      BUCKET="file://$f/bucket-$version" BACKUP_DIR="$f/backups-$version" NEO4J_ADDR=graph-neo4j:6362 \
      DATABASE=neo4j,system "$BIN_DIR/neo4j-backup" --timestamp=2026-11-24-13:05:00 >"$f/backup-$version.log" 2>&1
    chmod -R a+rX "$f/bucket-$version"
  done
  for s in single-instance-restore cluster-restore cluster-restore-neo4j44; do
    "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/$s.yaml" >"$f/$s.yaml"
  done
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || skip "the pod check needs root (mount namespace, chroot, runAsUser)"
  [ -x "$BIN_DIR/neo4j-restore" ] && [ -x "$BIN_DIR/neo4j-backup" ] || skip "build the binaries first (make)"
  [ -x "$PROJECT_ROOT/tests/bin/neo4j-admin" ] || skip "the neo4j-admin stand-in is missing"
  [ -s "$BATS_FILE_TMPDIR/backup-5.26.0.log" ] || fail "setup_file did not run"
  grep -q "summary: system: backed up" "$BATS_FILE_TMPDIR/backup-5.26.0.log" ||
    fail "$(cat "$BATS_FILE_TMPDIR/backup-5.26.0.log")"
  grep -q "summary: system: backed up" "$BATS_FILE_TMPDIR/backup-4.4.10.log" ||
    fail "$(cat "$BATS_FILE_TMPDIR/backup-4.4.10.log")"
  STANDIN_LIVE_DIR="$BATS_FILE_TMPDIR/live"
}

# pod_check SCENARIO STATEFULSET VERSION [podcheck args...]: runs the restore
# initContainer of the scenario's StatefulSet against the bucket of VERSION;
# the report is in $REPORT, the container's output in $output.
pod_check() {
  local scenario=$1 sts=$2 version=$3
  shift 3
  POD_RUN=$((${POD_RUN:-0} + 1))
  REPORT="$BATS_TEST_TMPDIR/report-$POD_RUN.json"
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/podcheck.py" \
    --manifests "$BATS_FILE_TMPDIR/$scenario.yaml" --workload "StatefulSet/$sts" \
    --container restore-from-backup --work "$BATS_TEST_TMPDIR/pod-$POD_RUN" --bin-dir "$BIN_DIR" \
    --set-env BUCKET=file:///bucket --set-env CLOUD_PROVIDER=local \
    --image-env STANDIN_VERSION="$version" \
    --bind "$BATS_FILE_TMPDIR/bucket-$version:/bucket" --report "$REPORT" "$@"
  echo "$output"
}

@test "single-instance-restore: the restore initContainer fills the Neo4j container's /data" {
  pod_check single-instance-restore graph-neo4j-core 5.26.0 --readable /credentials/credentials
  assert_success
  assert_output --partial "as 7474:7474 (groups [7474]): neo4j-restore"
  assert_output --partial "/credentials/credentials is readable by 7474:7474"
  assert_output --partial "summary: neo4j: restored"
  assert_output --partial "summary: system: restored"
  run data_volume
  assert_success
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
  # written as the pod's user, group-owned by fsGroup
  [ "$(stat -c %u "$DATA_DIR/databases/neo4j/neostore")" = 7474 ]
  [ ! -e "$DATA_DIR/.restore" ]
}

@test "single-instance-restore: a restarted pod keeps its database (forceOverwrite false)" {
  pod_check single-instance-restore graph-neo4j-core 5.26.0
  assert_success
  run data_volume
  local first=$output
  # writes made after the backup, on the claim the pod had
  echo "written after the backup" >"$first/databases/neo4j/neostore.labeltokenstore.db"
  pod_check single-instance-restore graph-neo4j-core 5.26.0 --seed "datadir=$first"
  assert_success
  assert_output --partial "[neo4j] keeping the existing database in /data/databases/neo4j (FORCE_OVERWRITE=false)"
  run data_volume
  grep -q "written after the backup" "$output/databases/neo4j/neostore.labeltokenstore.db"
}

@test "cluster-restore (5.26): a core restores into its /data" {
  pod_check cluster-restore graph-neo4j-core 5.26.0
  assert_success
  refute_output --partial unbind
  run data_volume
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
}

@test "cluster-restore (5.26): a read replica restores into its /data" {
  pod_check cluster-restore graph-neo4j-replica 5.26.0
  assert_success
  run data_volume
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
}

@test "cluster-restore-neo4j44: a core is unbound (UNBIND=true) and restores into its /data" {
  mkdir -p "$BATS_TEST_TMPDIR/old/cluster-state/raft"
  pod_check cluster-restore-neo4j44 graph-neo4j-core 4.4.10 --seed "datadir=$BATS_TEST_TMPDIR/old"
  assert_success
  assert_output --partial "unbinding this cluster member before restore (UNBIND=true)"
  run data_volume
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
  [ ! -e "$DATA_DIR/cluster-state" ]
}

@test "cluster-restore-neo4j44: a read replica restores into its /data" {
  pod_check cluster-restore-neo4j44 graph-neo4j-replica 4.4.10
  assert_success
  run data_volume
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
}

@test "a failed restore fails the initContainer: no backup where the spec says one must be" {
  rm -rf "$BATS_TEST_TMPDIR/empty-bucket" && mkdir -p "$BATS_TEST_TMPDIR/empty-bucket"
  REPORT="$BATS_TEST_TMPDIR/report.json"
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/podcheck.py" \
    --manifests "$BATS_FILE_TMPDIR/single-instance-restore.yaml" --workload StatefulSet/graph-neo4j-core \
    --container restore-from-backup --work "$BATS_TEST_TMPDIR/pod" --bin-dir "$BIN_DIR" \
    --set-env BUCKET=file:///bucket --set-env CLOUD_PROVIDER=local --image-env STANDIN_VERSION=5.26.0 \
    --bind "$BATS_TEST_TMPDIR/empty-bucket:/bucket" --report "$REPORT"
  echo "$output"
  assert_failure 3
}
