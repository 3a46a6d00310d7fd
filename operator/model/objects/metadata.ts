// Object metadata for children: labels from naming.ts and the owner reference. The
// pipeline's own labels and annotations are never copied (GitOps tracking labels such as
// argocd.argoproj.io/instance would otherwise leak onto children and confuse the tool).
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../../api/v1alpha1.js';

/** What a child needs of its pipeline: a SyncPipeline or a resolved one. */
interface Owner {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
}

function ownerReference(p: Owner): V1OwnerReference | undefined {
  if (!p.metadata.uid) return undefined;
  return { apiVersion: API_VERSION, kind: KIND, name: p.metadata.name, uid: p.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function childMeta(p: Owner, name: string, labels: Record<string, string>, opts: { owned?: boolean } = {}): V1ObjectMeta {
  const owner = opts.owned === false ? undefined : ownerReference(p);
  return {
    name,
    ...(p.metadata.namespace ? { namespace: p.metadata.namespace } : {}),
    labels: { ...labels },
    ...(owner ? { ownerReferences: [owner] } : {}),
  };
}
