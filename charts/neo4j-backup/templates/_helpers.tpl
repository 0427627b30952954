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

{{/* Checks the schema cannot express; each message names the value. */}}
{{- define "neo4j-backup.validate" -}}
{{- $wi := .Values.serviceAccount.workloadIdentity -}}
{{- if and (not .Values.secretName) (not (include "neo4j-backup.serviceAccountName" .)) (or $wi.gcpServiceAccount $wi.awsRoleArn $wi.azureClientId) -}}
{{- fail "serviceAccount.workloadIdentity is set but no service account is used: set --set serviceAccount.create=true (or serviceAccountName=<existing account>)" -}}
{{- end -}}
{{- end -}}
