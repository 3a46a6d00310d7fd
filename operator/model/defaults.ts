// Every default a pipeline spec has, as values: what an unset field means. Only resolve.ts
// reads this table; it applies it once, and everything else reads the resolved pipeline. The
// defaults are not in the CRD schema because server-written defaults make GitOps tools report
// drift. The workloads' own defaults for an unset variable (core/env-contract.ts) are spread in
// here, so the operator and the workloads cannot disagree on them.
import { DEFAULT_MAINTENANCE_SCHEDULE, SINGLE_BROKER_MAX_DAU, type Environment } from '../api/v1alpha1.js';
import type { TopicName } from '../../core/domain.js';
import { ENV_DEFAULTS, JOB_DEFAULTS, WORKLOAD_HTTP_PORT } from '../../core/env-contract.js';
import type { PodResources } from './sizing/profile.js';

export const DEFAULTS = {
  ...ENV_DEFAULTS,
  /** Production checks the database's certificate and host name; elsewhere the libpq default (postgresSslMode). */
  productionPostgresSslMode: 'verify-full',
  /** Every source (MONGODB_ENABLED_SOURCES). */
  mongoEnabledSources: ['*'],
  servicePort: WORKLOAD_HTTP_PORT,
  serviceType: 'ClusterIP',
  /** % of the CPU request: 0.7 core of a production pod, reached by one process well before it saturates (profile.ts). */
  cpuTargetUtilization: 70,
  pollingIntervalSeconds: 30,
  cooldownPeriodSeconds: 300,
  scaleDownStabilizationSeconds: 300,
  pullPolicy: 'IfNotPresent',
  consumerLayout: 'split',
  autoscalingEngine: 'keda',
  topicMode: 'admin',
  /** Topic and consumer group prefix: none, the seed's names exactly (the group prefix follows the topic prefix). */
  topicPrefix: '',
  scrapeInterval: '30s',
} as const;

/** The key a Secret or ConfigMap reference means when it leaves its key out: the conventional one. */
export const DEFAULT_SECRET_KEYS = { username: 'username', password: 'password', uri: 'uri', ca: 'ca.crt' } as const;

/** Target lag per consumer replica, by topic (KEDA's lagThreshold). */
export const DEFAULT_LAG_THRESHOLDS: Readonly<Record<TopicName, number>> = {
  sms_batched: 100,
  events_log: 500,
  apps_and_device_batched: 100,
  contacts_batched: 100,
  call_logs_batched: 100,
};

/**
 * Audit rows are small (one per request or per refusal key and minute) and written in large
 * batches: a replica keeps up with far more of them than of data messages. Not settable.
 */
export const AUDIT_LAG_THRESHOLD = 1000;

export const MAINTENANCE_DEFAULTS = {
  schedule: DEFAULT_MAINTENANCE_SCHEDULE,
  suspend: false,
  partitionDaysAhead: JOB_DEFAULTS.daysAhead,
  partitionRetentionDays: JOB_DEFAULTS.retentionDays,
  // DDL and index builds: little CPU, bounded memory, whatever the environment.
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } satisfies PodResources,
} as const;

/**
 * Replication factor of the topics when the spec sets none: 1 in dev or on a plan that starts at
 * one broker (where 3 could not even be created), else 3. The CRD's minInSyncReplicas rule
 * states the same in CEL (operator/api/v1alpha1.ts).
 */
export function defaultReplicationFactor(environment: Environment, dau: number): number {
  return environment === 'dev' || dau <= SINGLE_BROKER_MAX_DAU ? 1 : 3;
}

/** min.insync.replicas when the spec sets none: 2 of 3 or more replicas, else 1. */
export function defaultMinInSync(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/**
 * A production Producer API never runs as a single pod: with one replica, a node drain (which
 * evicts before it replaces) or a lost node takes ingestion down, and a budget that forbade the
 * eviction would block the drain instead. So its floor is 2 there, over the sizing model and
 * over the spec's own minReplicas and maxReplicas alike: raised, not refused, as the guard rails
 * (guard-rails.ts) never refuse either; the pipeline is applied and what was changed is said in
 * the Adjusted condition (productionFloorAdjustments in resolve.ts).
 */
export const PRODUCTION_PRODUCER_FLOOR = 2;
