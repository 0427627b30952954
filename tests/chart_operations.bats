#!/usr/bin/env bats
# Operating the backups from the charts (DESIGN sections 11 and 12):
# retention values become KEEP_*, the restore drill is its own CronJob
# running `neo4j-backup verify --deep` on a scratch emptyDir, logs and
# Pushgateway settings reach both tools, and the PrometheusRule alerts on the
# metric names of section 12. Every object rendered here passes the API and
# CRD schemas (tests/charts/validate-k8s.js).

setup_file() {
  load helpers
  load charts/chart_helpers
  chart_tools
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
  CRON=CronJob/graph-neo4j-backup
  DRILL=CronJob/graph-neo4j-backup-drill
  JOBPOD=.spec.jobTemplate.spec.template.spec
  OPS=(--set bucket=gs://graph-backups --set secretName=neo4j-gcp-credentials --set drill.enabled=true
    --set metrics.pushgateway.url=http://pushgateway.monitoring:9091 --set prometheusRule.enabled=true)
}

validated() {
  run node "$PROJECT_ROOT/tests/charts/validate-k8s.js" "$RENDERED"
  echo "$output"
  assert_success
}

@test "retention values become the KEEP_* variables of the backup; none by default (nothing deleted)" {
  render "$BACKUP_CHART" --set bucket=gs://b
  run q --env "$CRON" neo4j-backup
  refute_output --partial KEEP_
  render "$BACKUP_CHART" --set bucket=gs://b --set retention.keepLast=3 --set retention.keepHourly=24 \
    --set retention.keepDaily=7 --set retention.keepWeekly=5 --set retention.keepMonthly=12 \
    --set retention.keepYearly=2 --set retention.keepWithin=36h
  run q --env "$CRON" neo4j-backup
  assert_output --partial "KEEP_DAILY=7
KEEP_HOURLY=24
KEEP_LAST=3
KEEP_MONTHLY=12
KEEP_WEEKLY=5
KEEP_WITHIN=36h
KEEP_YEARLY=2"
  # a string count from a values file is the same rule
  printf 'retention:\n  keepDaily: "7"\n' >"$BATS_TEST_TMPDIR/v.yaml"
  render "$BACKUP_CHART" --set bucket=gs://b -f "$BATS_TEST_TMPDIR/v.yaml"
  run q --env "$CRON" neo4j-backup
  assert_output --partial "KEEP_DAILY=7"
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set retention.keepDaily=-1
  assert_failure
  assert_output --partial "at '/retention/keepDaily'"
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set retention.keepWithin=forever
  assert_failure
  assert_output --partial "at '/retention/keepWithin'"
}

@test "the restore drill: a second CronJob, verify --deep on its own schedule, SCRATCH_DIR on a sized emptyDir" {
  render "$BACKUP_CHART" --set bucket=gs://b
  run q --names CronJob
  assert_output graph-neo4j-backup
  render "$BACKUP_CHART" "${OPS[@]}" --set drill.schedule="0 5 * * 6" --set drill.scratchSizeLimit=50Gi \
    --set drill.timestamp=all --set retention.keepDaily=7
  validated
  run q "$DRILL" .spec.schedule
  assert_output "0 5 * * 6"
  run q "$DRILL" .spec.concurrencyPolicy
  assert_output Forbid
  local c="$JOBPOD.containers[name=restore-drill]"
  run q "$DRILL" "$c.command"
  assert_output '["neo4j-backup"]'
  run q "$DRILL" "$c.args"
  assert_output '["verify", "--deep", "--timestamp=all"]'
  run q "$DRILL" "$JOBPOD.volumes[name=scratch]"
  assert_output '{"emptyDir": {"sizeLimit": "50Gi"}, "name": "scratch"}'
  run q "$DRILL" "$c.volumeMounts"
  assert_output '[{"mountPath": "/scratch", "name": "scratch"}, {"mountPath": "/credentials", "name": "credentials", "readOnly": true}]'
  run q --env "$DRILL" restore-drill
  assert_output --partial "BUCKET=gs://graph-backups"
  assert_output --partial "SCRATCH_DIR=/scratch"
  assert_output --partial "HEAP_SIZE=2G"
  assert_output --partial "CREDENTIALS_FILE=/credentials/credentials"
  # the drill restores and checks, it never prunes nor backs up
  refute_output --partial KEEP_
  refute_output --partial NEO4J_ADDR
  # a failed drill is reported, not retried
  run q "$DRILL" .spec.jobTemplate.spec.backoffLimit
  assert_output 0
  # the backup CronJob is unchanged by the drill
  run q "$CRON" "$JOBPOD.containers[name=neo4j-backup].args"
  assert_output "<absent>"
}

@test "the drill's name stays within a CronJob's 52 characters" {
  render "$BACKUP_CHART" --set bucket=gs://b --set drill.enabled=true \
    --set fullnameOverride=a-very-long-release-name-for-the-neo4j-backup-chart-x
  local name
  name=$(q --names CronJob | grep drill)
  echo "$name"
  [ "${#name}" -le 52 ]
}

@test "LOG_FORMAT and PUSHGATEWAY_URL reach the backup and the drill; each CronJob pushes as one stable instance" {
  render "$BACKUP_CHART" "${OPS[@]}" --set logFormat=json
  run q --env "$CRON" neo4j-backup
  assert_output --partial "LOG_FORMAT=json"
  assert_output --partial "PUSHGATEWAY_URL=http://pushgateway.monitoring:9091"
  assert_output --partial "POD_NAME=graph-neo4j-backup.default"
  run q --env "$DRILL" restore-drill
  assert_output --partial "LOG_FORMAT=json"
  assert_output --partial "PUSHGATEWAY_URL=http://pushgateway.monitoring:9091"
  assert_output --partial "POD_NAME=graph-neo4j-backup-drill.default"
  render "$BACKUP_CHART" --set bucket=gs://b
  run q --env "$CRON" neo4j-backup
  assert_output --partial "LOG_FORMAT=text"
  refute_output --partial PUSHGATEWAY_URL
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set logFormat=xml
  assert_failure
  assert_output --partial "at '/logFormat'"
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set metrics.pushgateway.url=pushgateway:9091
  assert_failure
  assert_output --partial "at '/metrics/pushgateway/url'"
}

@test "charts/neo4j: LOG_FORMAT and PUSHGATEWAY_URL reach the restore initContainer of every role" {
  render_scenario cluster-restore --set logFormat=json --set metrics.pushgateway.url=http://pushgateway.monitoring:9091
  validated
  local sts
  for sts in "$CORE" "$REPLICA"; do
    run q --env "$sts" restore-from-backup
    assert_output --partial "LOG_FORMAT=json"
    assert_output --partial "PUSHGATEWAY_URL=http://pushgateway.monitoring:9091"
    # the instance label: the pod's own (stable) StatefulSet name
    run q "$sts" "$RESTORE.env[name=POD_NAME].valueFrom.fieldRef.fieldPath"
    assert_output metadata.name
  done
  render_scenario cluster-restore
  run q --env "$CORE" restore-from-backup
  assert_output --partial "LOG_FORMAT=text"
  refute_output --partial PUSHGATEWAY_URL
}

@test "PrometheusRule: stale or failed backups and drills, per database, on the metric names of DESIGN section 12" {
  render "$BACKUP_CHART" "${OPS[@]}" --set prometheusRule.labels.release=kube-prometheus-stack \
    --set prometheusRule.backupMaxAgeSeconds=3600 --set prometheusRule.drillMaxAgeSeconds=86400
  validated
  local rule=PrometheusRule/graph-neo4j-backup sel='{job="neo4j-backup",instance="graph-neo4j-backup.default"}'
  run q "$rule" .metadata.labels.release
  assert_output kube-prometheus-stack
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jBackupTooOld].expr'
  assert_output "time() - max by (database) (neo4j_backup_last_success_timestamp_seconds$sel) > 3600"
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jBackupFailed].expr'
  assert_output "min by (database) (neo4j_backup_success$sel) == 0"
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jRestoreDrillTooOld].expr'
  assert_output 'time() - max by (database) (neo4j_verify_last_success_timestamp_seconds{instance="graph-neo4j-backup-drill.default"}) > 86400'
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jRestoreDrillFailed].expr'
  assert_output 'min by (database) (neo4j_verify_success{instance="graph-neo4j-backup-drill.default"}) == 0'
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jBackupFailed].labels'
  assert_output '{"severity": "warning"}'
  # the alert texts are Prometheus templates, passed through Helm intact
  run q "$rule" '.spec.groups[0].rules[alert=Neo4jBackupTooOld].annotations.summary'
  assert_output 'No successful Neo4j backup of {{ $labels.database }} for over 1h'
  # the pushed instance matches what the rule selects
  run q --env "$CRON" neo4j-backup
  assert_output --partial "POD_NAME=graph-neo4j-backup.default"
  # without the drill, no drill alerts
  render "$BACKUP_CHART" --set bucket=gs://b --set metrics.pushgateway.url=http://p:9091 --set prometheusRule.enabled=true
  run q "$rule" '.spec.groups[0].rules'
  refute_output --partial Drill
  # none unless asked, and not without a Pushgateway to read from
  render "$BACKUP_CHART" --set bucket=gs://b
  run q --names PrometheusRule
  assert_output ""
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set prometheusRule.enabled=true
  assert_failure
  assert_output --partial "prometheusRule.enabled: the alerts read what neo4j-backup pushes to a Pushgateway: also set metrics.pushgateway.url"
}

