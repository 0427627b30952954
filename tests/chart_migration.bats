#!/usr/bin/env bats
# Moving from neo4j-helm: an operator's old values file either works with
# its meaning, or is refused with a message naming the value and the fix;
# never silently less. The fixtures under tests/fixtures/charts/neo4j-helm/
# hold the values of neo4j-helm's own scenarios (single-instance restore,
# cluster restore, custom memory) and of its backup chart, unchanged.
# Rendering is deterministic too (GitOps tools render without a cluster).

setup_file() {
  load helpers
  load charts/chart_helpers
  chart_tools
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
  OLD="$CHART_FIXTURES/neo4j-helm"
}

refused() {
  local chart=$1
  shift
  run "$HELM" template graph "$chart" "$@"
  echo "$output"
  assert_failure
}

# config KEY: the value of neo4j.conf setting KEY in the core's ConfigMap.
config() {
  q ConfigMap/graph-neo4j-core-config ".data.$(echo "NEO4J_$1" | sed 's/_/__/g; s/\./_/g; s/^NEO4J__/NEO4J_/')"
}

@test "neo4j-helm single-instance-restore: refused until its forceOverwrite is acknowledged, naming the value" {
  refused "$NEO4J_CHART" -f "$OLD/single-instance-restore.yaml"
  assert_output --partial "core.restore.forceOverwrite is true on a single instance"
  assert_output --partial "set core.restore.acknowledgeForceOverwrite=true"
  render "$NEO4J_CHART" -f "$OLD/single-instance-restore.yaml" --set core.restore.acknowledgeForceOverwrite=true
  run q --env "$CORE" restore-from-backup
  assert_output --partial "BUCKET=gs://graph-backup-storage"
  assert_output --partial "FORCE_OVERWRITE=true"
  run q "$CORE" "$POD.volumes[name=credentials].secret.secretName"
  assert_output gcp-credentials
}

@test "neo4j-helm cluster-restore: each refusal names the next value to change, then it installs" {
  refused "$NEO4J_CHART" -f "$OLD/cluster-restore.yaml"
  assert_output --partial "acceptLicenseAgreement:"
  # neo4j-helm's bash restore image cannot run neo4j-restore: refused, not run
  refused "$NEO4J_CHART" -f "$OLD/cluster-restore.yaml" --set acceptLicenseAgreement=yes
  assert_output --partial "core.restore.image: gcr.io/neo4j-helm/restore is neo4j-helm's restore image"
  assert_output --partial "Remove core.restore.image and core.restore.imageTag"
  refused "$NEO4J_CHART" -f "$OLD/cluster-restore.yaml" --set acceptLicenseAgreement=yes \
    --set core.restore.image=neo4j-restore --set core.restore.imageTag=
  assert_output --partial "readReplica.restore.image: gcr.io/neo4j-helm/restore"
  local fixed=(--set acceptLicenseAgreement=yes --set core.restore.image=neo4j-restore --set core.restore.imageTag=
    --set readReplica.restore.image=neo4j-restore --set readReplica.restore.imageTag=)
  refused "$NEO4J_CHART" -f "$OLD/cluster-restore.yaml" "${fixed[@]}"
  assert_output --partial "neo4jPassword: Neo4j 5 and later refuse passwords shorter than 8 characters"
  # on Neo4j 4.4, as neo4j-helm ran it, the short password is fine
  render "$NEO4J_CHART" -f "$OLD/cluster-restore.yaml" "${fixed[@]}" --set imageTag=4.4-enterprise
  run q "$CORE" "$RESTORE.image"
  assert_output neo4j-restore:0.1.0-neo4j4.4
  run q "$REPLICA" .spec.replicas
  assert_output 1
  run q --env "$REPLICA" restore-from-backup
  assert_output --partial "BUCKET=gs://test-neo4j"
  assert_output --partial "UNBIND=true"
}

