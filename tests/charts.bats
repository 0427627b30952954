#!/usr/bin/env bats
# The Helm charts as a whole: the real helm (from the CDK kubectl layer, see
# tests/charts/setup-tools.sh) lints both charts strictly and renders every
# file of deployment-scenarios/; every rendered object, of the scenarios and
# of a set of value variants, passes the Kubernetes API schemas (one node run
# over all of them, in setup_file). The toggles: chart_neo4j.bats,
# chart_backup.bats; refusals: chart_schema.bats; the restore run of a
# rendered pod: chart_podcheck.bats.

# Value variants rendered and validated besides the scenarios: each line is
# a chart (neo4j or backup), a name, and helm arguments.
VARIANTS='
neo4j defaults --set acceptLicenseAgreement=yes
neo4j standalone-community --set imageTag=5.26 --set core.standalone=true
neo4j neo4j44-standalone --set imageTag=4.4-enterprise --set acceptLicenseAgreement=yes --set core.standalone=true --set core.restore.enabled=true --set core.restore.bucket=gs://b
neo4j calver-cluster --set imageTag=2025.10.1-enterprise --set acceptLicenseAgreement=eval --set readReplica.numberOfServers=1
neo4j neo4j5-early-cluster --set imageTag=5.20-enterprise --set acceptLicenseAgreement=yes
neo4j no-persistence --set acceptLicenseAgreement=yes --set core.persistentVolume.enabled=false --set readReplica.numberOfServers=1 --set readReplica.persistentVolume.enabled=false
neo4j pass-throughs -f @FIXTURES@/pass-throughs.yaml
neo4j neo4j-helm-values -f @FIXTURES@/neo4j-helm-cluster-restore.yaml --set acceptLicenseAgreement=yes --set imageTag=4.4-enterprise
neo4j load-balancer --set acceptLicenseAgreement=yes --set core.service.type=LoadBalancer --set core.service.loadBalancerSourceRanges={10.0.0.0/8} --set podDisruptionBudget.maxUnavailable=1
backup backup-ci -f @BACKUP@/ci/default-values.yaml
backup backup-extras --set bucket=s3://b --set timeZone=Etc/UTC --set activeDeadlineSeconds=7200 --set serviceAccountName=graph-neo4j-sa --set tempVolumeMount.subPath=backups
backup backup-operations --set bucket=gs://b --set secretName=k --set drill.enabled=true --set drill.activeDeadlineSeconds=3600 --set retention.keepLast=3 --set retention.keepDaily=7 --set retention.keepWithin=36h --set logFormat=json --set metrics.pushgateway.url=http://pushgateway.monitoring:9091 --set prometheusRule.enabled=true --set prometheusRule.labels.release=kube-prometheus-stack
neo4j neo4j-operations --set acceptLicenseAgreement=yes --set core.restore.enabled=true --set core.restore.bucket=gs://b --set logFormat=json --set metrics.pushgateway.url=http://pushgateway.monitoring:9091 --set metrics.prometheus.enabled=true --set dbms.memory.heap.max_size=1g
'

