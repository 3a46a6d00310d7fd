// Watch-backed caches (client-node ListWatch informers) of the pipelines, of every kind of
// object the operator owns (selected by its managed-by label), and of Secrets (for the
// rolling-restart hash), and of ConfigMaps (the same, for extra env). Reads during reconciles come from here, never from the API server.
// Secrets and ConfigMaps are kept as digests only (see digestValues): the few values the operator needs are
// read on demand (secret-reader.ts).
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, KIND, PLURAL, type SyncPipeline } from '../api/v1alpha1.js';
import { MANAGED_BY } from '../model/naming.js';
import type { KindInfo } from '../model/objects/owned-kinds.js';

export const PIPELINE_KIND: KindInfo = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };
const SECRET_KIND: KindInfo = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' };
const CONFIGMAP_KIND: KindInfo = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };
const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

function basePath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

type ChangeHandler = (obj: k8s.KubernetesObject, kind: KindInfo) => void;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const digest = (v: string) => `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 32)}`;
const digestMap = (m: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, digest(v)]));

/**
 * Replaces a Secret's or ConfigMap's values by digests, in place. The operator watches every
 * Secret and ConfigMap of the namespaces it serves (a pipeline may name any of them), which on
 * a busy cluster includes Helm release Secrets and large ConfigMaps: holding their values
 * would cost memory and keep credentials in the heap for no reason. A digest still changes
 * when the value changes, which is all the rolling-restart hash needs. kubectl's last-applied
 * annotation is dropped: for an object applied client-side it holds the values in plain text.
 */
export function digestValues(obj: k8s.V1Secret | k8s.V1ConfigMap): void {
  const o = obj as { data?: Record<string, string>; binaryData?: Record<string, string>; stringData?: Record<string, string> };
  if (o.data) o.data = digestMap(o.data);
  if (o.binaryData) o.binaryData = digestMap(o.binaryData);
  delete o.stringData;
  if (obj.metadata?.annotations?.[LAST_APPLIED] !== undefined) delete obj.metadata.annotations[LAST_APPLIED];
}

interface Watched {
  info: KindInfo;
  informers: k8s.Informer<k8s.KubernetesObject>[];
  caches: k8s.ObjectCache<k8s.KubernetesObject>[];
}

export interface ClusterCacheOptions {
  /** Namespaces to watch; empty = all namespaces. */
  namespaces: string[];
  onChange: ChangeHandler;
  onError?: (kind: KindInfo, err: unknown) => void;
  restartDelayMs?: number;
}

export class ClusterCache {
  private readonly watched = new Map<string, Watched>();
  private readonly objects: k8s.KubernetesObjectApi;
  private stopped = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly opts: ClusterCacheOptions,
  ) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  }

  private key(apiVersion: string, kind: string): string {
    return `${apiVersion}/${kind}`;
  }

  /**
   * Starts watching a kind (idempotent); resolves when its first list has arrived. `transform`
   * rewrites each object, in place, before it is cached and handed on.
   */
  async watch(info: KindInfo, labelSelector?: string, transform?: (obj: k8s.KubernetesObject) => void): Promise<void> {
    const key = this.key(info.apiVersion, info.kind);
    if (this.watched.has(key)) return;
    const scopes = this.opts.namespaces.length ? this.opts.namespaces : [undefined];
    const entry: Watched = { info, informers: [], caches: [] };
    this.watched.set(key, entry);
    await Promise.all(
      scopes.map(async (ns) => {
        const path = `${basePath(info.apiVersion)}${ns ? `/namespaces/${ns}` : ''}/${info.plural}`;
        const list = () => this.objects.list(info.apiVersion, info.kind, ns, undefined, undefined, undefined, undefined, labelSelector);
        const informer = k8s.makeInformer<k8s.KubernetesObject>(this.kc, path, list, labelSelector);
        for (const verb of [k8s.ADD, k8s.UPDATE, k8s.DELETE] as const) {
          informer.on(verb, (obj) => {
            // The cache keeps this very object: managedFields are never read and are often the
            // largest part of it, so drop them to keep the operator's memory small.
            if (obj.metadata) delete obj.metadata.managedFields;
            // Items of the first list come without apiVersion and kind (a List names them
            // once); desired objects carry both, and comparing the two must not see a change.
            obj.apiVersion ??= info.apiVersion;
            obj.kind ??= info.kind;
            transform?.(obj);
            this.opts.onChange(obj, info);
          });
        }
        // A ListWatch stops on error (expired resourceVersion, network); start it again.
        informer.on(k8s.ERROR, (err) => {
          if (this.stopped) return; // our own stop() aborts the watches
          this.opts.onError?.(info, err);
          if (!this.stopped)
            setTimeout(() => void informer.start().catch((e: unknown) => this.opts.onError?.(info, e)), this.opts.restartDelayMs ?? 1000).unref();
        });
        entry.informers.push(informer);
        entry.caches.push(informer);
        await informer.start();
      }),
    );
  }

  async watchPipelines(): Promise<void> {
    await this.watch(PIPELINE_KIND);
  }

  async watchOwned(kinds: KindInfo[]): Promise<void> {
    await Promise.all(kinds.map((k) => this.watch(k, MANAGED_SELECTOR)));
  }

  async watchSecrets(): Promise<void> {
    await this.watch(SECRET_KIND, undefined, (o) => digestValues(o as k8s.V1Secret));
  }

  async watchConfigMaps(): Promise<void> {
    await this.watch(CONFIGMAP_KIND, undefined, (o) => digestValues(o as k8s.V1ConfigMap));
  }

  isWatching(info: KindInfo): boolean {
    return this.watched.has(this.key(info.apiVersion, info.kind));
  }

  get<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): T | undefined {
    for (const c of this.watched.get(this.key(apiVersion, kind))?.caches ?? []) {
      const o = c.get(name, namespace);
      if (o) return o as T;
    }
    return undefined;
  }

  list<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    return (this.watched.get(this.key(apiVersion, kind))?.caches ?? []).flatMap((c) => c.list(namespace) as T[]);
  }

  pipeline(namespace: string, name: string): SyncPipeline | undefined {
    return this.get<k8s.KubernetesObject>(API_VERSION, KIND, name, namespace) as SyncPipeline | undefined;
  }

  pipelines(): SyncPipeline[] {
    return this.list<k8s.KubernetesObject>(API_VERSION, KIND) as unknown as SyncPipeline[];
  }

  /** A ConfigMap with digests in place of its values (digestValues). */
  configMap(namespace: string, name: string): k8s.V1ConfigMap | undefined {
    return this.get<k8s.V1ConfigMap>('v1', 'ConfigMap', name, namespace);
  }

  /** A Secret with digests in place of its values (digestValues). */
  secret(namespace: string, name: string): k8s.V1Secret | undefined {
    return this.get<k8s.V1Secret>('v1', 'Secret', name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.watched.values()].flatMap((w) => w.informers.map((i) => i.stop())));
  }
}
