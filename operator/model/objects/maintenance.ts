// The schema migration Job and the partition maintenance CronJob of a pipeline, both run from
// the workload image (its `migrate` and `partitions` commands).
//
// The migration Job is named after a hash of its own spec (image, database settings, pod
// settings): a Job's pod template is immutable, so a change makes a new Job rather than an
// update, and a migration that already succeeded for this image and these databases is never
// run again. The reconciler rolls workloads out only once the current Job has succeeded.
import type { V1CronJob, V1EnvVar, V1Job, V1JobSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { DEFAULT_MAINTENANCE_SCHEDULE, type SyncPipeline } from '../../api/v1alpha1.js';
import { ENV, JOB_DEFAULTS, JOB_ENV } from '../../../core/env-contract.js';
import { DEFAULTS } from '../defaults.js';
import { stableHash } from '../hash.js';
import { childMeta } from './metadata.js';
import { MANAGED_BY_LABEL } from '../../../core/labels.js';
import { componentLabels, migrationJobName, partitionsCronJobName, serviceAccountName, type JobComponent } from '../naming.js';
import type { PodResources } from '../sizing/profile.js';
import { canonicalQuantity } from '../quantity.js';
import { containerSecurityContext, databaseCaVolumes, mongoEnv, podSecurityContext, postgresEnv, TMP_MOUNT, TMP_VOLUME } from './workloads.js';

const MAINTENANCE_DEFAULTS = {
  schedule: DEFAULT_MAINTENANCE_SCHEDULE,
  partitionDaysAhead: JOB_DEFAULTS.daysAhead,
  partitionRetentionDays: JOB_DEFAULTS.retentionDays,
  // DDL and index builds: little CPU, bounded memory, whatever the environment.
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } satisfies PodResources,
  /** Pod retries before the migration is reported Failed. */
  migrationBackoffLimit: 4,
  /** A migration that takes longer is stuck (a lock held elsewhere): fail it visibly. */
  migrationDeadlineSeconds: 1800,
  partitionsBackoffLimit: 3,
  partitionsDeadlineSeconds: 1800,
  /** A run missed by more than this (controller down) is skipped; the next day's catches up. */
  startingDeadlineSeconds: 3600,
} as const;

interface MaintenanceSettings {
  schedule: string;
  timeZone?: string;
  suspend: boolean;
  partitionDaysAhead: number;
  partitionRetentionDays: number;
  resources: PodResources;
}

function maintenanceSettings(p: SyncPipeline): MaintenanceSettings {
  const m = p.spec.maintenance ?? {};
  const d = MAINTENANCE_DEFAULTS;
  const q = (v: string | number | undefined, fallback: string) => canonicalQuantity(v ?? fallback);
  return {
    schedule: m.schedule ?? d.schedule,
    ...(m.timeZone ? { timeZone: m.timeZone } : {}),
    suspend: m.suspend ?? false,
    partitionDaysAhead: m.partitionDaysAhead ?? d.partitionDaysAhead,
    partitionRetentionDays: m.partitionRetentionDays ?? d.partitionRetentionDays,
    resources: {
      requests: { cpu: q(m.resources?.requests?.cpu, d.resources.requests.cpu), memory: q(m.resources?.requests?.memory, d.resources.requests.memory) },
      limits: { cpu: q(m.resources?.limits?.cpu, d.resources.limits.cpu), memory: q(m.resources?.limits?.memory, d.resources.limits.memory) },
    },
  };
}

/** Pool sizing and source filters matter to the consumers only; a change must not re-run the migration. */
const CONSUMER_ONLY_MONGO_ENV = new Set<string>([ENV.mongoEnabledSources, ENV.mongoMaxPoolSize, ENV.mongoMinPoolSize, ENV.mongoWaitQueueTimeoutMs]);

function migrationEnv(p: SyncPipeline, s: MaintenanceSettings): V1EnvVar[] {
  return [
    ...postgresEnv(p.spec),
    ...mongoEnv(p.spec).filter((e) => !CONSUMER_ONLY_MONGO_ENV.has(e.name)),
    { name: JOB_ENV.migrateDaysAhead, value: String(s.partitionDaysAhead) },
  ];
}

