#!/usr/bin/env bats
# charts/neo4j: what the values do to the rendered objects. The restore
# initContainer per role, its env, its mounts, the secret or workload
# identity, the configuration each Neo4j version gets, the security context,
# the pass-throughs. Rendered YAML is read with tests/charts/query.py.
# $(VAR) in expected values is Kubernetes' expansion, not the shell's:
# shellcheck disable=SC2016

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

# env_of KIND/NAME CONTAINER: the container's env as NAME=VALUE lines.
env_of() {
  q --env "$1" "$2"
}

@test "single-instance-restore: one core, no read replica, the restore initContainer first" {
  render_scenario single-instance-restore
  run q "$CORE" .spec.replicas
  assert_output 1
  run q "$REPLICA"
  assert_output "<absent>"
  run q "$CORE" "$POD.initContainers[0].name"
  assert_output restore-from-backup
  run q "$CORE" "$RESTORE.command"
  assert_output '["neo4j-restore"]'
  run q "$CORE" "$RESTORE.args"
  assert_output "<absent>"
  run q "$CORE" "$RESTORE.image"
  assert_output neo4j-restore:0.1.0-neo4j5.26
}

@test "single-instance-restore: the restore settings are the env of DESIGN section 5" {
  render_scenario single-instance-restore
  run env_of "$CORE" restore-from-backup
  echo "$output"
  assert_output "BUCKET=gs://graph-backup-storage
DATABASE=neo4j,system
CLOUD_PROVIDER=gcp
TIMESTAMP=latest
FORCE_OVERWRITE=false
PURGE_ON_COMPLETE=true
MISSING_BACKUP=fail
DATA_DIR=/data
CREDENTIALS_FILE=/credentials/credentials
LOG_FORMAT=text"
}

@test "single-instance-restore: the data claim at /data in both containers, the key secret read-only at /credentials" {
  render_scenario single-instance-restore
  run q "$CORE" "$RESTORE.volumeMounts"
  assert_output '[{"mountPath": "/data", "name": "datadir"}, {"mountPath": "/credentials", "name": "credentials", "readOnly": true}]'
  run q "$CORE" "$NEO4J.volumeMounts[mountPath=/data].name"
  assert_output datadir
  run q "$CORE" ".spec.volumeClaimTemplates[0].metadata.name"
  assert_output datadir
  run q "$CORE" "$POD.volumes[name=credentials].secret"
  assert_output '{"defaultMode": 288, "items": [{"key": "credentials", "path": "credentials"}], "secretName": "neo4j-gcp-credentials"}'
}

@test "restore.enabled false: no initContainer, no secret volume, no mount" {
  render_scenario single-instance-restore --set core.restore.enabled=false
  run q "$CORE" "$POD.initContainers"
  assert_output "<absent>"
  run q "$CORE" "$POD.volumes"
  assert_output "<absent>"
  run q "$CORE" "$NEO4J.volumeMounts"
  assert_output '[{"mountPath": "/data", "name": "datadir"}]'
}

@test "secretName null (workload identity): no secret volume, no mount, no CREDENTIALS_FILE" {
  render_scenario single-instance-restore-workload-identity
  run q "$CORE" "$RESTORE.volumeMounts"
  assert_output '[{"mountPath": "/data", "name": "datadir"}]'
  run q "$CORE" "$POD.volumes"
  assert_output "<absent>"
  run env_of "$CORE" restore-from-backup
  refute_output --partial CREDENTIALS_FILE
  run q ServiceAccount/graph-neo4j-sa .metadata.annotations
  assert_output '{"iam.gke.io/gcp-service-account": "neo4j-restore@my-project.iam.gserviceaccount.com"}'
  run q "$CORE" "$POD.serviceAccountName"
  assert_output graph-neo4j-sa
  run q "$CORE" "$POD.automountServiceAccountToken"
  assert_output true
}

@test "--set core.restore.secretName=null on a scenario with a secret drops the secret too" {
  render_scenario cluster-restore --set core.restore.secretName=null
  run q "$CORE" "$POD.volumes"
  assert_output "<absent>"
  run q "$REPLICA" "$POD.volumes[name=credentials].secret.secretName"
  assert_output neo4j-gcp-credentials
}

