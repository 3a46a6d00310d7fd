// Resolves a pipeline spec into effective settings: every default the API documents,
// applied here rather than in the CRD schema (server-written defaults make GitOps tools
// report drift). Pure: the same spec always gives the same settings.
import {
  componentOverrides,
  defaultReplicationFactor,
  type ComponentOverrides,
  type Environment,
  type SyncPipelineSpec,
  type AutoscalingEngine,
} from '../api/v1alpha1.js';
import { AUDIT_TOPIC, componentsOf, type ComponentName, type ConsumedTopic, type ConsumerLayout, type TopicName } from '../../core/domain.js';
import { ENV_DEFAULTS, WORKLOAD_HTTP_PORT } from '../../core/env-contract.js';
import type { Range, Sizing } from './sizing/ladder.js';
import { podResourcesFor, type PodResources } from './sizing/profile.js';
import { canonicalQuantity } from './quantity.js';

const DEFAULT_LAG_THRESHOLDS: Readonly<Record<TopicName, number>> = {
  sms_batched: 100,
  events_log: 500,
  apps_and_device_batched: 100,
  contacts_batched: 100,
  call_logs_batched: 100,
};

export const DEFAULTS = {
  ...ENV_DEFAULTS,
  servicePort: WORKLOAD_HTTP_PORT,
  /** % of the CPU request: 0.7 core of a production pod, reached by one process well before it saturates (profile.ts). */
  cpuTargetUtilization: 70,
  pollingIntervalSeconds: 30,
  cooldownPeriodSeconds: 300,
  scaleDownStabilizationSeconds: 300,
  pullPolicy: 'IfNotPresent',
} as const;

/** The part of a spec that sizing depends on: enough for `mobileforge plan`. */
export type SizingSpec = Pick<SyncPipelineSpec, 'dau' | 'environment' | 'region' | 'producer' | 'consumers'> & {
  kafka?: Pick<SyncPipelineSpec['kafka'], 'replicationFactor' | 'minInSyncReplicas' | 'topics' | 'topicPrefix' | 'consumerGroupPrefix'>;
};

export interface ComponentSettings {
  readonly replicas: Range;
  readonly resources: PodResources;
  readonly overrides: ComponentOverrides;
}

/**
 * Replicas of each topic's partitions unless the spec says (operator/api's rule, which the CRD's
 * admission rules use too): never more than the plan's smallest broker count for the DAU.
 */
function defaultReplicationFactorFor(spec: SizingSpec): number {
  return defaultReplicationFactor(spec.environment, spec.dau);
}

export function defaultMinInSync(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/**
 * A production Producer API never runs as a single pod: with one replica, a node drain (which
 * evicts before it replaces) or a lost node takes ingestion down, and a budget that forbade the
 * eviction would block the drain instead. So its floor is 2 there, over the sizing model and
 * over the spec's own minReplicas and maxReplicas alike: raised, not refused, as the guard rails
 * (guard-rails.ts) never refuse either; the pipeline is applied and what was changed is said in
 * the Adjusted condition (productionFloorAdjustments).
 */
const PRODUCTION_PRODUCER_FLOOR = 2;

function floorOf(spec: Pick<SizingSpec, 'environment'>, c: ComponentName): number {
  return c === 'producer' && spec.environment === 'production' ? PRODUCTION_PRODUCER_FLOOR : 0;
}

/** Replica range after overrides; an override of only one bound keeps the range valid. */
function effectiveReplicas(ladder: Range, o: ComponentOverrides, floor: number): Range {
  const min = Math.max(floor, o.minReplicas ?? Math.min(ladder.min, o.maxReplicas ?? ladder.min));
  const max = Math.max(floor, o.maxReplicas ?? Math.max(ladder.max, min));
  return { min, max };
}

/** The spec's replica bounds raised to the production floor, one message (empty when none was). */
export function productionFloorAdjustments(spec: SizingSpec): string[] {
  const floor = floorOf(spec, 'producer');
  const o = componentOverrides(spec, 'producer');
  const raised = (['minReplicas', 'maxReplicas'] as const).filter((k) => o[k] !== undefined && o[k] < floor);
  if (raised.length === 0) return [];
  const asked = raised.map((k) => `${k} ${o[k]}`).join(' and ');
  return [
    `producer.${asked} raised to ${floor}: a production Producer API runs at least ${floor} replicas, so that a node drain or a lost node never stops ingestion`,
  ];
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
    replicas: effectiveReplicas(sizing[c], overrides, floorOf(spec, c)),
    resources: effectiveResources(spec.environment, overrides),
    overrides,
  };
}

export function consumerLayout(spec: Pick<SyncPipelineSpec, 'consumers'>): ConsumerLayout {
  return spec.consumers?.layout ?? 'split';
}

/** The producer and the consumers of the spec's layout. */
export function pipelineComponents(spec: Pick<SyncPipelineSpec, 'consumers'>): readonly ComponentName[] {
  return componentsOf(consumerLayout(spec));
}

export function requestedEngine(spec: SyncPipelineSpec): AutoscalingEngine {
  return spec.autoscaling?.engine ?? 'keda';
}

/**
 * Audit rows are small (one per request or per refusal key and minute) and written in large
 * batches: a replica keeps up with far more of them than of data messages.
 */
const AUDIT_LAG_THRESHOLD = 1000;

export function lagThreshold(spec: SyncPipelineSpec, topic: ConsumedTopic): number {
  if (topic === AUDIT_TOPIC) return AUDIT_LAG_THRESHOLD;
  return spec.autoscaling?.lagThresholds?.[topic] ?? DEFAULT_LAG_THRESHOLDS[topic];
}

export function replicationFactor(spec: SizingSpec): number {
  return spec.kafka?.replicationFactor ?? defaultReplicationFactorFor(spec);
}

export function topicMode(spec: SyncPipelineSpec): 'strimzi' | 'admin' | 'unmanaged' {
  return spec.kafka.topicManagement?.mode ?? 'admin';
}
