// The schema migration Job and the partition maintenance CronJob of a pipeline, both run from
// the workload image (its `migrate` and `partitions` commands).
//
// The migration Job is named after a hash of its own spec (image, database settings, pod
// settings): a Job's pod template is immutable, so a change makes a new Job rather than an
// update, and a migration that already succeeded for this image and these databases is never
// run again. The reconciler rolls workloads out only once the current Job has succeeded.
import type { V1CronJob, V1EnvVar, V1Job, V1JobSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { ENV, JOB_ENV } from '../../../core/env-contract.js';
import type { ResolvedMaintenance, ResolvedPipeline } from '../resolve.js';
import { stableHash } from '../hash.js';
import { childMeta } from './metadata.js';
import { MANAGED_BY_LABEL } from '../../../core/labels.js';
import { componentLabels, migrationJobName, partitionsCronJobName, serviceAccountName, type JobComponent } from '../naming.js';
import { containerSecurityContext, databaseCaVolumes, mongoEnv, podSecurityContext, postgresEnv, TMP_MOUNT, TMP_VOLUME } from './workloads.js';

/** How long and how often the jobs may try: fixed, not spec fields (the spec's settings are resolved, resolve.ts). */
const JOB_LIMITS = {
  /** Pod retries before the migration is reported Failed. */
  migrationBackoffLimit: 4,
  /** A migration that takes longer is stuck (a lock held elsewhere): fail it visibly. */
  migrationDeadlineSeconds: 1800,
  partitionsBackoffLimit: 3,
  partitionsDeadlineSeconds: 1800,
  /** A run missed by more than this (controller down) is skipped; the next day's catches up. */
  startingDeadlineSeconds: 3600,
} as const;

/** Pool sizing and source filters matter to the consumers only; a change must not re-run the migration. */
const CONSUMER_ONLY_MONGO_ENV = new Set<string>([ENV.mongoEnabledSources, ENV.mongoMaxPoolSize, ENV.mongoMinPoolSize, ENV.mongoWaitQueueTimeoutMs]);

function migrationEnv(r: ResolvedPipeline, s: ResolvedMaintenance): V1EnvVar[] {
  return [
    ...postgresEnv(r),
    ...mongoEnv(r).filter((e) => !CONSUMER_ONLY_MONGO_ENV.has(e.name)),
    { name: JOB_ENV.migrateDaysAhead, value: String(s.partitionDaysAhead) },
  ];
}

function partitionsEnv(r: ResolvedPipeline, s: ResolvedMaintenance): V1EnvVar[] {
  return [
    ...postgresEnv(r),
    { name: JOB_ENV.partitionDaysAhead, value: String(s.partitionDaysAhead) },
    { name: JOB_ENV.partitionRetentionDays, value: String(s.partitionRetentionDays) },
  ];
}

function jobPodTemplate(r: ResolvedPipeline, c: JobComponent, env: V1EnvVar[], labels: Record<string, string>): V1PodTemplateSpec {
  const m = r.maintenance;
  // Only migrate writes to MongoDB; both open PostgreSQL.
  const cas = databaseCaVolumes(r, c === 'migrate');
  return {
    metadata: { labels: { ...labels }, ...(m.podAnnotations ? { annotations: { ...m.podAnnotations } } : {}) },
    spec: {
      serviceAccountName: serviceAccountName(r.metadata.name),
      automountServiceAccountToken: false,
      // A failed pod is kept for its logs; the Job starts a new one (backoffLimit).
      restartPolicy: 'Never',
      securityContext: podSecurityContext(),
      ...(r.image.pullSecrets.length ? { imagePullSecrets: r.image.pullSecrets.map((name) => ({ name })) } : {}),
      ...(m.nodeSelector ? { nodeSelector: { ...m.nodeSelector } } : {}),
      ...(m.tolerations ? { tolerations: [...m.tolerations] } : {}),
      containers: [
        {
          name: c,
          image: r.image.reference,
          imagePullPolicy: r.image.pullPolicy,
          args: [c],
          env,
          resources: { requests: { ...m.resources.requests }, limits: { ...m.resources.limits } },
          securityContext: containerSecurityContext(),
          volumeMounts: [{ ...TMP_MOUNT }, ...cas.mounts],
        },
      ],
      volumes: [{ ...TMP_VOLUME }, ...cas.volumes],
    },
  };
}

export function migrationJob(r: ResolvedPipeline): V1Job {
  const name = r.metadata.name;
  const labels = componentLabels(name, 'migrate');
  const spec: V1JobSpec = {
    backoffLimit: JOB_LIMITS.migrationBackoffLimit,
    activeDeadlineSeconds: JOB_LIMITS.migrationDeadlineSeconds,
    template: jobPodTemplate(r, 'migrate', migrationEnv(r, r.maintenance), labels),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: childMeta(r, migrationJobName(name, stableHash(spec)), labels),
    spec,
  };
}

export function partitionsCronJob(r: ResolvedPipeline): V1CronJob {
  const name = r.metadata.name;
  const s = r.maintenance;
  // The Jobs it creates are the CronJob's, not ours: without the managed-by label they stay
  // out of the operator's caches and never wake it up.
  const runLabels = Object.fromEntries(Object.entries(componentLabels(name, 'partitions')).filter(([k]) => k !== MANAGED_BY_LABEL));
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: childMeta(r, partitionsCronJobName(name), componentLabels(name, 'partitions')),
    spec: {
      schedule: s.schedule,
      ...(s.timeZone ? { timeZone: s.timeZone } : {}),
      suspend: s.suspend,
      // Two runs at once would race on the same DDL: the second waits for the next day.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: JOB_LIMITS.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: runLabels },
        spec: {
          backoffLimit: JOB_LIMITS.partitionsBackoffLimit,
          activeDeadlineSeconds: JOB_LIMITS.partitionsDeadlineSeconds,
          template: jobPodTemplate(r, 'partitions', partitionsEnv(r, s), runLabels),
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