@test "EKS IRSA: the service account carries the role ARN; the restore has no secret" {
  render_scenario cluster-restore-aws-irsa
  run q ServiceAccount/graph-neo4j-sa .metadata.annotations
  assert_output '{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/neo4j-restore"}'
  run q "$CORE" "$POD.volumes"
  assert_output "<absent>"
  run q "$CORE" "$RESTORE.env[name=BUCKET].value"
  assert_output s3://graph-backup-storage/prod
}

@test "Azure workload identity: client-id annotation, and the pod label on every member" {
  render_scenario cluster-restore-azure-workload-identity
  run q ServiceAccount/graph-neo4j-sa '.metadata.annotations'
  assert_output '{"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"}'
  run q "$CORE" '.spec.template.metadata.labels'
  assert_output --partial '"azure.workload.identity/use": "true"'
  run q "$REPLICA" '.spec.template.metadata.labels'
  assert_output --partial '"azure.workload.identity/use": "true"'
  run q "$CORE" '.spec.selector.matchLabels'
  refute_output --partial azure
  render_scenario cluster-restore
  run q "$CORE" '.spec.template.metadata.labels'
  refute_output --partial azure
}

@test "cluster-restore (5.26): 3 cores and 2 read replicas, every member restores, no UNBIND" {
  render_scenario cluster-restore
  run q "$CORE" .spec.replicas
  assert_output 3
  run q "$REPLICA" .spec.replicas
  assert_output 2
  local sts
  for sts in "$CORE" "$REPLICA"; do
    run q "$sts" "$RESTORE.name"
    assert_output restore-from-backup
    run env_of "$sts" restore-from-backup
    refute_output --partial UNBIND
    assert_output --partial "BUCKET=gs://graph-backup-storage"
    run q "$sts" "$RESTORE.volumeMounts[name=datadir].mountPath"
    assert_output /data
    run q "$sts" "$POD.serviceAccountName"
    assert_output graph-neo4j-sa
  done
  run q "$REPLICA" "$RESTORE.env[name=TIMESTAMP].value"
  assert_output latest
}

@test "cluster-restore (5.26): primaries and secondaries with discovery v2 over the cores' stable names" {
  render_scenario cluster-restore
  local endpoints="graph-neo4j-core-0.graph-neo4j.default.svc.cluster.local:6000,graph-neo4j-core-1.graph-neo4j.default.svc.cluster.local:6000,graph-neo4j-core-2.graph-neo4j.default.svc.cluster.local:6000"
  run q ConfigMap/graph-neo4j-core-config .data
  echo "$output"
  assert_output --partial '"NEO4J_server_cluster_system__database__mode": "PRIMARY"'
  assert_output --partial '"NEO4J_initial_server_mode__constraint": "PRIMARY"'
  assert_output --partial '"NEO4J_dbms_cluster_discovery_version": "V2_ONLY"'
  assert_output --partial "\"NEO4J_dbms_cluster_discovery_v2_endpoints\": \"$endpoints\""
  assert_output --partial '"NEO4J_dbms_cluster_discovery_resolver__type": "LIST"'
  assert_output --partial '"NEO4J_dbms_cluster_minimum__initial__system__primaries__count": "3"'
  assert_output --partial '"NEO4J_initial_dbms_default__primaries__count": "3"'
  assert_output --partial '"NEO4J_initial_dbms_default__secondaries__count": "2"'
  assert_output --partial '"NEO4J_server_backup_listen__address": "0.0.0.0:6362"'
  refute_output --partial causal__clustering
  refute_output --partial dbms_mode
  run q ConfigMap/graph-neo4j-replica-config .data
  assert_output --partial '"NEO4J_server_cluster_system__database__mode": "SECONDARY"'
  assert_output --partial '"NEO4J_initial_server_mode__constraint": "SECONDARY"'
  assert_output --partial "\"NEO4J_dbms_cluster_discovery_v2_endpoints\": \"$endpoints\""
  run q "$CORE" "$NEO4J.env[name=NEO4J_server_default__advertised__address].value"
  assert_output '$(POD_NAME).graph-neo4j.default.svc.cluster.local'
  run q "$CORE" "$NEO4J.env[name=POD_NAME].valueFrom"
  assert_output '{"fieldRef": {"fieldPath": "metadata.name"}}'
  run q "$CORE" .spec.serviceName
  assert_output graph-neo4j
  run q Service/graph-neo4j .spec.clusterIP
  assert_output None
  run q Service/graph-neo4j .spec.publishNotReadyAddresses
  assert_output true
}

