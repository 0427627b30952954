#!/usr/bin/env bats
# Bad values are refused at install time, with a message that names the
# value: values.schema.json for what JSON schema can say, a `fail` in the
# templates for the rest (the single-instance forceOverwrite guard, the
# license, the edition).

setup_file() {
  load helpers
  load charts/chart_helpers
  chart_tools
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
}

# refused CHART [helm args...]: helm template must fail; $output holds the message.
refused() {
  local chart=$1
  shift
  run "$HELM" template graph "$chart" "$@"
  echo "$output"
  assert_failure
}

# restoring [helm args...]: the neo4j chart, a cluster that restores from gs://b.
restoring() {
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.restore.enabled=true "$@"
}

@test "schema: an unknown cloudProvider" {
  restoring --set core.restore.bucket=gs://b --set core.restore.cloudProvider=gcs
  assert_output --partial "at '/core/restore/cloudProvider': value must be one of 'gcp', 'aws', 'azure', 'local'"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set readReplica.restore.cloudProvider=google
  assert_output --partial "at '/readReplica/restore/cloudProvider'"
  refused "$BACKUP_CHART" --set bucket=gs://b --set cloudProvider=s3
  assert_output --partial "at '/cloudProvider': value must be one of"
}

@test "schema: a bucket whose scheme contradicts cloudProvider" {
  restoring --set core.restore.bucket=s3://b --set core.restore.cloudProvider=gcp
  assert_output --partial "at '/core/restore/cloudProvider': value must be one of 'aws', ''"
  restoring --set core.restore.bucket=gs://b --set core.restore.cloudProvider=azure
  assert_output --partial "at '/core/restore/cloudProvider': value must be one of 'gcp', ''"
  restoring --set core.restore.bucket=azb://c/p --set core.restore.cloudProvider=aws
  assert_output --partial "at '/core/restore/cloudProvider': value must be one of 'azure', ''"
  restoring --set core.restore.bucket=file:///backups --set core.restore.cloudProvider=gcp
  assert_output --partial "at '/core/restore/cloudProvider': value must be one of 'local', ''"
  refused "$BACKUP_CHART" --set bucket=gs://b --set cloudProvider=aws
  assert_output --partial "at '/cloudProvider': value must be one of 'gcp', ''"
}

@test "schema: a bucket the provider cannot be told from" {
  # neo4j-helm's bare Azure form needs cloudProvider azure
  restoring --set core.restore.bucket=graph-backups/prod
  assert_output --partial "at '/core/restore/cloudProvider': value must be 'azure'"
  restoring --set core.restore.bucket=https://minio.example.com/bucket
  assert_output --partial "at '/core/restore/cloudProvider': value must be 'azure'"
  restoring --set core.restore.bucket=gs://
  assert_output --partial "at '/core/restore/bucket': 'gs://' does not match pattern"
  restoring --set core.restore.bucket=ftp://host/x
  assert_output --partial "at '/core/restore/bucket': 'ftp://host/x' does not match pattern"
}

@test "schema: the bucket forms of DESIGN section 2 pass" {
  local ok
  for ok in "gs://b" "gs://b/path/" "s3://b/p" "azb://container/p" \
    "https://acct.blob.core.windows.net/container/p" "file:///mnt/backups" "/mnt/backups"; do
    run "$HELM" template graph "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.restore.enabled=true \
      --set core.restore.bucket="$ok"
    echo "$ok: $output"
    assert_success
  done
  run "$HELM" template graph "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.restore.enabled=true \
    --set core.restore.bucket=graph-backups/prod --set core.restore.cloudProvider=azure
  assert_success
}

@test "schema: fewer than 3 cores for a cluster" {
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.numberOfServers=2
  assert_output --partial "at '/core/numberOfServers': minimum: got 2, want 3"
  # a single instance ignores numberOfServers, as in neo4j-helm
  run "$HELM" template graph "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true \
    --set core.numberOfServers=1
  assert_success
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set readReplica.numberOfServers=-1
  assert_output --partial "at '/readReplica/numberOfServers'"
}

@test "schema: a malformed timestamp" {
  local bad
  for bad in "yesterday" "2026-11-24" "2026-11-24T13:05:00" "2026-13-24-13:05:00" "2026-11-24-25:05:00" "2026-11-24-13:05"; do
    restoring --set core.restore.bucket=gs://b --set core.restore.timestamp="$bad"
    assert_output --partial "at '/core/restore/timestamp': '$bad' does not match pattern"
  done
  run "$HELM" template graph "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.restore.enabled=true \
    --set core.restore.bucket=gs://b --set core.restore.timestamp=2026-11-24-13:05:00
  assert_success
}

@test "schema: restore.enabled without a bucket" {
  restoring
  assert_output --partial "at '/core/restore/bucket': minLength: got 0, want 1"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set readReplica.numberOfServers=1 \
    --set readReplica.restore.enabled=true --set readReplica.restore.bucket=null
  assert_output --partial "at '/readReplica/restore': missing property 'bucket'"
}

@test "schema: a misspelt restore setting, a bad database list, a bad flag" {
  restoring --set core.restore.bucket=gs://b --set core.restore.forcedOverwrite=true
  assert_output --partial "at '/core/restore': additional properties 'forcedOverwrite' not allowed"
  restoring --set core.restore.bucket=gs://b --set core.restore.database="neo4j\\,system;drop"
  assert_output --partial "at '/core/restore/database'"
  restoring --set core.restore.bucket=gs://b --set core.restore.forceOverwrite=yes
  assert_output --partial "at '/core/restore/forceOverwrite': value must be one of"
  restoring --set core.restore.bucket=gs://b --set core.restore.missingBackup=ignore
  assert_output --partial "at '/core/restore/missingBackup'"
}

