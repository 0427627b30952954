#!/usr/bin/env bats
# Pod security of both charts: every pod template they render by default
# (every scenario, and the variants below) passes the Kubernetes "restricted"
# Pod Security level, as tests/charts/psscheck.py checks it from the Pod
# Security Standards document; the checker itself refuses a pod breaking any
# one rule. Also: no service-account token where nothing needs it, and the
# default resources.

# Variants besides the scenarios (chart, name, helm arguments). Values that
# add the user's own containers (sidecars) are the user's to secure and are
# not here.
VARIANTS='
neo4j defaults --set acceptLicenseAgreement=yes
neo4j standalone --set acceptLicenseAgreement=yes --set core.standalone=true
neo4j neo4j44-cluster --set imageTag=4.4-enterprise --set acceptLicenseAgreement=yes --set readReplica.numberOfServers=1 --set core.restore.enabled=true --set core.restore.bucket=gs://b --set readReplica.restore.enabled=true --set readReplica.restore.bucket=gs://b
neo4j no-persistence --set acceptLicenseAgreement=yes --set core.persistentVolume.enabled=false
neo4j metrics --set acceptLicenseAgreement=yes --set core.restore.enabled=true --set core.restore.bucket=s3://b --set metrics.pushgateway.url=http://pushgateway:9091 --set logFormat=json
backup backup-ci -f @BACKUP@/ci/default-values.yaml
backup backup-ops --set bucket=gs://b --set secretName=k --set drill.enabled=true --set retention.keepDaily=7 --set metrics.pushgateway.url=http://pushgateway:9091 --set prometheusRule.enabled=true
backup backup-ephemeral --set bucket=gs://b --set tempVolume.ephemeral.volumeClaimTemplate.spec.accessModes={ReadWriteOnce} --set tempVolume.ephemeral.volumeClaimTemplate.spec.resources.requests.storage=100Gi
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
    args=${args//@BACKUP@/$BACKUP_CHART}
    [ "$chart" = neo4j ] && chart=$NEO4J_CHART || chart=$BACKUP_CHART
    # shellcheck disable=SC2086 # the arguments are words
    "$HELM" template graph "$chart" $args >"$out/variant-$name.yaml" \
      2>>"$BATS_FILE_TMPDIR/render-errors" || echo "FAILED variant $name" >>"$BATS_FILE_TMPDIR/render-errors"
  done <<<"$VARIANTS"
}

setup() {
  load helpers
  load_bats_libs
  load charts/chart_helpers
}

psscheck() {
  "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/psscheck.py" "$@"
}

# mutated SCENARIO KIND/NAME PYTHON: writes $BATS_TEST_TMPDIR/m.yaml, the
# scenario's rendering with PYTHON run on the named object's pod spec `p`
# (its metadata is `m`, the containers `c`, the restore initContainer `i`).
mutated() {
  "$SYS_PYTHON" - "$BATS_FILE_TMPDIR/rendered/$1.yaml" "$2" "$3" >"$BATS_TEST_TMPDIR/m.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kind, name = sys.argv[2].split("/")
for d in docs:
    if d["kind"] == kind and d["metadata"]["name"] == name:
        t = d["spec"]["template"]
        m, p = t.setdefault("metadata", {}), t["spec"]
        c = p["containers"]
        i = (p.get("initContainers") or [None])[0]
        exec(sys.argv[3])
print(yaml.safe_dump_all(docs))
PY
}

@test "every pod template of every scenario and default variant passes the restricted Pod Security level" {
  run cat "$BATS_FILE_TMPDIR/render-errors"
  assert_output ""
  run psscheck "$BATS_FILE_TMPDIR"/rendered/*.yaml
  echo "$output"
  assert_success
  assert_output --regexp "psscheck: [0-9]+ pod templates in [0-9]+ files, 0 violations"
  # it did look at pods: StatefulSets, the backup and drill CronJobs
  local pods
  pods=$(echo "$output" | sed -n 's/^psscheck: \([0-9]*\) pod templates.*/\1/p')
  [ "$pods" -ge 30 ]
}