@test "cluster-restore-neo4j44: dbms.mode CORE/READ_REPLICA, causal_clustering discovery, UNBIND=true on every member" {
  render_scenario cluster-restore-neo4j44
  run q ConfigMap/graph-neo4j-core-config .data
  echo "$output"
  assert_output --partial '"NEO4J_dbms_mode": "CORE"'
  assert_output --partial '"NEO4J_causal__clustering_discovery__type": "LIST"'
  assert_output --partial '"NEO4J_causal__clustering_initial__discovery__members": "graph-neo4j-core-0.graph-neo4j.default.svc.cluster.local:5000,graph-neo4j-core-1.graph-neo4j.default.svc.cluster.local:5000,graph-neo4j-core-2.graph-neo4j.default.svc.cluster.local:5000"'
  assert_output --partial '"NEO4J_causal__clustering_minimum__core__cluster__size__at__formation": "3"'
  assert_output --partial '"NEO4J_causal__clustering_minimum__core__cluster__size__at__runtime": "3"'
  assert_output --partial '"NEO4J_dbms_backup_enabled": "true"'
  assert_output --partial '"NEO4J_dbms_backup_listen__address": "0.0.0.0:6362"'
  assert_output --partial '"NEO4J_dbms_default__listen__address": "0.0.0.0"'
  refute_output --partial NEO4J_server_
  run q ConfigMap/graph-neo4j-replica-config .data.NEO4J_dbms_mode
  assert_output READ_REPLICA
  run q "$CORE" "$NEO4J.env[name=NEO4J_dbms_default__advertised__address].value"
  assert_output '$(POD_NAME).graph-neo4j.default.svc.cluster.local'
  run q "$CORE" "$RESTORE.env[name=UNBIND].value"
  assert_output true
  run q "$REPLICA" "$RESTORE.env[name=UNBIND].value"
  assert_output true
  run q "$CORE" "$RESTORE.image"
  assert_output neo4j-restore:0.1.0-neo4j4.4
  run q "$CORE" "$NEO4J.ports[name=discovery].containerPort"
  assert_output 5000
}

@test "Neo4j 4.4 single instance: dbms.mode SINGLE and no UNBIND" {
  render "$NEO4J_CHART" --set imageTag=4.4.10-enterprise --set acceptLicenseAgreement=yes --set core.standalone=true \
    --set core.restore.enabled=true --set core.restore.bucket=gs://b
  run q ConfigMap/graph-neo4j-core-config .data.NEO4J_dbms_mode
  assert_output SINGLE
  run q ConfigMap/graph-neo4j-core-config .data
  refute_output --partial causal__clustering
  run env_of "$CORE" restore-from-backup
  refute_output --partial UNBIND
}

@test "Neo4j 5 before 5.23 lists discovery v1 endpoints; 2025+ uses dbms.cluster.endpoints" {
  render "$NEO4J_CHART" --set imageTag=5.20.0-enterprise --set acceptLicenseAgreement=yes
  run q ConfigMap/graph-neo4j-core-config .data
  assert_output --partial '"NEO4J_dbms_cluster_discovery_endpoints": "graph-neo4j-core-0.graph-neo4j.default.svc.cluster.local:5000,'
  refute_output --partial discovery_version
  render "$NEO4J_CHART" --set imageTag=2025.10.1-enterprise --set acceptLicenseAgreement=yes
  run q ConfigMap/graph-neo4j-core-config .data
  assert_output --partial '"NEO4J_dbms_cluster_endpoints": "graph-neo4j-core-0.graph-neo4j.default.svc.cluster.local:6000,'
  refute_output --partial discovery_v2
  refute_output --partial discovery_version
  run q "$CORE" "$NEO4J.ports[name=discovery]"
  assert_output "<absent>"
  # A mirrored image whose tag says no version: neo4jVersion tells it.
  render "$NEO4J_CHART" --set image=registry.example.com/neo4j --set imageTag=prod --set neo4jVersion=4.4 \
    --set neo4jEdition=enterprise --set acceptLicenseAgreement=yes
  run q ConfigMap/graph-neo4j-core-config .data.NEO4J_dbms_mode
  assert_output CORE
}

