// Resolves a pipeline spec into effective settings: every default the API documents,
// applied here rather than in the CRD schema (server-written defaults make GitOps tools
// report drift). Pure: the same spec always gives the same settings.
import {
  componentOverrides,
  DEFAULT_REPLICATION_FACTOR,
  type ComponentOverrides,
  type Environment,
  type SyncPipelineSpec,
  type AutoscalingEngine,
} from '../api/v1alpha1.js';
import type { ComponentName, TopicName } from '../../core/domain.js';
import type { Range, Sizing } from './ladder.js';
import { podResourcesFor, type PodResources } from './profile.js';
import { canonicalQuantity } from './quantity.js';

const DEFAULT_LAG_THRESHOLDS: Readonly<Record<TopicName, number>> = {
  sms_batched: 100,
  events_log: 500,
  apps_and_device_batched: 100,
  contacts_batched: 100,
  call_logs_batched: 100,
};

export const DEFAULTS = {
  postgresPort: 5432,
  postgresDatabase: 'api_insights_db',
  postgresSyncDatabase: 'sync_db',
  postgresSslMode: 'prefer',
  mongoPort: 27017,
  mongoDatabase: 'sync_db',
  mongoMaxPoolSize: 100,
  mongoMinPoolSize: 10,
  mongoServerSelectionTimeoutMs: 15000,
  mongoConnectTimeoutMs: 10000,
  mongoSocketTimeoutMs: 10000,
  mongoRetryWrites: true,
  mongoWaitQueueTimeoutMs: 2000,
  servicePort: 8000,
  targetUtilization: 50,
  pollingIntervalSeconds: 30,
  cooldownPeriodSeconds: 300,
  pullPolicy: 'IfNotPresent',
} as const;

/** The part of a spec that sizing depends on: enough for `mobileforge plan`. */
export type SizingSpec = Pick<SyncPipelineSpec, 'dau' | 'environment' | 'region' | 'producer' | 'consumers'> & {
  kafka?: Pick<SyncPipelineSpec['kafka'], 'replicationFactor' | 'minInSyncReplicas' | 'topics'>;
};

export interface ComponentSettings {
  readonly replicas: Range;
  readonly resources: PodResources;
  readonly overrides: ComponentOverrides;
}

function defaultReplicationFactor(environment: Environment): number {
  return DEFAULT_REPLICATION_FACTOR[environment];
}

export function defaultMinInSync(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/** Replica range after overrides; an override of only one bound keeps the range valid. */
function effectiveReplicas(ladder: Range, o: ComponentOverrides): Range {
  const min = o.minReplicas ?? Math.min(ladder.min, o.maxReplicas ?? ladder.min);
  const max = o.maxReplicas ?? Math.max(ladder.max, min);
  return { min, max };
}

function effectiveResources(environment: Environment, o: ComponentOverrides): PodResources {
  const base = podResourcesFor(environment);
  // Canonical form, as the API server stores it, so live and desired compare equal.
  const str = (v: string | number | undefined, d: string): string => canonicalQuantity(v ?? d);
  return {
    requests: { cpu: str(o.resources?.requests?.cpu, base.requests.cpu), memory: str(o.resources?.requests?.memory, base.requests.memory) },
    limits: { cpu: str(o.resources?.limits?.cpu, base.limits.cpu), memory: str(o.resources?.limits?.memory, base.limits.memory) },
  };
}

export function componentSettings(spec: SizingSpec, sizing: Sizing, c: ComponentName): ComponentSettings {
  const overrides = componentOverrides(spec, c);
  return {
    replicas: effectiveReplicas(sizing[c], overrides),
    resources: effectiveResources(spec.environment, overrides),
    overrides,
  };
}

export function requestedEngine(spec: SyncPipelineSpec): AutoscalingEngine {
  return spec.autoscaling?.engine ?? 'keda';
}

export function lagThreshold(spec: SyncPipelineSpec, topic: TopicName): number {
  return spec.autoscaling?.lagThresholds?.[topic] ?? DEFAULT_LAG_THRESHOLDS[topic];
}

export function replicationFactor(spec: SizingSpec): number {
  return spec.kafka?.replicationFactor ?? defaultReplicationFactor(spec.environment);
}

export function topicMode(spec: SyncPipelineSpec): 'strimzi' | 'admin' | 'unmanaged' {
  return spec.kafka.topicManagement?.mode ?? 'admin';
}
