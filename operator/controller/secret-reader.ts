// The values of the few Secrets the operator must read (Kafka SASL credentials and CA for its
// Kafka clients: topics in admin mode, offsets in every mode), fetched from the API server on demand. The watch cache holds only
// digests (caches.ts); its resourceVersion says when a fetched copy is stale.
import * as k8s from '@kubernetes/client-node';
import type { ClusterCache } from './caches.js';

export interface SecretSource {
  /** Decoded values of a Secret, or undefined if it does not exist. */
  values(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** Reads one Secret from the API server. */
export type SecretFetch = (namespace: string, name: string) => Promise<k8s.V1Secret>;

export class SecretReader implements SecretSource {
  private readonly fetched = new Map<string, { resourceVersion: string; values: Record<string, string> }>();

  /** The I/O comes in as an argument (as ListWatch takes its list function): tests count it. */
  constructor(
    private readonly cache: Pick<ClusterCache, 'secret'>,
    private readonly fetch: SecretFetch,
  ) {}

  static forCluster(kc: k8s.KubeConfig, cache: ClusterCache): SecretReader {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    return new SecretReader(cache, (namespace, name) => core.readNamespacedSecret({ name, namespace }));
  }

  async values(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const key = `${namespace}/${name}`;
    const watched = this.cache.secret(namespace, name);
    if (!watched) {
      this.fetched.delete(key);
      return undefined;
    }
    const version = watched.metadata?.resourceVersion ?? '';
    const hit = this.fetched.get(key);
    if (hit && hit.resourceVersion === version) return hit.values;
    const secret = await this.fetch(namespace, name);
    const values = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    this.fetched.set(key, { resourceVersion: secret.metadata?.resourceVersion ?? version, values });
    return values;
  }
}