@test "restore per role: cores restore, read replicas do not" {
  render_scenario cluster-restore --set readReplica.restore.enabled=false
  run q "$CORE" "$RESTORE.name"
  assert_output restore-from-backup
  run q "$REPLICA" "$POD.initContainers"
  assert_output "<absent>"
  run q "$REPLICA" "$POD.volumes"
  assert_output "<absent>"
}

@test "pods run as neo4j (7474) with fsGroup 7474; containers drop privileges" {
  render_scenario cluster-restore
  local sts
  for sts in "$CORE" "$REPLICA"; do
    run q "$sts" "$POD.securityContext"
    assert_output '{"fsGroup": 7474, "fsGroupChangePolicy": "OnRootMismatch", "runAsGroup": 7474, "runAsNonRoot": true, "runAsUser": 7474, "seccompProfile": {"type": "RuntimeDefault"}}'
    run q "$sts" "$RESTORE.securityContext"
    assert_output '{"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}'
    run q "$sts" "$NEO4J.securityContext.allowPrivilegeEscalation"
    assert_output false
  done
}

@test "the restore values reach the env as given: timestamp, flags, missing backup, set dir, extra env" {
  render_scenario cluster-restore --set core.restore.timestamp=2026-11-24-13:05:00 \
    --set core.restore.forceOverwrite=true --set core.restore.purgeOnComplete=false \
    --set core.restore.missingBackup=skip --set core.restore.backupSetDir=data/neo4j \
    --set core.restore.database=neo4j --set core.restore.cloudProvider= \
    --set 'core.restore.extraEnv[0].name=HEAP_SIZE' --set 'core.restore.extraEnv[0].value=1G' \
    --set core.restore.imageTag=custom --set core.restore.image=registry.example.com/neo4j-restore
  run env_of "$CORE" restore-from-backup
  echo "$output"
  assert_output "BUCKET=gs://graph-backup-storage
DATABASE=neo4j
TIMESTAMP=2026-11-24-13:05:00
FORCE_OVERWRITE=true
PURGE_ON_COMPLETE=false
MISSING_BACKUP=skip
BACKUP_SET_DIR=data/neo4j
DATA_DIR=/data
CREDENTIALS_FILE=/credentials/credentials
LOG_FORMAT=text
HEAP_SIZE=1G"
  run q "$CORE" "$RESTORE.image"
  assert_output registry.example.com/neo4j-restore:custom
}

@test "a neo4j-helm values file installs with its meaning: string flags, secret, tags, aliases" {
  render "$NEO4J_CHART" -f "$CHART_FIXTURES/neo4j-helm-cluster-restore.yaml" --set acceptLicenseAgreement=yes \
    --set imageTag=4.4-enterprise
  run q "$CORE" .spec.replicas
  assert_output 3
  run q "$REPLICA" .spec.replicas
  assert_output 1
  run q "$CORE" "$RESTORE.image"
  assert_output registry.example.com/neo4j/restore:4.4.7
  run q "$REPLICA" "$RESTORE.env[name=FORCE_OVERWRITE].value"
  assert_output true
  run q "$REPLICA" "$RESTORE.env[name=PURGE_ON_COMPLETE].value"
  assert_output false
  run q "$REPLICA" "$RESTORE.env[name=TIMESTAMP].value"
  assert_output 2024-06-16-12:32:57
  run q "$CORE" "$POD.volumes[name=scratch]"
  assert_output '{"emptyDir": {}, "name": "scratch"}'
  run q "$CORE" "$NEO4J.volumeMounts[name=scratch].mountPath"
  assert_output /scratch
  run q "$REPLICA" "$POD.containers[name=metrics].image"
  assert_output busybox:1.36
  run q "$CORE" ".spec.volumeClaimTemplates[0].spec.storageClassName"
  assert_output ""
  run q "$CORE" ".spec.volumeClaimTemplates[0].spec.resources.requests.storage"
  assert_output 20Gi
  run q "$CORE" "$NEO4J.env[name=NEO4JLABS_PLUGINS].value"
  assert_output '["apoc"]'
  run q Secret/graph-neo4j-secrets '.data.neo4j-password'
  assert_output "$(printf graphpass | base64)"
  run q "$CORE" '.spec.template.metadata.labels.team'
  assert_output graph
}

