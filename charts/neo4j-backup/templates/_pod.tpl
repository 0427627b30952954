{{/*
The Job template of a CronJob: (dict "root" $ "kind" "backup") for the
backups, (dict "root" $ "kind" "drill") for the restore drill. One template,
so both run with the same identity, security context, storage settings and
neo4j-admin sizes.
*/}}
{{- define "neo4j-backup.jobTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $drill := eq .kind "drill" -}}
{{- $wi := $v.serviceAccount.workloadIdentity -}}
{{- $sa := include "neo4j-backup.serviceAccountName" $root -}}
{{- $name := ternary (include "neo4j-backup.drillName" $root) (include "neo4j-backup.fullname" $root) $drill -}}
metadata:
  labels:
    {{- include "neo4j-backup.labels" $root | nindent 4 }}
spec:
  backoffLimit: {{ ternary 0 (int $v.backoffLimit) $drill }}
  {{- $deadline := ternary $v.drill.activeDeadlineSeconds $v.activeDeadlineSeconds $drill }}
  {{- if not (kindIs "invalid" $deadline) }}
  activeDeadlineSeconds: {{ int $deadline }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "neo4j-backup.labels" $root | nindent 8 }}
        {{- if $wi.azureClientId }}
        azure.workload.identity/use: "true"
        {{- end }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      {{- if $sa }}
      serviceAccountName: {{ $sa }}
      {{- end }}
      # Nothing here calls the Kubernetes API: the token is mounted only where
      # workload identity may read it (see automountServiceAccountToken).
      automountServiceAccountToken: {{ include "neo4j-backup.automountToken" $root }}
      shareProcessNamespace: {{ $v.shareProcessNamespace }}
      {{- with $v.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      {{- with $v.initContainers }}
      initContainers:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ ternary "restore-drill" "neo4j-backup" $drill }}
          image: {{ include "neo4j-backup.image" $root | quote }}
          imagePullPolicy: {{ $v.imagePullPolicy }}
          command: ["neo4j-backup"]
          {{- if $drill }}
          args: ["verify", "--deep", {{ printf "--timestamp=%s" (toString $v.drill.timestamp) | quote }}]
          {{- end }}
          env:
            {{- if not $drill }}
            - name: NEO4J_ADDR
              value: {{ $v.neo4jaddr | quote }}
            {{- end }}
            - name: DATABASE
              value: {{ $v.database | quote }}
            {{- with $v.cloudProvider }}
            - name: CLOUD_PROVIDER
              value: {{ . | quote }}
            {{- end }}
            - name: BUCKET
              value: {{ $v.bucket | quote }}
            {{- if $drill }}
            - name: BACKUP_DIR
              value: /scratch
            - name: SCRATCH_DIR
              value: /scratch
            {{- else }}
            - name: BACKUP_DIR
              value: /backups
            {{- end }}
            - name: HEAP_SIZE
              value: {{ $v.heapSize | toString | quote }}
            - name: PAGE_CACHE
              value: {{ $v.pageCache | toString | quote }}
            {{- if not $drill }}
            - name: FALLBACK_TO_FULL
              value: {{ include "neo4j-backup.bool" $v.fallbackToFull | quote }}
            - name: CHECK_CONSISTENCY
              value: {{ include "neo4j-backup.bool" $v.checkConsistency | quote }}
            {{- end }}
            - name: CHECK_INDEXES
              value: {{ include "neo4j-backup.bool" $v.checkIndexes | quote }}
            - name: CHECK_GRAPH
              value: {{ include "neo4j-backup.bool" $v.checkGraph | quote }}
            - name: CHECK_LABEL_SCAN_STORE
              value: {{ include "neo4j-backup.bool" $v.checkLabelScanStore | quote }}
            - name: CHECK_PROPERTY_OWNERS
              value: {{ include "neo4j-backup.bool" $v.checkPropertyOwners | quote }}
            {{- if not $drill }}
            - name: REMOVE_EXISTING_FILES
              value: {{ include "neo4j-backup.bool" $v.removeExistingFiles | quote }}
            - name: REMOVE_BACKUP_FILES
              value: {{ include "neo4j-backup.bool" $v.removeBackupFiles | quote }}
            {{- range $key, $env := dict "keepLast" "KEEP_LAST" "keepHourly" "KEEP_HOURLY" "keepDaily" "KEEP_DAILY" "keepWeekly" "KEEP_WEEKLY" "keepMonthly" "KEEP_MONTHLY" "keepYearly" "KEEP_YEARLY" "keepWithin" "KEEP_WITHIN" }}
            {{- $rule := index ($v.retention | default dict) $key }}
            {{- if and (not (kindIs "invalid" $rule)) (ne (toString $rule) "") }}
            - name: {{ $env }}
              value: {{ toString $rule | quote }}
            {{- end }}
            {{- end }}
            {{- end }}
            {{- if $v.secretName }}
            - name: CREDENTIALS_FILE
              value: /credentials/credentials
            {{- end }}
            - name: LOG_FORMAT
              value: {{ $v.logFormat | default "text" | quote }}
            {{- with (($v.metrics | default dict).pushgateway | default dict).url }}
            # Pushgateway grouping key: job neo4j-backup (verify: neo4j-verify), instance POD_NAME: one
            # stable instance per CronJob, so each run replaces the last one's figures.
            - name: POD_NAME
              value: {{ printf "%s.%s" $name $root.Release.Namespace | quote }}
            - name: PUSHGATEWAY_URL
              value: {{ . | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          volumeMounts:
            {{- if $drill }}
            - name: scratch
              mountPath: /scratch
            {{- else }}
            - name: backup
              mountPath: /backups
              {{- with $v.tempVolumeMount }}{{ with .subPath }}
              subPath: {{ . | quote }}
              {{- end }}{{ end }}
            {{- end }}
            {{- if $v.secretName }}
            - name: credentials
              mountPath: /credentials
              readOnly: true
            {{- end }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          resources:
            {{- $res := $v.resources }}
            {{- if and $drill $v.drill.resources }}{{ $res = $v.drill.resources }}{{ end }}
            {{- if $res }}
            {{- toYaml $res | nindent 12 }}
            {{- else }}
            {{- include "neo4j-backup.defaultResources" $root | nindent 12 }}
            {{- end }}
          {{- with $v.containerSecurityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
        {{- with (concat ($v.sidecars | default list) ($v.sidecarContainers | default list)) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      volumes:
        {{- if $drill }}
        - name: scratch
          emptyDir:
            sizeLimit: {{ $v.drill.scratchSizeLimit | quote }}
        {{- else }}
        - name: backup
          {{- /* A source given in a values file merges with the default emptyDir: the given one wins. */}}
          {{- $temp := $v.tempVolume | default (dict "emptyDir" (dict)) }}
          {{- if gt (len (omit $temp "emptyDir")) 0 }}
          {{- $temp = omit $temp "emptyDir" }}
          {{- end }}
          {{- toYaml $temp | nindent 10 }}
        {{- end }}
        {{- if $v.secretName }}
        - name: credentials
          secret:
            secretName: {{ $v.secretName | quote }}
            defaultMode: 0440
            items:
              - key: credentials
                path: credentials
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