@test "neo4j-helm standalone-custom-memory-config: dbms.memory.* take effect as Neo4j 5's server.memory.* settings" {
  render "$NEO4J_CHART" -f "$OLD/standalone-custom-memory-config.yaml"
  run config server.memory.heap.initial_size
  assert_output 1024m
  run config server.memory.heap.max_size
  assert_output 1024m
  run config server.memory.pagecache.size
  assert_output 123m
  run config db.memory.transaction.max
  assert_output 60m
  run config dbms.memory.transaction.total.max
  assert_output 200m
  run config db.tx_state.memory_allocation
  assert_output ON_HEAP
  # no 4.4 name leaks into a 5 configuration
  run q ConfigMap/graph-neo4j-core-config .data
  refute_output --partial NEO4J_dbms_memory_heap
  refute_output --partial NEO4J_dbms_memory_pagecache
  # its resources are kept (merged with the default cpu request)
  run q "$CORE" "$NEO4J.resources"
  assert_output '{"limits": {"memory": "2G"}, "requests": {"cpu": "500m", "memory": "2G"}}'
}

@test "neo4j-helm dbms.memory.* on Neo4j 4.4 keep their 4.4 names; config wins over them" {
  render "$NEO4J_CHART" -f "$OLD/standalone-custom-memory-config.yaml" --set imageTag=4.4-enterprise \
    --set config.dbms\\.memory\\.pagecache\\.size=1g
  run config dbms.memory.heap.max_size
  assert_output 1024m
  run config dbms.memory.pagecache.size
  assert_output 1g
  run config dbms.memory.transaction.max_size
  assert_output 60m
  run config dbms.memory.transaction.global_max_size
  assert_output 200m
  run config dbms.tx_state.memory_allocation
  assert_output ON_HEAP
  run q ConfigMap/graph-neo4j-core-config .data
  refute_output --partial NEO4J_server_memory
}

@test "neo4j-helm use_memrec: refused, naming the settings to set instead" {
  refused "$NEO4J_CHART" -f "$OLD/standalone-custom-memory-config.yaml" --set dbms.memory.use_memrec=true
  assert_output --partial "dbms.memory.use_memrec: this chart does not run neo4j-admin memrec"
  assert_output --partial "dbms.memory.heap.max_size"
  assert_output --partial "dbms.memory.pagecache.size"
}

@test "neo4j-helm metrics.*: Neo4j's metrics settings of the chosen version" {
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true \
    --set metrics.prometheus.enabled=true --set metrics.prometheus.endpoint=0.0.0.0:2004 \
    --set metrics.csv.enabled=false --set metrics.graphite.server=graphite:2003
  run config server.metrics.prometheus.enabled
  assert_output true
  run config server.metrics.prometheus.endpoint
  assert_output 0.0.0.0:2004
  run config server.metrics.csv.enabled
  assert_output false
  run config server.metrics.graphite.server
  assert_output graphite:2003
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true --set imageTag=4.4-enterprise \
    --set metrics.jmx.enabled=false
  run config metrics.jmx.enabled
  assert_output false
  # unset: Neo4j's own defaults, nothing written
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.standalone=true
  run q ConfigMap/graph-neo4j-core-config .data
  refute_output --partial metrics
  refute_output --partial memory
}

@test "unknown keys are refused naming them: top level, per role, and neo4j-helm features this chart lacks" {
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set restoreSecret=neo4j-service-key
  assert_output --partial "additional properties 'restoreSecret' not allowed"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.antiAffinity=true
  assert_output --partial "core.antiAffinity: this chart has no such value"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set readReplica.autoscaling.enabled=true
  assert_output --partial "readReplica.autoscaling.enabled: this chart does not autoscale read replicas"
  refused "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set core.discoveryService.type=LoadBalancer
  assert_output --partial "core.discoveryService: this chart has no per-member discovery services"
  refused "$BACKUP_CHART" --set bucket=gs://b --set schedule="0 * * * *"
  assert_output --partial "additional properties 'schedule' not allowed"
}

@test "neo4j-helm values that change nothing here install, and NOTES says they can go" {
  run "$HELM" install --dry-run graph "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set rbac.create=true \
    --set testImage=gcr.io/neo4j-helm/tester --set name=neo4j --set readReplica.autoscaling.enabled=false \
    --set core.discoveryService.type=ClusterIP
  echo "$output"
  assert_success
  assert_output --partial "These neo4j-helm values have no effect in this chart and can be removed:"
  assert_output --partial "  - rbac.create (no Role is needed: nothing in these pods calls the Kubernetes API)"
  assert_output --partial "  - testImage (this chart has no helm test)"
  assert_output --partial "  - core.discoveryService"
  assert_output --partial "  - readReplica.autoscaling"
}