setup_file() {
  load helpers
  load charts/chart_helpers
  chart_tools
  local out="$BATS_FILE_TMPDIR/rendered" f chart name args
  mkdir -p "$out"
  : >"$BATS_FILE_TMPDIR/render-errors"
  for f in "$SCENARIOS"/*.yaml; do
    "$HELM" template graph "$(scenario_chart "$f")" -f "$f" >"$out/$(basename "$f")" \
      2>>"$BATS_FILE_TMPDIR/render-errors" || echo "FAILED $f" >>"$BATS_FILE_TMPDIR/render-errors"
  done
  while read -r chart name args; do
    [ -n "$chart" ] || continue
    args=${args//@FIXTURES@/$CHART_FIXTURES}
    args=${args//@BACKUP@/$BACKUP_CHART}
    [ "$chart" = neo4j ] && chart=$NEO4J_CHART || chart=$BACKUP_CHART
    # shellcheck disable=SC2086 # the arguments are words
    "$HELM" template graph "$chart" $args >"$out/variant-$name.yaml" \
      2>>"$BATS_FILE_TMPDIR/render-errors" || echo "FAILED variant $name" >>"$BATS_FILE_TMPDIR/render-errors"
  done <<<"$VARIANTS"
  # One validation run over everything rendered.
  node "$PROJECT_ROOT/tests/charts/validate-k8s.js" "$out"/*.yaml >"$BATS_FILE_TMPDIR/validate.out" 2>&1 \
    && echo 0 >"$BATS_FILE_TMPDIR/validate.rc" || echo $? >"$BATS_FILE_TMPDIR/validate.rc"
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
}

@test "helm lint --strict: charts/neo4j, with its ci values and with every neo4j scenario" {
  run "$HELM" lint --strict "$NEO4J_CHART" -f "$NEO4J_CHART/ci/default-values.yaml"
  echo "$output"
  assert_success
  local f
  for f in "$SCENARIOS"/*.yaml; do
    [ "$(scenario_chart "$f")" = "$NEO4J_CHART" ] || continue
    run "$HELM" lint --strict "$NEO4J_CHART" -f "$f"
    echo "$f: $output"
    assert_success
  done
}

@test "helm lint --strict: charts/neo4j-backup, with its ci values and with every backup scenario" {
  run "$HELM" lint --strict "$BACKUP_CHART" -f "$BACKUP_CHART/ci/default-values.yaml"
  echo "$output"
  assert_success
  local f
  for f in "$SCENARIOS"/backup*.yaml; do
    run "$HELM" lint --strict "$BACKUP_CHART" -f "$f"
    echo "$f: $output"
    assert_success
  done
}

@test "helm template renders every file in deployment-scenarios/ and every variant" {
  run cat "$BATS_FILE_TMPDIR/render-errors"
  echo "$output"
  assert_output ""
  local f
  for f in "$SCENARIOS"/*.yaml; do
    [ -s "$BATS_FILE_TMPDIR/rendered/$(basename "$f")" ]
  done
}

@test "the scenarios the issue and the guide name are there" {
  local s
  for s in single-instance-restore single-instance-restore-aws single-instance-restore-azure \
    single-instance-restore-workload-identity cluster-restore cluster-restore-aws cluster-restore-azure \
    cluster-restore-workload-identity cluster-restore-aws-irsa cluster-restore-azure-workload-identity \
    cluster-restore-neo4j44 backup-gcs backup-aws backup-azure backup-workload-identity backup-neo4j44 \
    backup-operations; do
    [ -f "$SCENARIOS/$s.yaml" ] || fail "deployment-scenarios/$s.yaml is missing"
  done
}

@test "every rendered object passes the Kubernetes API schemas (kubernetes-models, unknown fields refused)" {
  run cat "$BATS_FILE_TMPDIR/validate.out"
  echo "$output"
  assert_output --regexp "validate-k8s: [0-9]+ objects in [0-9]+ files, 0 problems"
  [ "$(cat "$BATS_FILE_TMPDIR/validate.rc")" = 0 ]
}

@test "the validator does refuse a bad object: an unknown field, a wrong type, a bad enum" {
  cat >"$BATS_TEST_TMPDIR/bad.yaml" <<'EOF'
apiVersion: batch/v1
kind: CronJob
metadata: {name: bad}
spec:
  schedule: "0 * * * *"
  concurrencyPolicy: Never
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext: {runAsUser: "7474"}
          containers:
            - name: x
              image: x
              volumeMounts: [{name: v, mountPath: /v, readonly: true}]
EOF
  run node "$PROJECT_ROOT/tests/charts/validate-k8s.js" "$BATS_TEST_TMPDIR/bad.yaml"
  echo "$output"
  assert_failure 1
  assert_output --partial "concurrencyPolicy"
  assert_output --partial "runAsUser"
  assert_output --partial "'\"readonly\"' does not exist in type 'IVolumeMount'"
}

@test "every value of both charts has a ## @param line" {
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/check-params.py" "$NEO4J_CHART/values.yaml"
  echo "$output"
  assert_success
  run "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/check-params.py" "$BACKUP_CHART/values.yaml"
  echo "$output"
  assert_success
}

@test "standard labels come from one helper; selectors use name and instance (and component) only" {
  local f="$BATS_FILE_TMPDIR/rendered/cluster-restore.yaml"
  RENDERED=$f
  run q "$CORE" .spec.selector.matchLabels
  assert_output '{"app.kubernetes.io/component": "core", "app.kubernetes.io/instance": "graph", "app.kubernetes.io/name": "neo4j"}'
  run q Service/graph-neo4j .spec.selector
  assert_output '{"app.kubernetes.io/instance": "graph", "app.kubernetes.io/name": "neo4j"}'
  local kind name
  for kind in StatefulSet Service ConfigMap ServiceAccount Secret; do
    for name in $(q --names $kind); do
      run q "$kind/$name" .metadata.labels
      assert_output --partial '"app.kubernetes.io/managed-by": "Helm"'
      assert_output --partial '"app.kubernetes.io/version": "5.26"'
      assert_output --partial '"helm.sh/chart": "neo4j-0.1.0"'
    done
  done
  RENDERED="$BATS_FILE_TMPDIR/rendered/backup-gcs.yaml"
  run q CronJob/graph-neo4j-backup .metadata.labels
  assert_output --partial '"app.kubernetes.io/name": "neo4j-backup"'
  assert_output --partial '"app.kubernetes.io/instance": "graph"'
  assert_output --partial '"helm.sh/chart": "neo4j-backup-0.1.0"'
}

# readme_drift CHART_DIR: regenerates a copy of CHART_DIR/README.md with
# readme-generator-for-helm from CHART_DIR/values.yaml and prints the diff
# against the committed README (empty when the tables are current).
readme_drift() {
  local dir=$1 copy="$BATS_TEST_TMPDIR/README.md"
  cp "$dir/README.md" "$copy"
  "$PROJECT_ROOT/tests/node_modules/.bin/readme-generator" -v "$dir/values.yaml" -r "$copy" >"$BATS_TEST_TMPDIR/gen.log" 2>&1 ||
    { cat "$BATS_TEST_TMPDIR/gen.log"; return 2; }
  diff -u "$dir/README.md" "$copy"
}

@test "both charts' README parameter tables are what readme-generator-for-helm makes of values.yaml" {
  local chart
  for chart in "$NEO4J_CHART" "$BACKUP_CHART"; do
    run readme_drift "$chart"
    echo "$chart: $output"
    assert_success
    assert_output ""
    run grep -c '^| `' "$chart/README.md"
    [ "$output" -ge 40 ]
  done
  # every chart value is in its table
  run grep -F '| `drill.scratchSizeLimit`' "$BACKUP_CHART/README.md"
  assert_success
  run grep -F '| `dbms.memory.heap.max_size`' "$NEO4J_CHART/README.md"
  assert_success
}

@test "the README check fails when a table drifts from values.yaml, and on missing metadata" {
  local dir="$BATS_TEST_TMPDIR/chart"
  mkdir -p "$dir"
  cp "$BACKUP_CHART/README.md" "$BACKUP_CHART/values.yaml" "$dir/"
  sed -i 's/^jobSchedule: "0 \*\/12 \* \* \*"/jobSchedule: "0 3 * * *"/' "$dir/values.yaml"
  run readme_drift "$dir"
  echo "$output"
  assert_failure 1
  assert_output --partial '+| `jobSchedule`'
  cp "$BACKUP_CHART/values.yaml" "$dir/"
  printf 'undocumented: 1\n' >>"$dir/values.yaml"
  run readme_drift "$dir"
  echo "$output"
  assert_failure 2
  assert_output --partial "Missing metadata for key: undocumented"
}
