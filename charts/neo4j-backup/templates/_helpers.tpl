{{- define "neo4j-backup.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-neo4j-backup"; CronJob names are limited to 52 characters */}}
{{- define "neo4j-backup.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "neo4j-backup.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "neo4j-backup.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels, from this one helper everywhere */}}
{{- define "neo4j-backup.labels" -}}
app.kubernetes.io/name: {{ include "neo4j-backup.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/component: backup
helm.sh/chart: {{ include "neo4j-backup.chart" . }}
{{- end -}}

{{- define "neo4j-backup.selectorLabels" -}}
app.kubernetes.io/name: {{ include "neo4j-backup.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{- define "neo4j-backup.image" -}}
{{- $tag := .Values.imageTag | default (printf "%s-neo4j%s" .Chart.AppVersion (toString .Values.neo4jVersion)) -}}
{{- printf "%s:%s" .Values.image (toString $tag) -}}
{{- end -}}

{{- define "neo4j-backup.serviceAccountName" -}}
{{- if .Values.serviceAccountName -}}
{{- .Values.serviceAccountName -}}
{{- else if .Values.serviceAccount.create -}}
{{- include "neo4j-backup.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* "true"/"false" from a boolean or the strings neo4j-helm's values used */}}
{{- define "neo4j-backup.bool" -}}
{{- if eq (toString .) "true" -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/* "<fullname>-drill", within the 52 characters of a CronJob name */}}
{{- define "neo4j-backup.drillName" -}}
{{- printf "%s-drill" (include "neo4j-backup.fullname" . | trunc 46 | trimSuffix "-") -}}
{{- end -}}

{{/* automountServiceAccountToken: the value when set; else true only without a key secret (workload identity). */}}
{{- define "neo4j-backup.automountToken" -}}
{{- if not (kindIs "invalid" .Values.automountServiceAccountToken) -}}
{{- include "neo4j-backup.bool" .Values.automountServiceAccountToken -}}
{{- else if .Values.secretName -}}false
{{- else -}}true
{{- end -}}
{{- end -}}

{{/* A neo4j-admin size (2G, 512m, 1.5g, 2048k, bytes) in MiB, rounded up */}}
{{- define "neo4j-backup.mib" -}}
{{- $s := toString . -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $s | float64 -}}
{{- $unit := regexFind "[kKmMgGtT]$" $s | lower -}}
{{- $per := get (dict "k" 0.0009765625 "m" 1.0 "g" 1024.0 "t" 1048576.0) $unit | default 0.00000095367431640625 -}}
{{- mulf $num $per | ceil | int -}}
{{- end -}}

{{/*
Resources when none are given: neo4j-admin's heap and page cache (heapSize,
pageCache) plus 512Mi for the JVM's own memory and neo4j-backup's buffers
(~40 MiB with zstd on two cores); request and limit alike, so the pod is
never killed for memory it was sized for.
*/}}
{{- define "neo4j-backup.defaultResources" -}}
{{- $mib := add (include "neo4j-backup.mib" .Values.heapSize | int) (include "neo4j-backup.mib" .Values.pageCache | int) 512 -}}
requests:
  cpu: "1"
  memory: {{ printf "%dMi" $mib }}
limits:
  memory: {{ printf "%dMi" $mib }}
{{- end -}}

{{/* Checks the schema cannot express; each message names the value. */}}
{{- define "neo4j-backup.validate" -}}
{{- if hasPrefix "gcr.io/neo4j-helm/" (toString .Values.image) -}}
{{- fail (printf "image: %s is neo4j-helm's backup image (a shell script), which cannot run this chart's neo4j-backup. Remove image and imageTag to use the default (neo4j-backup:<appVersion>-neo4j<neo4jVersion>), or set them to where you pushed the image of docker/Dockerfile (target neo4j-backup)" (toString .Values.image)) -}}
{{- end -}}
{{- range $source, $_ := .Values.tempVolume -}}
{{- if not (has $source (list "emptyDir" "ephemeral" "persistentVolumeClaim" "csi")) -}}
{{- fail (printf "tempVolume.%s: the Kubernetes \"restricted\" Pod Security level refuses this volume type; use emptyDir, ephemeral (a generic ephemeral volume claim), persistentVolumeClaim or csi" $source) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.prometheusRule.enabled (not .Values.metrics.pushgateway.url) -}}
{{- fail "prometheusRule.enabled: the alerts read what neo4j-backup pushes to a Pushgateway: also set metrics.pushgateway.url (e.g. http://pushgateway.monitoring:9091)" -}}
{{- end -}}
{{- $wi := .Values.serviceAccount.workloadIdentity -}}
{{- if and (not .Values.secretName) (not (include "neo4j-backup.serviceAccountName" .)) (or $wi.gcpServiceAccount $wi.awsRoleArn $wi.azureClientId) -}}
{{- fail "serviceAccount.workloadIdentity is set but no service account is used: set --set serviceAccount.create=true (or serviceAccountName=<existing account>)" -}}
{{- end -}}
{{- end -}}
