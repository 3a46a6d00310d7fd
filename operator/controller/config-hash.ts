// The rolling-restart hash of a pipeline over the Secrets and ConfigMaps it references, from
// their digests in the watch cache (model/objects/references.ts says what goes in).
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline } from '../api/v1alpha1.js';
import { configHash } from '../model/objects/references.js';
import type { ResolvedPipeline } from '../model/resolve.js';

export interface ReferenceCache {
  secret(namespace: string, name: string): k8s.V1Secret | undefined;
  configMap(namespace: string, name: string): k8s.V1ConfigMap | undefined;
}

export function configHashOf(cache: ReferenceCache, p: SyncPipeline, r: ResolvedPipeline): string {
  const ns = p.metadata.namespace!;
  return configHash(
    r,
    (n) => cache.secret(ns, n)?.data,
    (n) => {
      const cm = cache.configMap(ns, n);
      return cm ? { ...cm.binaryData, ...cm.data } : undefined;
    },
  );
}