@test "pass-throughs: initContainers after the restore, sidecars, extra volumes and mounts, env, settings" {
  render "$NEO4J_CHART" -f "$CHART_FIXTURES/pass-throughs.yaml"
  run q "$CORE" "$POD.initContainers[0].name"
  assert_output restore-from-backup
  run q "$CORE" "$POD.initContainers[1].name"
  assert_output fetch-plugins
  run q "$CORE" "$POD.containers[1].name"
  assert_output sidecar-a
  run q "$CORE" "$POD.containers[2].name"
  assert_output sidecar-b
  run q "$CORE" "$POD.volumes[name=extra-b].configMap.name"
  assert_output some-config
  run q "$CORE" "$POD.volumes[name=extra-a].emptyDir"
  assert_output '{}'
  run q "$CORE" "$NEO4J.volumeMounts[name=extra-b]"
  assert_output '{"mountPath": "/extra-b", "name": "extra-b", "readOnly": true}'
  run q "$CORE" "$NEO4J.env[name=EXTRA].value"
  assert_output 1
  run q "$CORE" "$NEO4J.envFrom[1].secretRef.name"
  assert_output more-settings
  run q "$CORE" "$RESTORE.env[name=AWS_REGION].value"
  assert_output eu-west-1
  run q "$CORE" "$RESTORE.resources.limits.memory"
  assert_output 1Gi
  run q "$CORE" "$POD.imagePullSecrets"
  assert_output '[{"name": "legacy-pull"}, {"name": "registry-pull"}]'
  run q ConfigMap/graph-neo4j-core-config .data
  assert_output --partial '"NEO4J_server_memory_heap_max__size": "2G"'
  assert_output --partial '"NEO4J_db_tx__log_rotation_retention__policy": "2 days"'
  run q "$CORE" .spec.template.metadata.annotations
  assert_output --partial '"example.com/owner": "graph-team"'
  assert_output --partial '"checksum/config": '
}

@test "the password: generated when not given, kept out of NEO4J_* names, NEO4J_AUTH built from it" {
  render_scenario single-instance-restore
  run q Secret/graph-neo4j-secrets '.data.neo4j-password'
  [ "$(printf '%s' "$output" | base64 -d | wc -c)" -eq 16 ]
  run q "$CORE" "$NEO4J.env[name=AUTH_PASSWORD].valueFrom"
  assert_output '{"secretKeyRef": {"key": "neo4j-password", "name": "graph-neo4j-secrets"}}'
  run q "$CORE" "$NEO4J.env[name=NEO4J_AUTH].value"
  assert_output 'neo4j/$(AUTH_PASSWORD)'
  run q "$CORE" "$NEO4J.env[name=NEO4J_ACCEPT_LICENSE_AGREEMENT].value"
  assert_output yes
  render_scenario single-instance-restore --set existingPasswordSecret=mine --set existingPasswordSecretKey=pw
  run q --names Secret
  assert_output ""
  run q "$CORE" "$NEO4J.env[name=AUTH_PASSWORD].valueFrom"
  assert_output '{"secretKeyRef": {"key": "pw", "name": "mine"}}'
}

@test "persistentVolume.enabled false: /data is an emptyDir, restored on every start" {
  render_scenario single-instance-restore --set core.persistentVolume.enabled=false
  run q "$CORE" .spec.volumeClaimTemplates
  assert_output "<absent>"
  run q "$CORE" "$POD.volumes[name=datadir]"
  assert_output '{"emptyDir": {}, "name": "datadir"}'
  run q "$CORE" "$RESTORE.volumeMounts[name=datadir].mountPath"
  assert_output /data
}

@test "persistentVolume.subPath reaches the restore and the Neo4j mounts alike" {
  render_scenario single-instance-restore --set core.persistentVolume.subPath=neo4j
  run q "$CORE" "$RESTORE.volumeMounts[name=datadir].subPath"
  assert_output neo4j
  run q "$CORE" "$NEO4J.volumeMounts[name=datadir].subPath"
  assert_output neo4j
}

@test "NOTES tell how to watch the restore initContainer" {
  run "$HELM" install graph "$NEO4J_CHART" -f "$SCENARIOS/cluster-restore.yaml" --dry-run=client
  echo "$output"
  assert_success
  assert_output --partial "kubectl -n default logs -f graph-neo4j-core-0 -c restore-from-backup"
  assert_output --partial "kubectl -n default logs -f graph-neo4j-replica-0 -c restore-from-backup"
  assert_output --partial "reading the key in secret neo4j-gcp-credentials"
}
