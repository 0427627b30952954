#!/usr/bin/env bats
# charts/neo4j-backup: the CronJob the values make (schedule, Forbid,
# history, the /backups volume, the secret or workload identity, and every
# neo4j-helm backup setting as the env neo4j-backup reads).

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

CRON=CronJob/graph-neo4j-backup
JOBPOD=.spec.jobTemplate.spec.template.spec
BACKUP='.spec.jobTemplate.spec.template.spec.containers[name=neo4j-backup]'

@test "backup-gcs: the CronJob, Forbid, its schedule and history limits" {
  render_scenario backup-gcs
  run q --names CronJob
  assert_output graph-neo4j-backup
  run q "$CRON" .spec.schedule
  assert_output "0 */12 * * *"
  run q "$CRON" .spec.concurrencyPolicy
  assert_output Forbid
  run q "$CRON" .spec.successfulJobsHistoryLimit
  assert_output 3
  run q "$CRON" .spec.failedJobsHistoryLimit
  assert_output 1
  run q "$CRON" "$JOBPOD.restartPolicy"
  assert_output Never
  run q "$CRON" "$BACKUP.command"
  assert_output '["neo4j-backup"]'
  run q "$CRON" "$BACKUP.image"
  assert_output neo4j-backup:0.1.0-neo4j5.26
}

@test "backup-gcs: every neo4j-helm setting, with its defaults, as the env of DESIGN section 5" {
  render_scenario backup-gcs
  run q --env "$CRON" neo4j-backup
  echo "$output"
  assert_output "NEO4J_ADDR=graph-neo4j.default.svc.cluster.local:6362
DATABASE=neo4j,system
CLOUD_PROVIDER=gcp
BUCKET=gs://graph-backup-storage
BACKUP_DIR=/backups
HEAP_SIZE=2G
PAGE_CACHE=2G
FALLBACK_TO_FULL=true
CHECK_CONSISTENCY=true
CHECK_INDEXES=true
CHECK_GRAPH=true
CHECK_LABEL_SCAN_STORE=true
CHECK_PROPERTY_OWNERS=false
REMOVE_EXISTING_FILES=true
REMOVE_BACKUP_FILES=true
CREDENTIALS_FILE=/credentials/credentials
LOG_FORMAT=text"
}

@test "backup-gcs: /backups on an emptyDir by default, the key secret read-only at /credentials" {
  render_scenario backup-gcs
  run q "$CRON" "$BACKUP.volumeMounts"
  assert_output '[{"mountPath": "/backups", "name": "backup"}, {"mountPath": "/credentials", "name": "credentials", "readOnly": true}]'
  run q "$CRON" "$JOBPOD.volumes[name=backup]"
  assert_output '{"emptyDir": {}, "name": "backup"}'
  run q "$CRON" "$JOBPOD.volumes[name=credentials].secret"
  assert_output '{"defaultMode": 288, "items": [{"key": "credentials", "path": "credentials"}], "secretName": "neo4j-gcp-credentials"}'
  run q "$CRON" "$JOBPOD.securityContext"
  assert_output '{"fsGroup": 7474, "fsGroupChangePolicy": "OnRootMismatch", "runAsGroup": 7474, "runAsNonRoot": true, "runAsUser": 7474, "seccompProfile": {"type": "RuntimeDefault"}}'
  run q "$CRON" "$BACKUP.securityContext.allowPrivilegeEscalation"
  assert_output false
}

@test "tempVolume: any volume source, and tempVolumeMount.subPath" {
  # from a values file, the given source replaces the default emptyDir
  printf 'tempVolume:\n  persistentVolumeClaim:\n    claimName: backup-scratch\n' >"$BATS_TEST_TMPDIR/v.yaml"
  render "$BACKUP_CHART" --set bucket=gs://b -f "$BATS_TEST_TMPDIR/v.yaml" --set tempVolumeMount.subPath=neo4j
  run q "$CRON" "$JOBPOD.volumes[name=backup]"
  assert_output '{"name": "backup", "persistentVolumeClaim": {"claimName": "backup-scratch"}}'
  run q "$CRON" "$BACKUP.volumeMounts[name=backup].subPath"
  assert_output neo4j
  render "$BACKUP_CHART" --set bucket=gs://b --set tempVolume.emptyDir.sizeLimit=50Gi
  run q "$CRON" "$JOBPOD.volumes[name=backup]"
  assert_output '{"emptyDir": {"sizeLimit": "50Gi"}, "name": "backup"}'

}

@test "secretName null: no secret volume, no mount; workload identity on the created account" {
  render_scenario backup-workload-identity
  run q "$CRON" "$JOBPOD.volumes"
  assert_output '[{"emptyDir": {}, "name": "backup"}]'
  run q "$CRON" "$BACKUP.volumeMounts"
  assert_output '[{"mountPath": "/backups", "name": "backup"}]'
  run q --env "$CRON" neo4j-backup
  refute_output --partial CREDENTIALS_FILE
  run q ServiceAccount/graph-neo4j-backup .metadata.annotations
  assert_output '{"iam.gke.io/gcp-service-account": "neo4j-backup@my-project.iam.gserviceaccount.com"}'
  run q "$CRON" "$JOBPOD.serviceAccountName"
  assert_output graph-neo4j-backup
}