@test "schema: workload identity values must look like what the clouds issue" {
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set serviceAccount.workloadIdentity.awsRoleArn=neo4j-role
  assert_output --partial "at '/serviceAccount/workloadIdentity/awsRoleArn'"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set serviceAccount.workloadIdentity.gcpServiceAccount=neo4j
  assert_output --partial "at '/serviceAccount/workloadIdentity/gcpServiceAccount'"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set serviceAccount.workloadIdentity.azureClientId=abc
  assert_output --partial "at '/serviceAccount/workloadIdentity/azureClientId'"
}

@test "guard: forceOverwrite on a single instance needs the acknowledgement, and says why" {
  run "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/single-instance-restore.yaml" \
    --set core.restore.forceOverwrite=true
  echo "$output"
  assert_failure
  assert_output --partial "core.restore.forceOverwrite is true on a single instance (core.standalone=true)"
  assert_output --partial "you will lose any data that the database captured between when the last backup was taken, and when the crash happened"
  assert_output --partial "set core.restore.acknowledgeForceOverwrite=true"
  assert_output --partial "set core.restore.forceOverwrite=false"
  # neo4j-helm's string form is caught too
  run "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/single-instance-restore.yaml" \
    --set-string core.restore.forceOverwrite=true
  assert_failure
  run "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/single-instance-restore.yaml" \
    --set core.restore.forceOverwrite=true --set core.restore.acknowledgeForceOverwrite=true
  assert_success
  render "$NEO4J_CHART" -f "$SCENARIOS/single-instance-restore.yaml" \
    --set core.restore.forceOverwrite=true --set core.restore.acknowledgeForceOverwrite=true
  run q "$CORE" "$RESTORE.env[name=FORCE_OVERWRITE].value"
  assert_output true
}

@test "guard: the default is safe, and a cluster may force-overwrite without the acknowledgement" {
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true \
    --set core.restore.enabled=true --set core.restore.bucket=gs://b
  run q "$CORE" "$RESTORE.env[name=FORCE_OVERWRITE].value"
  assert_output false
  run "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" --set core.restore.forceOverwrite=true
  assert_success
}

@test "fail: an Enterprise image without the license accepted" {
  refused "$NEO4J_CHART"
  assert_output --partial "acceptLicenseAgreement: the image neo4j:5.26-enterprise is Neo4j Enterprise Edition"
  assert_output --partial "--set acceptLicenseAgreement=yes"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=maybe
  assert_output --partial "at '/acceptLicenseAgreement'"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=eval --set imageTag=4.4-enterprise
  assert_output --partial 'acceptLicenseAgreement: "eval" exists from Neo4j 5 on'
}

@test "fail: a cluster or a restore on Community Edition, read replicas on a single instance" {
  refused "$NEO4J_CHART" --set imageTag=5.26
  assert_output --partial "core.standalone: a causal cluster (core.standalone=false) needs Neo4j Enterprise Edition"
  refused "$NEO4J_CHART" --set imageTag=5.26 --set core.standalone=true --set core.restore.enabled=true \
    --set core.restore.bucket=gs://b
  assert_output --partial "core.restore.enabled: restoring needs Neo4j Enterprise Edition"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true --set readReplica.numberOfServers=2
  assert_output --partial "readReplica.numberOfServers: read replicas (2) need a causal cluster"
}

@test "fail: a version the chart cannot tell or does not support" {
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set imageTag=enterprise
  assert_output --partial 'neo4jVersion: cannot tell the Neo4j version from imageTag "enterprise": set it'
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set imageTag=3.5-enterprise
  assert_output --partial "neo4jVersion: Neo4j 3.5 is not supported"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set imageTag=5.26-enterprise --set neo4jPassword=short
  assert_output --partial "neo4jPassword: Neo4j 5 and later refuse passwords shorter than 8 characters"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.persistentVolume.mountPath=/var/lib/neo4j/data
  assert_output --partial "at '/core/persistentVolume/mountPath'"
}

@test "backup schema: missing bucket, bad schedule, bad address, bad flag, bad size" {
  refused "$BACKUP_CHART"
  assert_output --partial "at '/bucket': minLength: got 0, want 1"
  refused "$BACKUP_CHART" --set bucket=gs://b --set jobSchedule="every day"
  assert_output --partial "at '/jobSchedule'"
  refused "$BACKUP_CHART" --set bucket=gs://b --set neo4jaddr=graph-neo4j
  assert_output --partial "at '/neo4jaddr'"
  refused "$BACKUP_CHART" --set bucket=gs://b --set-string checkConsistency=yes
  assert_output --partial "at '/checkConsistency': value must be one of"
  refused "$BACKUP_CHART" --set bucket=gs://b --set heapSize=lots
  assert_output --partial "at '/heapSize'"
  refused "$BACKUP_CHART" --set bucket=gs://b --set neo4jVersion=3.5
  assert_output --partial "at '/neo4jVersion'"
  refused "$BACKUP_CHART" --set bucket=gs://b --set serviceAccount.workloadIdentity.gcpServiceAccount=sa@p.iam.gserviceaccount.com
  assert_output --partial "serviceAccount.workloadIdentity is set but no service account is used"
}