function partitionsEnv(p: SyncPipeline, s: MaintenanceSettings): V1EnvVar[] {
  return [
    ...postgresEnv(p.spec),
    { name: JOB_ENV.partitionDaysAhead, value: String(s.partitionDaysAhead) },
    { name: JOB_ENV.partitionRetentionDays, value: String(s.partitionRetentionDays) },
  ];
}

function jobPodTemplate(p: SyncPipeline, c: JobComponent, env: V1EnvVar[], s: MaintenanceSettings, labels: Record<string, string>): V1PodTemplateSpec {
  const spec = p.spec;
  const m = spec.maintenance ?? {};
  // Only migrate writes to MongoDB; both open PostgreSQL.
  const cas = databaseCaVolumes(spec, c === 'migrate');
  return {
    metadata: { labels: { ...labels }, ...(m.podAnnotations ? { annotations: { ...m.podAnnotations } } : {}) },
    spec: {
      serviceAccountName: serviceAccountName(p.metadata.name),
      automountServiceAccountToken: false,
      // A failed pod is kept for its logs; the Job starts a new one (backoffLimit).
      restartPolicy: 'Never',
      securityContext: podSecurityContext(),
      ...(spec.image.pullSecrets?.length ? { imagePullSecrets: spec.image.pullSecrets.map((name) => ({ name })) } : {}),
      ...(m.nodeSelector ? { nodeSelector: { ...m.nodeSelector } } : {}),
      ...(m.tolerations ? { tolerations: m.tolerations } : {}),
      containers: [
        {
          name: c,
          image: `${spec.image.repository}:${spec.image.tag}`,
          imagePullPolicy: spec.image.pullPolicy ?? DEFAULTS.pullPolicy,
          args: [c],
          env,
          resources: { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } },
          securityContext: containerSecurityContext(),
          volumeMounts: [{ ...TMP_MOUNT }, ...cas.mounts],
        },
      ],
      volumes: [{ ...TMP_VOLUME }, ...cas.volumes],
    },
  };
}

export function migrationJob(p: SyncPipeline): V1Job {
  const name = p.metadata.name;
  const s = maintenanceSettings(p);
  const labels = componentLabels(name, 'migrate');
  const spec: V1JobSpec = {
    backoffLimit: MAINTENANCE_DEFAULTS.migrationBackoffLimit,
    activeDeadlineSeconds: MAINTENANCE_DEFAULTS.migrationDeadlineSeconds,
    template: jobPodTemplate(p, 'migrate', migrationEnv(p, s), s, labels),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: childMeta(p, migrationJobName(name, stableHash(spec)), labels),
    spec,
  };
}

export function partitionsCronJob(p: SyncPipeline): V1CronJob {
  const name = p.metadata.name;
  const s = maintenanceSettings(p);
  // The Jobs it creates are the CronJob's, not ours: without the managed-by label they stay
  // out of the operator's caches and never wake it up.
  const runLabels = Object.fromEntries(Object.entries(componentLabels(name, 'partitions')).filter(([k]) => k !== MANAGED_BY_LABEL));
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: childMeta(p, partitionsCronJobName(name), componentLabels(name, 'partitions')),
    spec: {
      schedule: s.schedule,
      ...(s.timeZone ? { timeZone: s.timeZone } : {}),
      suspend: s.suspend,
      // Two runs at once would race on the same DDL: the second waits for the next day.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: MAINTENANCE_DEFAULTS.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: runLabels },
        spec: {
          backoffLimit: MAINTENANCE_DEFAULTS.partitionsBackoffLimit,
          activeDeadlineSeconds: MAINTENANCE_DEFAULTS.partitionsDeadlineSeconds,
          template: jobPodTemplate(p, 'partitions', partitionsEnv(p, s), s, runLabels),
        },
      },
    },
  };
}

/**
 * Kinds that run the workload image against the databases: applied only once the current
 * migration has succeeded, so new code never meets an old schema.
 */
export const KINDS_GATED_BY_MIGRATION: ReadonlySet<string> = new Set(['Deployment', 'CronJob']);
