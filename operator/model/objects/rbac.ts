// The operator's RBAC rules, derived from what it manages: full control of every kind a
// pipeline can own (server-side apply = create + patch, prune = delete, watch caches = get,
// list, watch), the pipelines and their status, read-only Secrets and ConfigMaps (digests for
// the rolling-restart hash, Kafka credentials for the operator's Kafka clients), and Events. Written to
// config/rbac/role.yaml and the Helm chart by `npm run generate`.
import type { V1PolicyRule } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../../api/v1alpha1.js';
import { OBSERVED_KINDS, ownedKinds } from './owned-kinds.js';

const MANAGE = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Every capability on: the role must allow what any cluster may let the operator create. */
function managedRules(): V1PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const k of ownedKinds({ keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1', podMonitor: true })) {
    const group = groupOf(k.apiVersion);
    byGroup.set(group, [...(byGroup.get(group) ?? []), k.plural]);
  }
  return [...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: MANAGE }));
}

export function operatorRules(): V1PolicyRule[] {
  return [
    // The pipelines: watched, finalizers managed (patch), status written.
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch'] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/finalizers`], verbs: ['update'] },
    ...managedRules(),
    ...OBSERVED_KINDS.map((k) => ({ apiGroups: [groupOf(k.apiVersion)], resources: [k.plural], verbs: ['get', 'list', 'watch'] })),
    { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}