@test "the checker refuses a pod breaking any one rule (one case per rule of the document)" {
  local sts=StatefulSet/graph-neo4j-core case control code
  # control | mutation of a pod that passes
  while IFS='|' read -r control code; do
    [ -n "$control" ] || continue
    mutated single-instance-restore "$sts" "$code"
    run psscheck "$BATS_TEST_TMPDIR/m.yaml"
    echo "$control: $output"
    assert_failure 1
    assert_output --partial ": $control: "
  done <<'CASES'
HostProcess|p["securityContext"]["windowsOptions"] = {"hostProcess": True}
Host Namespaces|p["hostNetwork"] = True
Host Namespaces|p["hostPID"] = True
Host Namespaces|p["hostIPC"] = True
Privileged Containers|c[0]["securityContext"]["privileged"] = True
Capabilities|c[0]["securityContext"]["capabilities"]["add"] = ["SYS_ADMIN"]
HostPath Volumes|p["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
Host Ports|c[0]["ports"][0]["hostPort"] = 7687
AppArmor|p["securityContext"]["appArmorProfile"] = {"type": "Unconfined"}
AppArmor|m["annotations"] = {"container.apparmor.security.beta.kubernetes.io/neo4j": "unconfined"}
SELinux|i["securityContext"]["seLinuxOptions"] = {"type": "spc_t"}
SELinux|p["securityContext"]["seLinuxOptions"] = {"user": "system_u"}
/proc Mount Type|c[0]["securityContext"]["procMount"] = "Unmasked"
Seccomp|c[0]["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
Sysctls|p["securityContext"]["sysctls"] = [{"name": "kernel.msgmax", "value": "65536"}]
Volume Types|p["volumes"].append({"name": "nfs", "nfs": {"server": "nas", "path": "/"}})
Volume Types|p["volumes"].append({"name": "disk", "gcePersistentDisk": {"pdName": "d"}})
Privilege Escalation|i["securityContext"]["allowPrivilegeEscalation"] = True
Privilege Escalation|del c[0]["securityContext"]["allowPrivilegeEscalation"]
Running as Non-root|p["securityContext"]["runAsNonRoot"] = False
Running as Non-root|del p["securityContext"]["runAsNonRoot"]; del i["securityContext"]["runAsNonRoot"]
Running as Non-root user|i["securityContext"]["runAsUser"] = 0
Running as Non-root user|p["securityContext"]["runAsUser"] = 0
Seccomp|del p["securityContext"]["seccompProfile"]; del i["securityContext"]["seccompProfile"]
Capabilities|c[0]["securityContext"]["capabilities"]["drop"] = ["NET_RAW"]
Capabilities|c[0]["securityContext"]["capabilities"]["add"] = ["CHOWN"]
CASES
  # and the unmutated pod passes, so each failure above is its rule's
  mutated single-instance-restore "$sts" "pass"
  run psscheck "$BATS_TEST_TMPDIR/m.yaml"
  assert_success
  # pod-level seccomp and runAsNonRoot cover containers that leave them out
  mutated single-instance-restore "$sts" 'del c[0]["securityContext"]["seccompProfile"]; del c[0]["securityContext"]["runAsNonRoot"]'
  run psscheck "$BATS_TEST_TMPDIR/m.yaml"
  assert_success
}

@test "a value that lowers the security context is caught by the checker" {
  render "$BACKUP_CHART" --set bucket=gs://b --set containerSecurityContext.allowPrivilegeEscalation=true
  run psscheck "$RENDERED"
  assert_failure 1
  assert_output --partial "CronJob/graph-neo4j-backup: Privilege Escalation"
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set securityContext.seccompProfile=null \
    --set containerSecurityContext.seccompProfile=null
  run psscheck "$RENDERED"
  assert_failure 1
  assert_output --partial "StatefulSet/graph-neo4j-core: Seccomp"
}

@test "tempVolume refuses volume types the restricted level forbids, naming the value" {
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set tempVolume.hostPath.path=/mnt
  assert_failure
  assert_output --partial 'tempVolume.hostPath: the Kubernetes "restricted" Pod Security level refuses this volume type'
  run "$HELM" template graph "$BACKUP_CHART" --set bucket=gs://b --set tempVolume.nfs.server=nas --set tempVolume.nfs.path=/
  assert_failure
  assert_output --partial "tempVolume.nfs:"
}

@test "no service-account token where nothing needs it; mounted for workload identity" {
  RENDERED="$BATS_FILE_TMPDIR/rendered/single-instance-restore.yaml"
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output false
  RENDERED="$BATS_FILE_TMPDIR/rendered/variant-defaults.yaml"
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output false
  RENDERED="$BATS_FILE_TMPDIR/rendered/single-instance-restore-workload-identity.yaml"
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output true
  RENDERED="$BATS_FILE_TMPDIR/rendered/cluster-restore-aws-irsa.yaml"
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output true
  RENDERED="$BATS_FILE_TMPDIR/rendered/backup-gcs.yaml"
  run q CronJob/graph-neo4j-backup .spec.jobTemplate.spec.template.spec.automountServiceAccountToken
  assert_output false
  RENDERED="$BATS_FILE_TMPDIR/rendered/backup-workload-identity.yaml"
  run q CronJob/graph-neo4j-backup .spec.jobTemplate.spec.template.spec.automountServiceAccountToken
  assert_output true
  # the value wins either way
  render "$NEO4J_CHART" --set acceptLicenseAgreement=yes --set automountServiceAccountToken=true
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output true
  render_scenario backup-workload-identity --set automountServiceAccountToken=false
  run q CronJob/graph-neo4j-backup .spec.jobTemplate.spec.template.spec.automountServiceAccountToken
  assert_output false
}

@test "default resources: Neo4j and restore requests, a restore memory limit; values override" {
  RENDERED="$BATS_FILE_TMPDIR/rendered/cluster-restore.yaml"
  local sts
  for sts in "$CORE" "$REPLICA"; do
    run q "$sts" "$NEO4J.resources"
    assert_output '{"requests": {"cpu": "500m", "memory": "2Gi"}}'
    run q "$sts" "$RESTORE.resources"
    assert_output '{"limits": {"memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "512Mi"}}'
  done
  render_scenario single-instance-restore --set core.restore.resources.limits.memory=4Gi \
    --set core.resources.limits.memory=8Gi
  run q "$CORE" "$RESTORE.resources"
  assert_output '{"limits": {"memory": "4Gi"}, "requests": {"cpu": "500m", "memory": "512Mi"}}'
  run q "$CORE" "$NEO4J.resources"
  assert_output '{"limits": {"memory": "8Gi"}, "requests": {"cpu": "500m", "memory": "2Gi"}}'
}

@test "default backup resources follow heapSize and pageCache (neo4j-admin's JVM + 512Mi)" {
  local BACKUP='.spec.jobTemplate.spec.template.spec.containers[name=neo4j-backup]'
  RENDERED="$BATS_FILE_TMPDIR/rendered/backup-gcs.yaml"
  run q CronJob/graph-neo4j-backup "$BACKUP.resources"
  assert_output '{"limits": {"memory": "4608Mi"}, "requests": {"cpu": "1", "memory": "4608Mi"}}'
  render "$BACKUP_CHART" --set bucket=gs://b --set heapSize=1.5G --set pageCache=512m
  run q CronJob/graph-neo4j-backup "$BACKUP.resources.limits.memory"
  assert_output 2560Mi
  render "$BACKUP_CHART" --set bucket=gs://b --set heapSize=1048576k --set pageCache=1T
  run q CronJob/graph-neo4j-backup "$BACKUP.resources.limits.memory"
  assert_output 1050112Mi
  render "$BACKUP_CHART" --set bucket=gs://b --set resources.requests.cpu=2
  run q CronJob/graph-neo4j-backup "$BACKUP.resources"
  assert_output '{"requests": {"cpu": 2}}'
}
