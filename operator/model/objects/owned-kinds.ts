// Every kind of object a pipeline can own. The operator watches, applies and prunes these, and
// its RBAC role (model/objects/rbac.ts) is generated from the same list, so a new child kind cannot
// ship without the permission to manage it.
import type { Capabilities } from './autoscaling.js';

export interface KindInfo {
  apiVersion: string;
  kind: string;
  plural: string;
}

/**
 * Kinds the operator only reads, selected by its managed-by label like its children: the
 * workloads' Pods, whose container states say when a Deployment will never become available
 * (a crash loop, an image that cannot be pulled) long before its progress deadline.
 */
export const OBSERVED_KINDS: readonly KindInfo[] = [{ apiVersion: 'v1', kind: 'Pod', plural: 'pods' }];

/** Every kind of child object, in apply order (dependencies first). */
export function ownedKinds(caps: Capabilities): KindInfo[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
    ...(caps.kafkaTopicApiVersion ? [{ apiVersion: caps.kafkaTopicApiVersion, kind: 'KafkaTopic', plural: 'kafkatopics' }] : []),
    { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
    { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
    { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs' },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
    { apiVersion: 'v1', kind: 'Service', plural: 'services' },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
    ...(caps.keda
      ? [
          { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', plural: 'triggerauthentications' },
          { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' },
        ]
      : []),
    ...(caps.podMonitor ? [{ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', plural: 'podmonitors' }] : []),
  ];
}
