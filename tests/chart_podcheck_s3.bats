#!/usr/bin/env bats
# The pod check of the chart's S3 scenarios (see chart_podcheck.bats for
# what the pod check is) against a real S3 server, Ceph RGW
# (tests/lib/rgw.bash). The only changes to the rendered spec are what a
# test environment must change: the S3 and STS endpoints point at RGW on
# loopback, IMDS is off, and for IRSA the two variables and the projected
# token that EKS's webhook adds to every container are given.
#
# Needs root (unshare -m, chroot) and the built binaries.

setup_file() {
  load helpers
  load lib/rgw
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || return 0
  chart_tools
  source "$PROJECT_ROOT/tests/lib/live_db.bash"
  local f="$BATS_FILE_TMPDIR"
  rgw_start "$f/rgw"
  rgw_make_bucket graph-backup-storage
  make_live_db "$f/live" neo4j 256
  make_live_db "$f/live" system 64
  env -i PATH="$PROJECT_ROOT/tests/bin:$PATH" STANDIN_VERSION=5.26.0 STANDIN_LIVE_DIR="$f/live" \
    BUCKET=s3://graph-backup-storage/prod BACKUP_DIR="$f/backups" NEO4J_ADDR=graph-neo4j:6362 \
    AWS_ENDPOINT_URL_S3="$RGW_ENDPOINT" AWS_REGION="$RGW_REGION" AWS_EC2_METADATA_DISABLED=true \
    AWS_ACCESS_KEY_ID="$RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RGW_SECRET_KEY" \
    DATABASE=neo4j,system "$BIN_DIR/neo4j-backup" --timestamp=2026-11-24-13:05:00 >"$f/backup.log" 2>&1
  for s in single-instance-restore-aws cluster-restore-aws-irsa; do
    "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/$s.yaml" >"$f/$s.yaml"
  done
}

teardown_file() {
  load helpers
  load lib/rgw
  rgw_load_env "$BATS_FILE_TMPDIR/rgw" 2>/dev/null && rgw_stop
  true
}

setup() {
  load helpers
  load_bats_libs
  load lib/rgw
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || skip "the pod check needs root (mount namespace, chroot, runAsUser)"
  grep -q "summary: system: backed up" "$BATS_FILE_TMPDIR/backup.log" ||
    fail "$(cat "$BATS_FILE_TMPDIR/backup.log")"
  rgw_load_env "$BATS_FILE_TMPDIR/rgw"
  STANDIN_LIVE_DIR="$BATS_FILE_TMPDIR/live"
}

pod_check() {
  local scenario=$1 sts=$2
  shift 2
  REPORT="$BATS_TEST_TMPDIR/report.json"
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/podcheck.py" \
    --manifests "$BATS_FILE_TMPDIR/$scenario.yaml" --workload "StatefulSet/$sts" \
    --container restore-from-backup --work "$BATS_TEST_TMPDIR/pod" --bin-dir "$BIN_DIR" \
    --set-env AWS_ENDPOINT_URL_S3="$RGW_ENDPOINT" --set-env AWS_ENDPOINT_URL_STS="$RGW_ENDPOINT" \
    --set-env AWS_REGION="$RGW_REGION" --set-env AWS_EC2_METADATA_DISABLED=true \
    --image-env STANDIN_VERSION=5.26.0 --report "$REPORT" "$@"
  echo "$output"
}

@test "single-instance-restore-aws: the key secret's INI file, restore from S3 into /data" {
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n' \
    "$RGW_ACCESS_KEY" "$RGW_SECRET_KEY" "$RGW_REGION" >"$BATS_TEST_TMPDIR/aws-credentials"
  pod_check single-instance-restore-aws graph-neo4j-core \
    --secret "neo4j-aws-credentials/credentials=$BATS_TEST_TMPDIR/aws-credentials" \
    --readable /credentials/credentials
  assert_success
  assert_output --partial "summary: neo4j: restored"
  assert_output --partial "summary: system: restored"
  [[ $output != *"$RGW_SECRET_KEY"* ]] || fail "the secret was printed"
  run data_volume
  assert_success
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
}

@test "cluster-restore-aws-irsa: no secret, the projected web identity token exchanged at STS" {
  mkdir -p "$BATS_TEST_TMPDIR/eks"
  rgw_make_web_identity_token "$BATS_TEST_TMPDIR/eks/token"
  chmod -R a+rX "$BATS_TEST_TMPDIR/eks"
  pod_check cluster-restore-aws-irsa graph-neo4j-core \
    --set-env AWS_ROLE_ARN="$RGW_ROLE_ARN" \
    --set-env AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token \
    --bind "$BATS_TEST_TMPDIR/eks:/var/run/secrets/eks.amazonaws.com/serviceaccount"
  assert_success
  assert_output --partial "summary: neo4j: restored"
  run data_volume
  assert_success
  DATA_DIR=$output
  restored_equals_live neo4j
  # a reader of the role, not the test user's key, fetched the set
  # the role's session (no access key of a user) fetched the set: the ops
  # log is written asynchronously, so wait for the line
  rgw_ops_log_wait "^get_obj	20[06]	[0-9]+	[0-9]+		GET /graph-backup-storage/prod/neo4j/neo4j-2026-11-24-13%3A05%3A00\.tar\.gz"
}