@test "serviceAccountName reuses an existing account (e.g. the neo4j chart's); none by default" {
  render "$BACKUP_CHART" --set bucket=gs://b --set serviceAccountName=graph-neo4j-sa
  run q "$CRON" "$JOBPOD.serviceAccountName"
  assert_output graph-neo4j-sa
  run q --names ServiceAccount
  assert_output ""
  render "$BACKUP_CHART" --set bucket=gs://b
  run q "$CRON" "$JOBPOD.serviceAccountName"
  assert_output "<absent>"
}

@test "IRSA and Azure workload identity annotations; the Azure pod label" {
  render "$BACKUP_CHART" --set bucket=s3://b --set serviceAccount.create=true \
    --set serviceAccount.workloadIdentity.awsRoleArn=arn:aws:iam::111122223333:role/neo4j-backup
  run q ServiceAccount/graph-neo4j-backup .metadata.annotations
  assert_output '{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/neo4j-backup"}'
  render "$BACKUP_CHART" --set bucket=azb://c --set serviceAccount.create=true \
    --set serviceAccount.workloadIdentity.azureClientId=00000000-0000-0000-0000-000000000000
  run q ServiceAccount/graph-neo4j-backup .metadata.annotations
  assert_output '{"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"}'
  run q "$CRON" '.spec.jobTemplate.spec.template.metadata.labels'
  assert_output --partial '"azure.workload.identity/use": "true"'
}

@test "neo4j-helm's string and boolean flags both reach the env as true/false" {
  render "$BACKUP_CHART" --set bucket=gs://b --set checkConsistency=false --set-string fallbackToFull=false \
    --set checkPropertyOwners=true --set removeBackupFiles=false
  run q --env "$CRON" neo4j-backup
  assert_output --partial "CHECK_CONSISTENCY=false"
  assert_output --partial "FALLBACK_TO_FULL=false"
  assert_output --partial "CHECK_PROPERTY_OWNERS=true"
  assert_output --partial "REMOVE_BACKUP_FILES=false"
}

@test "schedule options: timeZone, suspend, deadlines, backoff; image tag from neo4jVersion" {
  render "$BACKUP_CHART" --set bucket=gs://b --set timeZone=Europe/Paris --set suspend=true \
    --set startingDeadlineSeconds=600 --set activeDeadlineSeconds=7200 --set backoffLimit=0 --set neo4jVersion=4.4
  run q "$CRON" .spec.timeZone
  assert_output Europe/Paris
  run q "$CRON" .spec.suspend
  assert_output true
  run q "$CRON" .spec.startingDeadlineSeconds
  assert_output 600
  run q "$CRON" .spec.jobTemplate.spec.activeDeadlineSeconds
  assert_output 7200
  run q "$CRON" .spec.jobTemplate.spec.backoffLimit
  assert_output 0
  run q "$CRON" "$BACKUP.image"
  assert_output neo4j-backup:0.1.0-neo4j4.4
  render "$BACKUP_CHART" --set bucket=gs://b --set startingDeadlineSeconds=null
  run q "$CRON" .spec.startingDeadlineSeconds
  assert_output "<absent>"
}

@test "pass-throughs: sidecars (both names), initContainers, extra volumes, mounts and env" {
  render "$BACKUP_CHART" --set bucket=gs://b --set 'sidecars[0].name=a' --set 'sidecars[0].image=busybox' \
    --set 'sidecarContainers[0].name=b' --set 'sidecarContainers[0].image=busybox' \
    --set 'initContainers[0].name=i' --set 'initContainers[0].image=busybox' \
    --set 'extraVolumes[0].name=v' --set 'extraVolumes[0].emptyDir.medium=Memory' \
    --set 'extraVolumeMounts[0].name=v' --set 'extraVolumeMounts[0].mountPath=/v' \
    --set 'extraEnv[0].name=AWS_REGION' --set 'extraEnv[0].value=eu-west-1' --set shareProcessNamespace=true
  run q "$CRON" "$JOBPOD.containers[1].name"
  assert_output a
  run q "$CRON" "$JOBPOD.containers[2].name"
  assert_output b
  run q "$CRON" "$JOBPOD.initContainers[0].name"
  assert_output i
  run q "$CRON" "$JOBPOD.volumes[name=v].emptyDir.medium"
  assert_output Memory
  run q "$CRON" "$BACKUP.volumeMounts[name=v].mountPath"
  assert_output /v
  run q "$CRON" "$BACKUP.env[name=AWS_REGION].value"
  assert_output eu-west-1
  run q "$CRON" "$JOBPOD.shareProcessNamespace"
  assert_output true
}

@test "backup scenarios for each provider: their bucket and provider reach the env" {
  render_scenario backup-aws
  run q "$CRON" "$BACKUP.env[name=BUCKET].value"
  assert_output s3://graph-backup-storage/prod
  run q "$CRON" "$BACKUP.env[name=CLOUD_PROVIDER].value"
  assert_output aws
  render_scenario backup-azure
  run q "$CRON" "$BACKUP.env[name=BUCKET].value"
  assert_output graph-backup-storage/prod
  run q "$CRON" "$BACKUP.env[name=CLOUD_PROVIDER].value"
  assert_output azure
  render_scenario backup-neo4j44
  run q "$CRON" "$BACKUP.image"
  assert_output neo4j-backup:0.1.0-neo4j4.4
}