@test "the validator refuses a malformed PrometheusRule (a CRD: checked against its schema)" {
  cat >"$BATS_TEST_TMPDIR/bad.yaml" <<'EOF'
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: bad}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          labels: {severity: 3}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: typo}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          exp: up == 0
EOF
  run node "$PROJECT_ROOT/tests/charts/validate-k8s.js" "$BATS_TEST_TMPDIR/bad.yaml"
  echo "$output"
  assert_failure 1
  assert_output --partial "PrometheusRule/bad: data/spec/groups/0/rules/0/labels/severity must be string"
  assert_output --partial "PrometheusRule/typo: data/spec/groups/0/rules/0 must have required property expr"
  assert_output --partial "PrometheusRule/typo: Object literal may only specify known properties, and '\"exp\"' does not exist"
}

@test "NOTES: the retention in force (or that nothing is deleted), how to run a drill now, where metrics go" {
  run "$HELM" install --dry-run=client graph "$BACKUP_CHART" --set bucket=gs://b
  assert_output --partial "Retention: none set, so no backup is ever deleted"
  run "$HELM" install --dry-run=client graph "$BACKUP_CHART" "${OPS[@]}" --set retention.keepDaily=7 --set retention.keepWithin=30d
  echo "$output"
  assert_output --partial "sets no rule keeps are pruned (KEEP_DAILY=7, KEEP_WITHIN=30d)"
  assert_output --partial "kubectl -n default create job --from=cronjob/graph-neo4j-backup-drill graph-neo4j-backup-drill-now"
  assert_output --partial "Metrics are pushed to http://pushgateway.monitoring:9091 (job neo4j-backup, instance graph-neo4j-backup.default; the drill: job neo4j-verify, instance graph-neo4j-backup-drill.default)"
}

@test "deployment-scenarios/backup-operations.yaml: retention, drill, JSON logs, Pushgateway and alerts, all valid" {
  render_scenario backup-operations
  validated
  run q --names CronJob
  assert_output "graph-neo4j-backup
graph-neo4j-backup-drill"
  run q --env "$CRON" neo4j-backup
  assert_output --partial "KEEP_DAILY=7"
  assert_output --partial "KEEP_LAST=4"
  assert_output --partial "LOG_FORMAT=json"
  assert_output --partial "PUSHGATEWAY_URL=http://prometheus-pushgateway.monitoring.svc.cluster.local:9091"
  run q "$DRILL" "$JOBPOD.volumes[name=scratch].emptyDir.sizeLimit"
  assert_output 50Gi
  run q PrometheusRule/graph-neo4j-backup .metadata.labels.release
  assert_output kube-prometheus-stack
}