@test "neo4j-helm backup values: the old image is refused naming it; the rest installs as it was" {
  refused "$BACKUP_CHART" -f "$OLD/backup.yaml"
  assert_output --partial "image: gcr.io/neo4j-helm/backup is neo4j-helm's backup image"
  assert_output --partial "Remove image and imageTag"
  render "$BACKUP_CHART" -f "$OLD/backup.yaml" --set image=neo4j-backup --set imageTag=
  run q --env CronJob/graph-neo4j-backup neo4j-backup
  assert_output --partial "NEO4J_ADDR=holder-neo4j.default.svc.cluster.local:6362"
  assert_output --partial "CHECK_PROPERTY_OWNERS=false"
  run q CronJob/graph-neo4j-backup .spec.jobTemplate.spec.backoffLimit
  assert_output 6
}

@test "rendering is deterministic: every scenario twice, byte-identical, when a password or secret is given" {
  local f chart
  for f in "$SCENARIOS"/*.yaml; do
    chart=$(scenario_chart "$f")
    local extra=()
    [ "$chart" = "$NEO4J_CHART" ] && extra=(--set neo4jPassword=graph-secret-1)
    "$HELM" template graph "$chart" -f "$f" "${extra[@]}" >"$BATS_TEST_TMPDIR/a.yaml"
    "$HELM" template graph "$chart" -f "$f" "${extra[@]}" >"$BATS_TEST_TMPDIR/b.yaml"
    cmp "$BATS_TEST_TMPDIR/a.yaml" "$BATS_TEST_TMPDIR/b.yaml" || fail "$f renders differently twice"
  done
  # with an existing secret there is no Secret object, and nothing random
  "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" --set existingPasswordSecret=mine >"$BATS_TEST_TMPDIR/a.yaml"
  "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" --set existingPasswordSecret=mine >"$BATS_TEST_TMPDIR/b.yaml"
  cmp "$BATS_TEST_TMPDIR/a.yaml" "$BATS_TEST_TMPDIR/b.yaml"
  RENDERED="$BATS_TEST_TMPDIR/a.yaml"
  run q --names Secret
  assert_output ""
  # the backup chart with every option on
  local ops=(--set bucket=gs://b --set drill.enabled=true --set retention.keepLast=3 --set metrics.pushgateway.url=http://p:9091 --set prometheusRule.enabled=true)
  "$HELM" template graph "$BACKUP_CHART" "${ops[@]}" >"$BATS_TEST_TMPDIR/a.yaml"
  "$HELM" template graph "$BACKUP_CHART" "${ops[@]}" >"$BATS_TEST_TMPDIR/b.yaml"
  cmp "$BATS_TEST_TMPDIR/a.yaml" "$BATS_TEST_TMPDIR/b.yaml"
}

@test "a generated password differs between renders only in the Secret, and NOTES says so" {
  "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" >"$BATS_TEST_TMPDIR/a.yaml"
  "$HELM" template graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" >"$BATS_TEST_TMPDIR/b.yaml"
  run diff "$BATS_TEST_TMPDIR/a.yaml" "$BATS_TEST_TMPDIR/b.yaml"
  # one changed line: the Secret's data
  [ "$(echo "$output" | grep -c '^<')" = 1 ]
  assert_output --partial "neo4j-password:"
  run "$HELM" install --dry-run graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml"
  assert_output --partial "No neo4jPassword was given: the chart generated a random one"
  run "$HELM" install --dry-run graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" --set neo4jPassword=graph-secret-1
  refute_output --partial "generated a random one"
}

@test "neo4j-helm fullnamePrefix and fullnameSuffix name the objects as they did (prefix + name + suffix)" {
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set fullnamePrefix=prod- --set fullnameSuffix=-a
  run q --names StatefulSet
  assert_output prod-graph-neo4j-a-core
  run q StatefulSet/prod-graph-neo4j-a-core .spec.volumeClaimTemplates[0].metadata.name
  assert_output datadir
}
