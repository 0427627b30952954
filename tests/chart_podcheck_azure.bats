#!/usr/bin/env bats
# The pod check of the chart's Azure scenarios (see chart_podcheck.bats for
# what the pod check is) against azurite over HTTPS with OAuth
# (tests/lib/azurite.bash). The only changes to the rendered spec are what a
# test environment must change: the Blob endpoint points at azurite on
# loopback and the test CA is trusted (CA_BUNDLE), IMDS points at a closed
# port, and for workload identity the variables and the projected token
# that AKS's webhook adds to the pod are given, with the authority on
# loopback.
#
# Needs root (unshare -m, chroot) and the built binaries.

setup_file() {
  load helpers
  load lib/azurite
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || return 0
  chart_tools
  source "$PROJECT_ROOT/tests/lib/live_db.bash"
  local f="$BATS_FILE_TMPDIR"
  azurite_isolate_env
  azurite_start https
  azurite_make_container graph-backup-storage
  # the client id the workload identity scenario annotates
  export AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000
  azure_identity_start
  make_live_db "$f/live" neo4j 256
  make_live_db "$f/live" system 64
  env -i PATH="$PROJECT_ROOT/tests/bin:$PATH" STANDIN_VERSION=5.26.0 STANDIN_LIVE_DIR="$f/live" \
    BUCKET=azb://graph-backup-storage/prod BACKUP_DIR="$f/backups" NEO4J_ADDR=graph-neo4j:6362 \
    AZURE_STORAGE_BLOB_ENDPOINT="$AZURE_STORAGE_BLOB_ENDPOINT" CA_BUNDLE="$CA_BUNDLE" \
    AZURE_STORAGE_ACCOUNT_NAME="$AZURITE_ACCOUNT" AZURE_STORAGE_ACCOUNT_KEY="$AZURITE_ACCOUNT_KEY" \
    AZURE_IMDS_ENDPOINT="$AZURE_CLOSED_URL" \
    DATABASE=neo4j,system "$BIN_DIR/neo4j-backup" --timestamp=2026-11-24-13:05:00 >"$f/backup.log" 2>&1
  mkdir -p "$f/ca"
  cp "$AZURE_TEST_CA" "$f/ca/ca.pem"
  chmod -R a+rX "$f/ca"
  for s in single-instance-restore-azure cluster-restore-azure-workload-identity; do
    "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/$s.yaml" >"$f/$s.yaml"
  done
}

teardown_file() {
  load helpers
  load lib/azurite
  azure_identity_stop
  azurite_stop
}

setup() {
  load helpers
  load_bats_libs
  load lib/azurite
  load charts/chart_helpers
  [ "$(id -u)" = 0 ] || skip "the pod check needs root (mount namespace, chroot, runAsUser)"
  grep -q "summary: system: backed up" "$BATS_FILE_TMPDIR/backup.log" ||
    fail "$(cat "$BATS_FILE_TMPDIR/backup.log")"
  STANDIN_LIVE_DIR="$BATS_FILE_TMPDIR/live"
}

pod_check() {
  local scenario=$1 sts=$2
  shift 2
  REPORT="$BATS_TEST_TMPDIR/report.json"
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/podcheck.py" \
    --manifests "$BATS_FILE_TMPDIR/$scenario.yaml" --workload "StatefulSet/$sts" \
    --container restore-from-backup --work "$BATS_TEST_TMPDIR/pod" --bin-dir "$BIN_DIR" \
    --set-env AZURE_STORAGE_BLOB_ENDPOINT="$AZURE_STORAGE_BLOB_ENDPOINT" \
    --set-env CA_BUNDLE=/tmp/test-ca/ca.pem --bind "$BATS_FILE_TMPDIR/ca:/tmp/test-ca" \
    --set-env AZURE_IMDS_ENDPOINT="$AZURE_CLOSED_URL" \
    --image-env STANDIN_VERSION=5.26.0 --report "$REPORT" "$@"
  echo "$output"
}

@test "single-instance-restore-azure: the key secret's KEY=VALUE file, container/path, restore into /data" {
  printf 'export ACCOUNT_NAME=%s\nexport ACCOUNT_KEY=%s\n' "$AZURITE_ACCOUNT" "$AZURITE_ACCOUNT_KEY" \
    >"$BATS_TEST_TMPDIR/azure-credentials.sh"
  pod_check single-instance-restore-azure graph-neo4j-core \
    --secret "neo4j-azure-credentials/credentials=$BATS_TEST_TMPDIR/azure-credentials.sh" \
    --readable /credentials/credentials
  assert_success
  assert_output --partial "summary: neo4j: restored"
  assert_output --partial "summary: system: restored"
  [[ $output != *"$AZURITE_ACCOUNT_KEY"* ]] || fail "the key was printed"
  run data_volume
  assert_success
  DATA_DIR=$output
  restored_equals_live neo4j
  restored_equals_live system
}

@test "cluster-restore-azure-workload-identity: no secret, the projected token exchanged at the authority" {
  mkdir -p "$BATS_TEST_TMPDIR/aks"
  cp "$AZURE_FEDERATED_TOKEN_FILE" "$BATS_TEST_TMPDIR/aks/azure-identity-token"
  chmod -R a+rX "$BATS_TEST_TMPDIR/aks"
  azure_identity_ctl DELETE requests >/dev/null
  pod_check cluster-restore-azure-workload-identity graph-neo4j-core \
    --set-env AZURE_CLIENT_ID="$AZURE_CLIENT_ID" --set-env AZURE_TENANT_ID="$AZURE_TENANT_ID" \
    --set-env AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token \
    --set-env AZURE_AUTHORITY_HOST="$AZURE_AUTHORITY_HOST" \
    --bind "$BATS_TEST_TMPDIR/aks:/var/run/secrets/azure/tokens"
  assert_success
  assert_output --partial "summary: neo4j: restored"
  [[ $output != *"eyJ"* ]] || fail "a token was printed"
  run data_volume
  assert_success
  DATA_DIR=$output
  restored_equals_live neo4j
  [ "$(azure_identity_count token)" -ge 1 ]
}
