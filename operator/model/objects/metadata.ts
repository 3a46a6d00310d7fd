// Object metadata for children: labels from naming.ts and the owner reference. The
// pipeline's own labels and annotations are never copied (GitOps tracking labels such as
// argocd.argoproj.io/instance would otherwise leak onto children and confuse the tool).
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type SyncPipeline } from '../../api/v1alpha1.js';

function ownerReference(p: SyncPipeline): V1OwnerReference | undefined {
  if (!p.metadata.uid) return undefined;
  return { apiVersion: API_VERSION, kind: KIND, name: p.metadata.name, uid: p.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function childMeta(p: SyncPipeline, name: string, labels: Record<string, string>, opts: { owned?: boolean } = {}): V1ObjectMeta {
  const owner = opts.owned === false ? undefined : ownerReference(p);
  return {
    name,
    ...(p.metadata.namespace ? { namespace: p.metadata.namespace } : {}),
    labels: { ...labels },
    ...(owner ? { ownerReferences: [owner] } : {}),
  };
}
