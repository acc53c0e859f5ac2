{{/*
Expand the name of the chart.
*/}}
{{- define "instagram-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name, cut to 63 characters (DNS names).
If the release name contains the chart name it is used as the full name.
*/}}
{{- define "instagram-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The bundled Redis's name: the full name cut to leave room for "-redis".
*/}}
{{- define "instagram-gateway.redisName" -}}
{{- printf "%s-redis" (include "instagram-gateway.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
Chart name and version, for the chart label.
*/}}
{{- define "instagram-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries.
*/}}
{{- define "instagram-gateway.commonLabels" -}}
helm.sh/chart: {{ include "instagram-gateway.chart" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels of the gateway's objects.
*/}}
{{- define "instagram-gateway.labels" -}}
{{ include "instagram-gateway.commonLabels" . }}
{{ include "instagram-gateway.selectorLabels" . }}
{{- end }}

{{/*
Labels of the bundled Redis's objects.
*/}}
{{- define "instagram-gateway.redisLabels" -}}
{{ include "instagram-gateway.commonLabels" . }}
{{ include "instagram-gateway.redisSelectorLabels" . }}
{{- end }}

{{/*
Selector labels of the gateway's pods.
*/}}
{{- define "instagram-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "instagram-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/*
Selector labels of the bundled Redis.
*/}}
{{- define "instagram-gateway.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "instagram-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{/*
The service account's name.
*/}}
{{- define "instagram-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "instagram-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Secret holding admin-token, encryption-key, redis-password and
instagram-app-secret.
*/}}
{{- define "instagram-gateway.secretName" -}}
{{- default (include "instagram-gateway.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
Whether the bundled Redis is deployed.
*/}}
{{- define "instagram-gateway.bundledRedis" -}}
{{- if and (eq .Values.mode "redis") .Values.redis.bundled.enabled }}true{{- end }}
{{- end }}

{{/*
GATEWAY_REDIS_URL: the external URL, or the bundled Redis's Service.
*/}}
{{- define "instagram-gateway.redisURL" -}}
{{- if .Values.redis.url }}
{{- .Values.redis.url }}
{{- else }}
{{- printf "redis://%s:6379/0" (include "instagram-gateway.redisName" .) }}
{{- end }}
{{- end }}

{{/*
validate refuses the combinations the gateway cannot run, with a message that
says what to change. values.schema.json refuses them first; this is the same
rule for `--skip-schema-validation` and for parents that override the schema.
*/}}
{{- define "instagram-gateway.validate" -}}
{{- if eq .Values.mode "embedded" }}
{{- if ne (int .Values.replicaCount) 1 }}
{{- fail "mode=embedded keeps connections in one pod's file: set replicaCount=1, or use mode=redis for more replicas" }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "mode=embedded cannot autoscale (one pod owns the file): set autoscaling.enabled=false, or use mode=redis" }}
{{- end }}
{{- if not .Values.embedded.persistence.enabled }}
{{- fail "mode=embedded needs a PersistentVolumeClaim (connections would vanish with the pod): set embedded.persistence.enabled=true" }}
{{- end }}
{{- else if eq .Values.mode "redis" }}
{{- if and .Values.redis.url .Values.redis.bundled.enabled }}
{{- fail "redis.url is set and redis.bundled.enabled=true: choose one (set redis.bundled.enabled=false to use your Redis)" }}
{{- end }}
{{- if not (or .Values.redis.url .Values.redis.bundled.enabled) }}
{{- fail "mode=redis needs a Redis: set redis.url, or redis.bundled.enabled=true for a trial" }}
{{- end }}
{{- else }}
{{- fail (printf "mode must be redis or embedded, not %q" .Values.mode) }}
{{- end }}
{{- end }}

{{/*
A secret value: the one given, else the one already in the cluster (so that
upgrades keep it), else a new one made by the generator.
Arguments: (list $ "key" "given value" "generated value").
*/}}
{{- define "instagram-gateway.secretValue" -}}
{{- $root := index . 0 }}
{{- $key := index . 1 }}
{{- $given := index . 2 }}
{{- $generated := index . 3 }}
{{- if $given }}
{{- $given | b64enc }}
{{- else }}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace (include "instagram-gateway.fullname" $root) }}
{{- if and $existing (index $existing.data $key) }}
{{- index $existing.data $key }}
{{- else }}
{{- $generated | b64enc }}
{{- end }}
{{- end }}
{{- end }}
