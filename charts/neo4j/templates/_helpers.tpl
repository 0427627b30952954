{{/*
Names. As in neo4j-helm: "<release>-<chart>" whatever the release name, so
the claims (datadir-<release>-neo4j-core-0) of a neo4j-helm install are found
again.
*/}}
{{- define "neo4j.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "neo4j.fullname" -}}
{{- $base := .Values.fullnameOverride | default (printf "%s-%s" .Release.Name (include "neo4j.name" .)) -}}
{{- printf "%s%s%s" (.Values.fullnamePrefix | default "") $base (.Values.fullnameSuffix | default "") | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/* "<fullname>-core" or "<fullname>-replica"; call with (dict "root" $ "role" "core") */}}
{{- define "neo4j.roleName" -}}
{{- printf "%s-%s" (include "neo4j.fullname" .root) (include "neo4j.roleSuffix" .role) -}}
{{- end -}}

{{- define "neo4j.roleSuffix" -}}
{{- if eq . "core" -}}core{{- else -}}replica{{- end -}}
{{- end -}}

{{/* The values block of a role: .Values.core or .Values.readReplica */}}
{{- define "neo4j.roleValues" -}}
{{- if eq .role "core" -}}{{- toJson .root.Values.core -}}{{- else -}}{{- toJson .root.Values.readReplica -}}{{- end -}}
{{- end -}}

{{- define "neo4j.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Standard labels, from this one helper everywhere. Selectors use name and
instance only (plus the component for a role).
*/}}
{{- define "neo4j.labels" -}}
app.kubernetes.io/name: {{ include "neo4j.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ include "neo4j.series" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ include "neo4j.chart" . }}
{{- end -}}

{{- define "neo4j.selectorLabels" -}}
app.kubernetes.io/name: {{ include "neo4j.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* Labels of a role's objects and pods; call with (dict "root" $ "role" "core") */}}
{{- define "neo4j.roleLabels" -}}
{{ include "neo4j.labels" .root }}
app.kubernetes.io/component: {{ include "neo4j.roleSuffix" .role }}
{{- end -}}

{{- define "neo4j.roleSelectorLabels" -}}
{{ include "neo4j.selectorLabels" .root }}
app.kubernetes.io/component: {{ include "neo4j.roleSuffix" .role }}
{{- end -}}

{{- define "neo4j.serviceAccountName" -}}
{{- default (printf "%s-sa" (include "neo4j.fullname" .)) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "neo4j.passwordSecretName" -}}
{{- default (printf "%s-secrets" (include "neo4j.fullname" .)) .Values.existingPasswordSecret -}}
{{- end -}}

{{/*
The Neo4j version series, "4.4", "5.26", "2025.10": neo4jVersion when set,
else the leading "X.Y" of imageTag.
*/}}
{{- define "neo4j.series" -}}
{{- $source := toString (default .Values.imageTag .Values.neo4jVersion) -}}
{{- $series := regexFind "^[0-9]+\\.[0-9]+" $source -}}
{{- if not $series -}}
{{- fail (printf "neo4jVersion: cannot tell the Neo4j version from imageTag %q: set it, e.g. --set neo4jVersion=5.26 (or 4.4)" $source) -}}
{{- end -}}
{{- $series -}}
{{- end -}}

{{/*
The configuration dialect of the series: "4.4" (dbms.mode, causal_clustering.*),
"5" (server.*, dbms.cluster.*) or "calver" (2025.01 and later: 5's settings,
discovery v2 only, dbms.cluster.endpoints).
*/}}
{{- define "neo4j.dialect" -}}
{{- $series := include "neo4j.series" . -}}
{{- $major := int (first (splitList "." $series)) -}}
{{- if eq $major 4 -}}4.4
{{- else if eq $major 5 -}}5
{{- else if ge $major 2025 -}}calver
{{- else -}}
{{- fail (printf "neo4jVersion: Neo4j %s is not supported: use 4.4, 5.x or a 2025+ calendar version (imageTag or neo4jVersion)" $series) -}}
{{- end -}}
{{- end -}}

{{/* "true" when the members discover each other on port 5000 (4.4, and 5.x before 5.23) */}}
{{- define "neo4j.discoveryV1" -}}
{{- $dialect := include "neo4j.dialect" . -}}
{{- if eq $dialect "4.4" -}}true
{{- else if and (eq $dialect "5") (lt (int (index (splitList "." (include "neo4j.series" .)) 1)) 23) -}}true
{{- end -}}
{{- end -}}

{{- define "neo4j.isEnterprise" -}}
{{- if .Values.neo4jEdition -}}
{{- if eq .Values.neo4jEdition "enterprise" -}}true{{- end -}}
{{- else if contains "enterprise" (toString .Values.imageTag) -}}true
{{- end -}}
{{- end -}}

{{- define "neo4j.isCluster" -}}
{{- if not .Values.core.standalone -}}true{{- end -}}
{{- end -}}

{{/* Replicas of a role's StatefulSet */}}
{{- define "neo4j.replicas" -}}
{{- if eq .role "core" -}}
{{- if .root.Values.core.standalone -}}1{{- else -}}{{ int .root.Values.core.numberOfServers }}{{- end -}}
{{- else -}}
{{- if .root.Values.core.standalone -}}0{{- else -}}{{ int .root.Values.readReplica.numberOfServers }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<pod>.<governing service>.<namespace>.svc.<domain>" of core i; call with (dict "root" $ "index" i) */}}
{{- define "neo4j.coreHost" -}}
{{- printf "%s-%d.%s.%s.svc.%s" (include "neo4j.roleName" (dict "root" .root "role" "core")) (int .index) (include "neo4j.fullname" .root) .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{/* host:port,host:port,... of all cores */}}
{{- define "neo4j.coreEndpoints" -}}
{{- $root := .root -}}
{{- $hosts := list -}}
{{- range $i, $_ := until (int $root.Values.core.numberOfServers) -}}
{{- $hosts = append $hosts (printf "%s:%d" (include "neo4j.coreHost" (dict "root" $root "index" $i)) (int $.port)) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}

{{/*
Name of the Neo4j image's environment variable for a neo4j.conf setting:
"NEO4J_" + the name with "_" doubled, "-" tripled and "." as "_"
(the official image's convention).
*/}}
{{- define "neo4j.envName" -}}
{{- printf "NEO4J_%s" (. | replace "_" "__" | replace "-" "___" | replace "." "_") -}}
{{- end -}}

{{/*
The neo4j.conf settings of a role, as JSON {name: value}. Each from the
operations manual of its version:
- 4.4 (Operations Manual 4.4, "Clustering" and "Backup"): dbms.mode,
  causal_clustering.minimum_core_cluster_size_at_formation/_at_runtime,
  causal_clustering.discovery_type=LIST with initial_discovery_members on
  port 5000; dbms.default_listen_address, dbms.backup.*.
- 5.x (Operations Manual 5, "Clustering"): server.cluster.system_database_mode,
  initial.server.mode_constraint, dbms.cluster.minimum_initial_system_primaries_count,
  initial.dbms.default_primaries_count/_secondaries_count,
  dbms.cluster.discovery.resolver_type=LIST; from 5.23 discovery service v2
  (dbms.cluster.discovery.version=V2_ONLY, dbms.cluster.discovery.v2.endpoints,
  port 6000), before it v1 (dbms.cluster.discovery.endpoints, port 5000).
- 2025.01+: v1 removed, the v2 endpoints setting renamed dbms.cluster.endpoints.
The per-pod advertised address is not here: it is an env entry built from the
pod name (see neo4j.podEnv).
*/}}
{{- define "neo4j.config" -}}
{{- $root := .root -}}
{{- $role := .role -}}
{{- $v := $root.Values -}}
{{- $dialect := include "neo4j.dialect" $root -}}
{{- $cluster := include "neo4j.isCluster" $root -}}
{{- $cores := int $v.core.numberOfServers -}}
{{- $replicas := int $v.readReplica.numberOfServers -}}
{{- $c := dict -}}
{{- if eq $dialect "4.4" -}}
{{- $_ := set $c "dbms.default_listen_address" "0.0.0.0" -}}
{{- $_ := set $c "dbms.default_database" $v.defaultDatabase -}}
{{- $_ := set $c "dbms.backup.enabled" "true" -}}
{{- $_ := set $c "dbms.backup.listen_address" "0.0.0.0:6362" -}}
{{- if $cluster -}}
{{- $_ := set $c "dbms.mode" (ternary "CORE" "READ_REPLICA" (eq $role "core")) -}}
{{- $_ := set $c "causal_clustering.discovery_type" "LIST" -}}
{{- $_ := set $c "causal_clustering.initial_discovery_members" (include "neo4j.coreEndpoints" (dict "root" $root "port" 5000)) -}}
{{- $_ := set $c "causal_clustering.minimum_core_cluster_size_at_formation" (toString $cores) -}}
{{- $_ := set $c "causal_clustering.minimum_core_cluster_size_at_runtime" (toString (min $cores 3)) -}}
{{- else -}}
{{- $_ := set $c "dbms.mode" "SINGLE" -}}
{{- end -}}
{{- else -}}
{{- $_ := set $c "server.default_listen_address" "0.0.0.0" -}}
{{- $_ := set $c "initial.dbms.default_database" $v.defaultDatabase -}}
{{- $_ := set $c "server.backup.enabled" "true" -}}
{{- $_ := set $c "server.backup.listen_address" "0.0.0.0:6362" -}}
{{- if $cluster -}}
{{- $mode := ternary "PRIMARY" "SECONDARY" (eq $role "core") -}}
{{- $_ := set $c "server.cluster.system_database_mode" $mode -}}
{{- $_ := set $c "initial.server.mode_constraint" $mode -}}
{{- $_ := set $c "dbms.cluster.minimum_initial_system_primaries_count" (toString $cores) -}}
{{- $_ := set $c "initial.dbms.default_primaries_count" (toString (min $cores 11)) -}}
{{- $_ := set $c "initial.dbms.default_secondaries_count" (toString (min $replicas 20)) -}}
{{- $_ := set $c "dbms.cluster.discovery.resolver_type" "LIST" -}}
{{- if eq $dialect "calver" -}}
{{- $_ := set $c "dbms.cluster.endpoints" (include "neo4j.coreEndpoints" (dict "root" $root "port" 6000)) -}}
{{- else if not (include "neo4j.discoveryV1" $root) -}}
{{- $_ := set $c "dbms.cluster.discovery.version" "V2_ONLY" -}}
{{- $_ := set $c "dbms.cluster.discovery.v2.endpoints" (include "neo4j.coreEndpoints" (dict "root" $root "port" 6000)) -}}
{{- else -}}
{{- $_ := set $c "dbms.cluster.discovery.endpoints" (include "neo4j.coreEndpoints" (dict "root" $root "port" 5000)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := include "neo4j.legacySettings" $root | fromJson -}}
{{- $_ := set $c $key $value -}}
{{- end -}}
{{- range $key, $value := $v.config -}}
{{- $_ := set $c $key (toString $value) -}}
{{- end -}}
{{- toJson $c -}}
{{- end -}}

{{/*
neo4j-helm's dbms.memory.* and metrics.{graphite,prometheus,csv,jmx}.*
values as the neo4j.conf settings of the chosen version, as JSON
{name: value}; only the values set (non-empty). 4.4 keeps neo4j-helm's
names (Operations Manual 4.4); 5 and later use the names of the 5.x
Operations Manual's configuration settings.
*/}}
{{- define "neo4j.legacySettings" -}}
{{- $v := .Values -}}
{{- $four := eq (include "neo4j.dialect" .) "4.4" -}}
{{- $mem := (($v.dbms | default dict).memory | default dict) -}}
{{- $heap := $mem.heap | default dict -}}
{{- $pc := $mem.pagecache | default dict -}}
{{- $tx := $mem.transaction | default dict -}}
{{- $pairs := list
  (list $heap.initial_size "dbms.memory.heap.initial_size" "server.memory.heap.initial_size")
  (list $heap.max_size "dbms.memory.heap.max_size" "server.memory.heap.max_size")
  (list $pc.size "dbms.memory.pagecache.size" "server.memory.pagecache.size")
  (list $tx.max_size "dbms.memory.transaction.max_size" "db.memory.transaction.max")
  (list $tx.global_max_size "dbms.memory.transaction.global_max_size" "dbms.memory.transaction.total.max")
  (list $tx.memory_allocation "dbms.tx_state.memory_allocation" "db.tx_state.memory_allocation") -}}
{{- $m := $v.metrics | default dict -}}
{{- range $kind, $keys := dict "graphite" (list "enabled" "server" "interval") "prometheus" (list "enabled" "endpoint") "csv" (list "enabled" "interval") "jmx" (list "enabled") -}}
{{- $block := index $m $kind | default dict -}}
{{- range $keys -}}
{{- $pairs = append $pairs (list (index $block .) (printf "metrics.%s.%s" $kind .) (printf "server.metrics.%s.%s" $kind .)) -}}
{{- end -}}
{{- end -}}
{{- $out := dict -}}
{{- range $pairs -}}
{{- $value := index . 0 -}}
{{- if not (kindIs "invalid" $value) -}}
{{- if ne (toString $value) "" -}}
{{- $_ := set $out (ternary (index . 1) (index . 2) $four) (toString $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Name of the per-pod advertised address setting */}}
{{- define "neo4j.advertisedAddressSetting" -}}
{{- if eq (include "neo4j.dialect" .) "4.4" -}}dbms.default_advertised_address{{- else -}}server.default_advertised_address{{- end -}}
{{- end -}}

{{- define "neo4j.toBool" -}}
{{- if eq (toString .) "true" -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/*
Validation the schema cannot express. Each message names the value and how
to set it.
*/}}
{{- define "neo4j.validate" -}}
{{- $v := .Values -}}
{{- $dialect := include "neo4j.dialect" . -}}
{{- $enterprise := include "neo4j.isEnterprise" . -}}
{{- if and $enterprise (not (has (toString $v.acceptLicenseAgreement) (list "yes" "eval"))) -}}
{{- fail (printf "acceptLicenseAgreement: the image %s:%s is Neo4j Enterprise Edition, whose license must be accepted: --set acceptLicenseAgreement=yes" $v.image (toString $v.imageTag)) -}}
{{- end -}}
{{- if and (eq (toString $v.acceptLicenseAgreement) "eval") (eq $dialect "4.4") -}}
{{- fail "acceptLicenseAgreement: \"eval\" exists from Neo4j 5 on; on 4.4 set --set acceptLicenseAgreement=yes" -}}
{{- end -}}
{{- if and (include "neo4j.isCluster" .) (not $enterprise) -}}
{{- fail (printf "core.standalone: a causal cluster (core.standalone=false) needs Neo4j Enterprise Edition, but imageTag %q is not an -enterprise tag: set imageTag (e.g. 5.26-enterprise), or --set core.standalone=true, or --set neo4jEdition=enterprise for a mirrored enterprise image" (toString $v.imageTag)) -}}
{{- end -}}
{{- if and $v.core.standalone (gt (int $v.readReplica.numberOfServers) 0) -}}
{{- fail (printf "readReplica.numberOfServers: read replicas (%d) need a causal cluster, but core.standalone is true: set --set readReplica.numberOfServers=0, or core.standalone=false" (int $v.readReplica.numberOfServers)) -}}
{{- end -}}
{{- range $role := list "core" "readReplica" -}}
{{- $r := index $v $role -}}
{{- if and $r.restore.enabled (not $enterprise) -}}
{{- fail (printf "%s.restore.enabled: restoring needs Neo4j Enterprise Edition (neo4j-admin restore and the backups it reads are Enterprise features), but imageTag %q is not an -enterprise tag: set imageTag (e.g. 5.26-enterprise) or --set neo4jEdition=enterprise" $role (toString $v.imageTag)) -}}
{{- end -}}
{{- if ne (toString $r.persistentVolume.mountPath) "/data" -}}
{{- fail (printf "%s.persistentVolume.mountPath: Neo4j's image and the restore container use /data; %q is not supported (use subPath to mount a sub-folder of the volume)" $role (toString $r.persistentVolume.mountPath)) -}}
{{- end -}}
{{- end -}}
{{- include "neo4j.validateLegacy" . -}}
{{- $core := $v.core.restore -}}
{{- if and $v.core.standalone $core.enabled (eq (include "neo4j.toBool" $core.forceOverwrite) "true") (not $core.acknowledgeForceOverwrite) -}}
{{- fail (printf "core.restore.forceOverwrite is true on a single instance (core.standalone=true), and nothing else holds its data. As the neo4j-helm restore guide warns: \"If a node crashes, and you automatically restore from backup, and force-overwrite what was previously on the disk, you will lose any data that the database captured between when the last backup was taken, and when the crash happened.\" Every restart of the pod would restore the backup over the database. To accept that, also set core.restore.acknowledgeForceOverwrite=true; to restore only onto an empty volume, set core.restore.forceOverwrite=false.") -}}
{{- end -}}
{{- if and $v.authEnabled (ne $dialect "4.4") $v.neo4jPassword (lt (len (toString $v.neo4jPassword)) 8) -}}
{{- fail "neo4jPassword: Neo4j 5 and later refuse passwords shorter than 8 characters: set a longer --set neo4jPassword=..." -}}
{{- end -}}
{{- end -}}

{{/*
neo4j-helm values that this chart cannot honour: refused, each message
naming the value and what to set instead (an old values file either works or
says exactly what to change). Unknown top-level keys are refused by
values.schema.json (additionalProperties: false); here the per-role ones.
*/}}
{{- define "neo4j.validateLegacy" -}}
{{- $v := .Values -}}
{{- if eq (toString ((($v.dbms | default dict).memory | default dict).use_memrec)) "true" -}}
{{- fail "dbms.memory.use_memrec: this chart does not run neo4j-admin memrec when Neo4j starts. Run it once (4.4: neo4j-admin memrec; 5+: neo4j-admin server memory-recommendation) and set what it prints: dbms.memory.heap.initial_size, dbms.memory.heap.max_size and dbms.memory.pagecache.size (or config: server.memory.* on 5+), then --set dbms.memory.use_memrec=false" -}}
{{- end -}}
{{- $roleKeys := list "resources" "configMap" "envFrom" "extraEnv" "terminationGracePeriodSeconds" "persistentVolume" "service" "initContainers" "sidecars" "sidecarContainers" "extraVolumes" "additionalVolumes" "extraVolumeMounts" "additionalVolumeMounts" "restore" -}}
{{- range $role, $extra := dict "core" (list "standalone" "numberOfServers" "discoveryService") "readReplica" (list "numberOfServers" "autoscaling") -}}
{{- $r := index $v $role -}}
{{- range $key, $_ := $r -}}
{{- if not (has $key (concat $roleKeys $extra)) -}}
{{- fail (printf "%s.%s: this chart has no such value (see charts/neo4j/README.md for the values of %s); remove it" $role $key $role) -}}
{{- end -}}
{{- end -}}
{{- $image := toString (($r.restore | default dict).image) -}}
{{- if hasPrefix "gcr.io/neo4j-helm/" $image -}}
{{- fail (printf "%s.restore.image: %s is neo4j-helm's restore image (a shell script), which cannot run this chart's neo4j-restore. Remove %s.restore.image and %s.restore.imageTag to use the default (neo4j-restore:<appVersion>-neo4j<series>), or set them to where you pushed the image of docker/Dockerfile (target neo4j-restore)" $role $image $role $role) -}}
{{- end -}}
{{- end -}}
{{- with $v.readReplica.autoscaling -}}
{{- if eq (toString .enabled) "true" -}}
{{- fail "readReplica.autoscaling.enabled: this chart does not autoscale read replicas (neo4j-helm's HorizontalPodAutoscaler): set readReplica.numberOfServers to the count you want and readReplica.autoscaling.enabled=false" -}}
{{- end -}}
{{- end -}}
{{- with $v.core.discoveryService -}}
{{- if or (and .type (ne (toString .type) "ClusterIP")) .annotations .labels .loadBalancerSourceRanges -}}
{{- fail "core.discoveryService: this chart has no per-member discovery services (neo4j-helm's); members find each other through the headless service <release>-neo4j. For clients outside the cluster use core.service (type, annotations, loadBalancerSourceRanges); remove core.discoveryService" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
automountServiceAccountToken of the pods: the value when set; else true only
where workload identity may need the account's token (a restore without a
key secret, or a workloadIdentity annotation), false otherwise.
*/}}
{{- define "neo4j.automountToken" -}}
{{- $v := .Values -}}
{{- if not (kindIs "invalid" $v.automountServiceAccountToken) -}}
{{- include "neo4j.toBool" $v.automountServiceAccountToken -}}
{{- else -}}
{{- $wi := $v.serviceAccount.workloadIdentity -}}
{{- $ambient := or (and $v.core.restore.enabled (not $v.core.restore.secretName)) (and $v.readReplica.restore.enabled (not $v.readReplica.restore.secretName)) -}}
{{- if or $ambient $wi.gcpServiceAccount $wi.awsRoleArn $wi.azureClientId -}}true{{- else -}}false{{- end -}}
{{- end -}}
{{- end -}}
