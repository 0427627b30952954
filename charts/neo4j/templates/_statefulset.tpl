{{/*
The StatefulSet of a role; call with (dict "root" $ "role" "core") or
(dict "root" $ "role" "readReplica"). One template for both roles, so a core
and a read replica differ only where their values and settings do.
*/}}
{{- define "neo4j.statefulset" -}}
{{- $root := .root -}}
{{- $role := .role -}}
{{- $v := $root.Values -}}
{{- $rv := fromJson (include "neo4j.roleValues" .) -}}
{{- $name := include "neo4j.roleName" . -}}
{{- $wi := $v.serviceAccount.workloadIdentity -}}
{{- $dialect := include "neo4j.dialect" $root -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace | quote }}
  labels:
    {{- include "neo4j.roleLabels" . | nindent 4 }}
spec:
  replicas: {{ include "neo4j.replicas" . }}
  serviceName: {{ include "neo4j.fullname" $root }}
  # Members must start together for a cluster to form.
  podManagementPolicy: Parallel
  selector:
    matchLabels:
      {{- include "neo4j.roleSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "neo4j.roleLabels" . | nindent 8 }}
        {{- if $wi.azureClientId }}
        azure.workload.identity/use: "true"
        {{- end }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Settings changed by helm upgrade roll the pods.
        checksum/config: {{ include "neo4j.config" . | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "neo4j.serviceAccountName" $root }}
      # Nothing here calls the Kubernetes API: the token is mounted only where
      # workload identity may read it (see automountServiceAccountToken).
      automountServiceAccountToken: {{ include "neo4j.automountToken" $root }}
      terminationGracePeriodSeconds: {{ int $rv.terminationGracePeriodSeconds }}
      {{- with $v.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if or $v.imagePullSecret $v.imagePullSecrets }}
      imagePullSecrets:
        {{- with $v.imagePullSecret }}
        - name: {{ . | quote }}
        {{- end }}
        {{- range $v.imagePullSecrets }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      {{- if or $rv.restore.enabled $rv.initContainers }}
      initContainers:
        {{- if $rv.restore.enabled }}
        {{- include "neo4j.restore.initContainer" . | nindent 8 }}
        {{- end }}
        {{- with $rv.initContainers }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      containers:
        - name: neo4j
          image: "{{ $v.image }}:{{ $v.imageTag }}"
          imagePullPolicy: {{ $v.imagePullPolicy }}
          envFrom:
            - configMapRef:
                name: {{ $name }}-config
            {{- with $rv.configMap }}
            - configMapRef:
                name: {{ . | quote }}
            {{- end }}
            {{- with $rv.envFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            # This member's address, as the other members and the drivers reach it.
            - name: {{ include "neo4j.envName" (include "neo4j.advertisedAddressSetting" $root) }}
              value: "$(POD_NAME).{{ include "neo4j.fullname" $root }}.{{ $root.Release.Namespace }}.svc.{{ $v.clusterDomain }}"
            {{- if $v.authEnabled }}
            # Not NEO4J_*: the image turns every NEO4J_* variable into a setting.
            - name: AUTH_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "neo4j.passwordSecretName" $root }}
                  key: {{ $v.existingPasswordSecretKey | default "neo4j-password" }}
            - name: NEO4J_AUTH
              value: "neo4j/$(AUTH_PASSWORD)"
            {{- else }}
            - name: NEO4J_AUTH
              value: none
            {{- end }}
            {{- if include "neo4j.isEnterprise" $root }}
            - name: NEO4J_ACCEPT_LICENSE_AGREEMENT
              value: {{ $v.acceptLicenseAgreement | quote }}
            {{- end }}
            {{- with $v.plugins }}
            - name: {{ ternary "NEO4JLABS_PLUGINS" "NEO4J_PLUGINS" (eq $dialect "4.4") }}
              value: {{ . | quote }}
            {{- end }}
            {{- with $rv.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: 7474
            - name: bolt
              containerPort: 7687
            - name: routing
              containerPort: 7688
            - name: backup
              containerPort: 6362
            {{- if include "neo4j.isCluster" $root }}
            {{- if include "neo4j.discoveryV1" $root }}
            - name: discovery
              containerPort: 5000
            {{- end }}
            - name: cluster
              containerPort: 6000
            - name: raft
              containerPort: 7000
            {{- end }}
          volumeMounts:
            - name: datadir
              mountPath: /data
              {{- with $rv.persistentVolume.subPath }}
              subPath: {{ . | quote }}
              {{- end }}
            {{- with (concat ($rv.extraVolumeMounts | default list) ($rv.additionalVolumeMounts | default list)) }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $v.readinessProbe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.livenessProbe }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.startupProbe }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $rv.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.containerSecurityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
        {{- with (concat ($rv.sidecars | default list) ($rv.sidecarContainers | default list)) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- $volumes := concat ($rv.extraVolumes | default list) ($rv.additionalVolumes | default list) }}
      {{- if or (not $rv.persistentVolume.enabled) (and $rv.restore.enabled $rv.restore.secretName) $volumes }}
      volumes:
        {{- if not $rv.persistentVolume.enabled }}
        - name: datadir
          emptyDir: {}
        {{- end }}
        {{- if and $rv.restore.enabled $rv.restore.secretName }}
        {{- include "neo4j.restore.volume" $rv.restore | nindent 8 }}
        {{- end }}
        {{- with $volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
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
  {{- if $rv.persistentVolume.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: datadir
        labels:
          {{- include "neo4j.roleSelectorLabels" . | nindent 10 }}
        {{- with $rv.persistentVolume.annotations }}
        annotations:
          {{- toYaml . | nindent 10 }}
        {{- end }}
      spec:
        accessModes: ["ReadWriteOnce"]
        {{- with $rv.persistentVolume.storageClass }}
        storageClassName: {{ if eq . "-" }}""{{ else }}{{ . | quote }}{{ end }}
        {{- end }}
        resources:
          requests:
            storage: {{ $rv.persistentVolume.size | quote }}
  {{- end }}
{{- end -}}
