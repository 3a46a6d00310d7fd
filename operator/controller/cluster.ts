// Every write the reconciler makes to the API server goes through here: server-side apply with
// the operator's field manager and an explicit patch type (client-node defaults to strategic
// merge, which custom resources reject), deletes, status, finalizers and Events. Counting them
// here is what lets tests assert that an idle operator writes nothing. (The leader elector's
// Lease renewals are the one other write; they go through leader-election.ts.)
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type SyncPipeline, type SyncPipelineStatus } from '../api/v1alpha1.js';
import { FIELD_MANAGER } from '../model/naming.js';
import type { PipelineEvent } from '../model/report/events.js';
import type { OperatorMetrics } from './metrics.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function refOf(o: k8s.KubernetesObject): ObjectRef {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}) };
}

export function describeRef(r: ObjectRef): string {
  return `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** The HTTP status of a failed client-node call, if any. */
export function httpStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

export class ClusterClient {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;

  constructor(
    kc: k8s.KubeConfig,
    private readonly metrics: OperatorMetrics,
    private readonly component = 'mobileforge-operator',
  ) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  private async write<T>(verb: string, resource: string, call: () => Promise<T>): Promise<T> {
    this.metrics.apiWrites.inc({ verb, resource });
    try {
      return await call();
    } catch (err) {
      this.metrics.apiErrors.inc({ verb, resource, code: String(httpStatus(err) ?? 'network') });
      throw err;
    }
  }

  /** Server-side apply, forcing ownership of the fields we set (we are their controller). */
  async apply<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return this.write('apply', obj.kind!, () => this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply));
  }

  async delete(ref: ObjectRef): Promise<void> {
    await this.write('delete', ref.kind, async () => {
      try {
        await this.objects.delete(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
    });
  }

  /** Replaces the whole status (JSON patch "add" replaces an existing member). */
  async writeStatus(p: SyncPipeline, status: SyncPipelineStatus): Promise<void> {
    await this.write('patch-status', PLURAL, () =>
      this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: p.metadata.namespace!,
          plural: PLURAL,
          name: p.metadata.name,
          body: [{ op: 'add', path: '/status', value: status }],
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      ),
    );
  }

  /** Sets the finalizer list, guarded by resourceVersion so a concurrent change is not lost. */
  async setFinalizers(p: SyncPipeline, finalizers: string[]): Promise<void> {
    await this.write('patch', PLURAL, () =>
      this.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: p.metadata.namespace!,
          plural: PLURAL,
          name: p.metadata.name,
          body: { metadata: { finalizers, resourceVersion: p.metadata.resourceVersion } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
  }

  async recordEvent(p: SyncPipeline, e: PipelineEvent): Promise<void> {
    const now = new Date();
    await this.write('create', 'events', () =>
      this.core.createNamespacedEvent({
        namespace: p.metadata.namespace!,
        body: {
          metadata: { generateName: `${p.metadata.name}.`, namespace: p.metadata.namespace! },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: KIND,
            name: p.metadata.name,
            namespace: p.metadata.namespace!,
            ...(p.metadata.uid ? { uid: p.metadata.uid } : {}),
            ...(p.metadata.resourceVersion ? { resourceVersion: p.metadata.resourceVersion } : {}),
          },
          type: e.type,
          reason: e.reason,
          message: e.message.slice(0, 1024),
          source: { component: this.component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          reportingComponent: this.component,
        },
      }),
    );
  }
}
