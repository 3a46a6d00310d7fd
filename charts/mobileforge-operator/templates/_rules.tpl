{{/* Generated from operator/model/objects/rbac.ts by `npm run generate`. Do not edit by hand. */}}
{{- define "mfo.rules" -}}
- apiGroups:
    - mobileforge.credeau.com
  resources:
    - syncpipelines
  verbs:
    - get
    - list
    - watch
    - patch
- apiGroups:
    - mobileforge.credeau.com
  resources:
    - syncpipelines/status
  verbs:
    - get
    - patch
- apiGroups:
    - mobileforge.credeau.com
  resources:
    - syncpipelines/finalizers
  verbs:
    - update
- apiGroups:
    - ""
  resources:
    - serviceaccounts
    - services
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - kafka.strimzi.io
  resources:
    - kafkatopics
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - batch
  resources:
    - jobs
    - cronjobs
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - apps
  resources:
    - deployments
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - policy
  resources:
    - poddisruptionbudgets
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - networking.k8s.io
  resources:
    - ingresses
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - autoscaling
  resources:
    - horizontalpodautoscalers
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - keda.sh
  resources:
    - triggerauthentications
    - scaledobjects
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - monitoring.coreos.com
  resources:
    - podmonitors
  verbs:
    - get
    - list
    - watch
    - create
    - patch
    - delete
- apiGroups:
    - ""
  resources:
    - pods
  verbs:
    - get
    - list
    - watch
- apiGroups:
    - ""
  resources:
    - secrets
    - configmaps
  verbs:
    - get
    - list
    - watch
- apiGroups:
    - ""
  resources:
    - events
  verbs:
    - create
    - patch
{{- end -}}
