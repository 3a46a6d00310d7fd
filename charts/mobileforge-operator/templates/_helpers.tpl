{{- define "mfo.name" -}}mobileforge-operator{{- end -}}
{{- define "mfo.fullname" -}}{{- if contains "mobileforge-operator" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-mobileforge-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}{{- end -}}
{{- define "mfo.labels" -}}
app.kubernetes.io/name: {{ include "mfo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: mobileforge-sync
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "mfo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mfo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "mfo.serviceAccountName" -}}{{- if .Values.serviceAccount.create -}}{{ default (include "mfo.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}{{- end -}}
