// The I/O a reconcile is given: the watch caches to read, the client to write with, Kafka's
// admin clients and the Secrets they need, and the settings. Tests hand in fakes.
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline, SyncPipelineStatus } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/objects/autoscaling.js';
import type { PipelineEvent } from '../model/report/events.js';
import type { ChildCache, ChildWriter } from './children.js';
import type { ObjectRef } from './cluster.js';
import type { SecretSource } from './secret-reader.js';
import type { TopicAdminPool } from './topic-admin.js';

/** What the reconciler reads: the watch caches (ClusterCache), never the API server directly. */
export interface ReconcilerCache extends ChildCache {
  pipeline(namespace: string, name: string): SyncPipeline | undefined;
  /** Every pipeline the operator watches: another one may already hold a topic or group. */
  pipelines(): SyncPipeline[];
  /** Secrets and ConfigMaps with digests in place of their values. */
  secret(namespace: string, name: string): k8s.V1Secret | undefined;
  configMap(namespace: string, name: string): k8s.V1ConfigMap | undefined;
}

/** What the reconciler writes (ClusterClient). */
export interface ReconcilerWriter extends ChildWriter {
  delete(ref: ObjectRef): Promise<void>;
  writeStatus(p: SyncPipeline, status: SyncPipelineStatus): Promise<void>;
  setFinalizers(p: SyncPipeline, finalizers: string[]): Promise<void>;
  recordEvent(p: SyncPipeline, e: PipelineEvent): Promise<void>;
}

export interface ReconcilerDeps {
  cache: ReconcilerCache;
  client: ReconcilerWriter;
  topics: TopicAdminPool;
  /** Secret values, for the Kafka admin client only (the cache holds digests). */
  secrets: SecretSource;
  capabilities: () => Capabilities;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** How soon to look again while topics or pods are not ready. */
  pendingRequeueMs?: number;
  /** How often to read consumer lag and produce rate from Kafka, in every topic mode (0: never). Default 30 s. */
  flowIntervalMs?: number;
  /** Lag growing for this long sets Lagging=True. Default 5 minutes. */
  laggingAfterMs?: number;
}
