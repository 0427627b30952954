{{/*
The restore initContainer of a role (call with (dict "root" $ "role" "core")).
It runs the image's neo4j-restore with no arguments; every setting is an
environment variable (DESIGN section 5). It mounts the pod's data volume at
/data, as the Neo4j container does, and the key secret read-only at
/credentials (file /credentials/credentials) unless secretName is null
(workload identity).
*/}}
{{- define "neo4j.restore.image" -}}
{{- $r := .restore -}}
{{- $tag := $r.imageTag | default (printf "%s-neo4j%s" .root.Chart.AppVersion (include "neo4j.series" .root)) -}}
{{- printf "%s:%s" $r.image (toString $tag) -}}
{{- end -}}

{{- define "neo4j.restore.initContainer" -}}
{{- $root := .root -}}
{{- $rv := fromJson (include "neo4j.roleValues" .) -}}
{{- $r := $rv.restore -}}
{{- $dialect := include "neo4j.dialect" $root -}}
- name: restore-from-backup
  image: {{ include "neo4j.restore.image" (dict "root" $root "restore" $r) | quote }}
  imagePullPolicy: {{ $r.imagePullPolicy | default "IfNotPresent" }}
  command: ["neo4j-restore"]
  env:
    - name: BUCKET
      value: {{ $r.bucket | quote }}
    - name: DATABASE
      value: {{ $r.database | quote }}
    {{- if $r.cloudProvider }}
    - name: CLOUD_PROVIDER
      value: {{ $r.cloudProvider | quote }}
    {{- end }}
    - name: TIMESTAMP
      value: {{ $r.timestamp | default "latest" | toString | quote }}
    - name: FORCE_OVERWRITE
      value: {{ include "neo4j.toBool" $r.forceOverwrite | quote }}
    - name: PURGE_ON_COMPLETE
      value: {{ include "neo4j.toBool" $r.purgeOnComplete | quote }}
    - name: MISSING_BACKUP
      value: {{ $r.missingBackup | default "fail" | quote }}
    {{- if $r.backupSetDir }}
    - name: BACKUP_SET_DIR
      value: {{ $r.backupSetDir | quote }}
    {{- end }}
    - name: DATA_DIR
      value: /data
    {{- if $r.secretName }}
    - name: CREDENTIALS_FILE
      value: /credentials/credentials
    {{- end }}
    {{- if and (eq $dialect "4.4") (include "neo4j.isCluster" $root) }}
    {{- /* Neo4j 4.4 manual: a cluster member is unbound before a restore (DESIGN section 7). */}}
    - name: UNBIND
      value: "true"
    {{- end }}
    - name: LOG_FORMAT
      value: {{ $root.Values.logFormat | default "text" | quote }}
    {{- with (($root.Values.metrics | default dict).pushgateway | default dict).url }}
    # Pushgateway grouping: job neo4j-restore, instance = the pod's stable name.
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: PUSHGATEWAY_URL
      value: {{ . | quote }}
    {{- end }}
    {{- with $r.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  volumeMounts:
    - name: datadir
      mountPath: /data
      {{- with $rv.persistentVolume.subPath }}
      subPath: {{ . | quote }}
      {{- end }}
    {{- if $r.secretName }}
    - name: credentials
      mountPath: /credentials
      readOnly: true
    {{- end }}
  {{- with $r.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.containerSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The key secret's volume: only its key "credentials" */}}
{{- define "neo4j.restore.volume" -}}
- name: credentials
  secret:
    secretName: {{ .secretName | quote }}
    defaultMode: 0440
    items:
      - key: credentials
        path: credentials
{{- end -}}
