// Status as a pure function of what the reconciler observed: conditions in the
// metav1.Condition shape, per-component replica counts, topics, the ladder tier. Conditions
// keep their lastTransitionTime unless their status changes, so an unchanged pipeline gets a
// byte-identical status and the operator writes nothing.
import type { KubernetesObject, V1CronJob, V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Condition, MigrationStatus, PartitionMaintenanceStatus, ReplicaCounts, RewindStatus, SyncPipelineStatus } from '../../api/v1alpha1.js';
import { consumerConditionType } from '../naming.js';
import type { RenderResult } from '../render.js';
import type { DesiredTopic } from '../kafka/topics.js';
import type { FlowStatus, LaggingCondition, Traffic } from '../kafka/flow.js';
import { dauBeyondTraffic } from '../sizing/guard-rails.js';
import { ALL_CONSUMERS, type ComponentName, type ConsumerLayout } from '../../../core/domain.js';

export interface DeploymentObservation {
  exists: boolean;
  /** Replicas the Deployment wants now (set by the autoscaler, or by us with engine none). */
  desired: number;
  ready: number;
  updated: number;
  /** The Deployment controller has seen the latest spec. */
  observedCurrent: boolean;
  /** Why it will not become available by waiting: a pod that cannot start, or the progress deadline passed. */
  stalled?: { reason: string; message: string };
}

/** Container waiting reasons that do not clear by themselves: the pod needs a fix, not time. */
const STUCK_WAITING_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** The first pod with a container stuck in a state that waiting will not fix. */
function stuckPod(pods: readonly V1Pod[]): { reason: string; message: string } | undefined {
  for (const pod of pods) {
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const waiting = c.state?.waiting?.reason;
      if (!waiting || !STUCK_WAITING_REASONS.has(waiting)) continue;
      const exit = c.lastState?.terminated?.exitCode;
      const detail = [`${c.restartCount} restarts`, exit !== undefined ? `last exit code ${exit}` : '', c.state?.waiting?.message ?? '']
        .filter(Boolean)
        .join(', ');
      return { reason: waiting, message: `pod ${pod.metadata?.name} container ${c.name}: ${waiting} (${detail})` };
    }
  }
  return undefined;
}

export interface TopicObservation {
  name: string;
  partitions: number;
  replicationFactor: number;
  ready: boolean;
  message?: string;
}

/** A Deployment's spec and status as the Deployment controller reports them, and its pods' states. */
export function observeDeployment(d: V1Deployment | undefined, pods: readonly V1Pod[] = []): DeploymentObservation | undefined {
  if (!d) return undefined;
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  const deadline =
    progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded'
      ? { reason: 'ProgressDeadlineExceeded', message: progressing.message ?? 'the Deployment exceeded its progress deadline' }
      : undefined;
  const stalled = stuckPod(pods) ?? deadline;
  return {
    exists: true,
    desired: d.spec?.replicas ?? 1,
    ready: d.status?.readyReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    observedCurrent: (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
    ...(stalled ? { stalled } : {}),
  };
}

/** The fields of a Strimzi KafkaTopic (v1 or v1beta2) the operator reads. */
export interface KafkaTopicObject extends KubernetesObject {
  spec?: { partitions?: number; replicas?: number; topicName?: string };
  status?: { conditions?: { type: string; status: string; message?: string; reason?: string }[]; topicName?: string };
}

/** Strimzi mode: each desired topic as its KafkaTopic's Ready condition reports it. */
export function observeStrimziTopics(desired: readonly DesiredTopic[], live: (topic: DesiredTopic) => KafkaTopicObject | undefined): TopicObservation[] {
  return desired.map((t) => {
    const kt = live(t);
    const ready = kt?.status?.conditions?.find((c) => c.type === 'Ready');
    return {
      name: t.name,
      partitions: kt?.spec?.partitions ?? 0,
      replicationFactor: kt?.spec?.replicas ?? t.replicationFactor,
      ready: ready?.status === 'True',
      ...(ready?.status === 'True'
        ? {}
        : { message: ready?.message ?? (kt ? 'the Strimzi topic operator has not reported it Ready' : 'KafkaTopic not created yet') }),
    };
  });
}

/** What the migration Job of the current spec has done (see observeMigration). */
export type MigrationObservation = MigrationStatus;
export type PartitionMaintenanceObservation = PartitionMaintenanceStatus;

/** RFC 3339 to the second, as Kubernetes writes times. */
const time = (t: Date | string | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** Reads a batch/v1 Job's status the way its controller reports it (conditions first). */
export function observeMigration(name: string, job: V1Job | undefined): MigrationObservation {
  if (!job) return { job: name, phase: 'Pending', message: 'the migration Job is being created' };
  const st = job.status ?? {};
  const cond = (type: string) => st.conditions?.find((c) => c.type === type && c.status === 'True');
  const startTime = time(st.startTime);
  const base = { job: name, ...(startTime ? { startTime } : {}) };
  const failed = cond('Failed');
  if (failed) {
    return {
      ...base,
      phase: 'Failed',
      message: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'} (kubectl logs job/${name}); workloads keep their previous version`,
    };
  }
  if (cond('Complete')) {
    const completionTime = time(st.completionTime);
    return { ...base, phase: 'Succeeded', ...(completionTime ? { completionTime } : {}) };
  }
  if ((st.active ?? 0) > 0 || startTime) {
    const retries = st.failed ?? 0;
    const tries = retries > 0 ? `; ${retries} failed attempt(s) so far (kubectl logs job/${name})` : '';
    // `ready` counts pods whose containers run (the migration has no probe). An active pod that
    // is not ready has not started: scheduling or an image pull, which only a person can fix.
    if ((st.active ?? 0) > 0 && st.ready === 0) {
      return {
        ...base,
        phase: 'Running',
        message: `its pod has not started yet (scheduling or image pull? kubectl describe pods -l batch.kubernetes.io/job-name=${name})${tries}`,
      };
    }
    return { ...base, phase: 'Running', message: `running${tries}` };
  }
  return { ...base, phase: 'Pending', message: 'waiting for the Job controller to start a pod' };
}

export function observeCronJob(name: string, cron: V1CronJob | undefined): PartitionMaintenanceObservation | undefined {
  if (!cron) return undefined;
  const last = time(cron.status?.lastScheduleTime);
  const ok = time(cron.status?.lastSuccessfulTime);
  return {
    cronJob: name,
    schedule: cron.spec?.schedule ?? '',
    suspended: cron.spec?.suspend ?? false,
    active: cron.status?.active?.length ?? 0,
    ...(last ? { lastScheduleTime: last } : {}),
    ...(ok ? { lastSuccessfulTime: ok } : {}),
  };
}

export interface Observation {
  generation: number;
  paused: boolean;
  render: RenderResult;
  deployments: Partial<Record<ComponentName, DeploymentObservation>>;
  topics: TopicObservation[];
  migration: MigrationObservation;
  /** Absent until the migration has succeeded and the CronJob exists. */
  partitionMaintenance?: PartitionMaintenanceObservation;
  /** The reconcile wrote something this time (objects still converging). */
  changed: boolean;
  /** A failure that stopped this reconcile (apply rejected, Kafka unreachable...). */
  error?: { reason: string; message: string };
  /** Lag and produce rate, as status should report them (model/kafka/flow.ts); absent until first read. */
  flow?: FlowStatus;
  /** Informational: whether consumer lag keeps growing. Never part of Ready. */
  lagging?: LaggingCondition;
  /** The busiest produce rate read for the current DAU, and over how long (`at`: now). */
  traffic?: Traffic & { at: number };
  /**
   * The layout whose consumer groups hold the committed offsets, and while a switch of layout
   * waits (for the old consumers to stop), why the new consumers are not created yet.
   */
  consumerLayout?: { holding: ConsumerLayout; waiting?: string };
  /** The rewind asked for, when this reconcile changed what status says of it (model/kafka/rewind.ts). */
  rewind?: RewindStatus;
}

type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

const COMPONENT_CONDITION: Record<ComponentName, string> = {
  producer: 'Producer',
  ...(Object.fromEntries(ALL_CONSUMERS.map((c) => [c, consumerConditionType(c)])) as Record<(typeof ALL_CONSUMERS)[number], string>),
};

/**
 * `minimum`: the replicas the component must have at least (its autoscaler's floor). A new
 * Deployment starts at one replica and its autoscaler raises it some seconds later, so a
 * Deployment available at fewer is not yet what the spec promises (two producers in production).
 */
function componentCondition(
  c: ComponentName,
  d: DeploymentObservation | undefined,
  minimum: number,
  switching: string | undefined,
  rewind: RewindStatus | undefined,
): ConditionInput {
  const type = COMPONENT_CONDITION[c];
  if (!d?.exists && switching && c !== 'producer') return { type, status: 'False', reason: 'SwitchingLayout', message: switching };
  if (!d?.exists && rewind?.phase === 'Rewinding' && rewind.consumer === c) return { type, status: 'False', reason: 'Rewinding', message: rewind.message };
  if (!d?.exists) return { type, status: 'False', reason: 'NotCreated', message: 'the Deployment does not exist yet' };
  const counts = `${d.ready}/${d.desired} replicas ready`;
  if (d.stalled) return { type, status: 'False', reason: d.stalled.reason, message: `${d.stalled.message}; ${counts}` };
  if (!d.observedCurrent || d.updated < d.desired)
    return { type, status: 'False', reason: 'RollingOut', message: `rolling out: ${d.updated}/${d.desired} updated, ${counts}` };
  if (d.desired === 0) return { type, status: 'False', reason: 'ScaledToZero', message: 'no replicas wanted' };
  if (d.ready < d.desired) return { type, status: 'False', reason: 'Unavailable', message: counts };
  if (d.ready < minimum)
    return { type, status: 'False', reason: 'BelowMinimum', message: `${counts}; waiting for the autoscaler to reach the minimum of ${minimum}` };
  return { type, status: 'True', reason: 'Available', message: counts };
}

function topicsCondition(o: Observation): ConditionInput {
  const type = 'Topics';
  if (o.render.topicsBlocked) return { type, status: 'False', reason: 'StrimziNotInstalled', message: o.render.topicsBlocked };
  const management = o.render.resolved.kafka.topics;
  if (!management.reportsReadiness)
    return { type, status: 'True', reason: 'Unmanaged', message: `topics are created outside the operator: ${o.render.topics.map((t) => t.name).join(', ')}` };
  const waiting = o.topics.filter((t) => !t.ready);
  if (waiting.length > 0)
    return { type, status: 'False', reason: 'TopicsNotReady', message: waiting.map((t) => `${t.name}: ${t.message ?? 'not ready'}`).join('; ') };
  return { type, status: 'True', reason: 'TopicsReady', message: `${o.topics.length} topics ready (${management.mode} mode)` };
}

function migrationCondition(m: MigrationObservation): ConditionInput {
  const type = 'Migration';
  switch (m.phase) {
    case 'Succeeded':
      return {
        type,
        status: 'True',
        reason: 'MigrationSucceeded',
        message: `schema migrated by Job ${m.job}${m.completionTime ? ` at ${m.completionTime}` : ''}`,
      };
    case 'Failed':
      return { type, status: 'False', reason: 'MigrationFailed', message: `Job ${m.job}: ${m.message ?? 'failed'}` };
    case 'Running':
      return { type, status: 'False', reason: 'MigrationRunning', message: `Job ${m.job} ${m.message ?? 'running'}; workloads roll out when it succeeds` };
    default:
      return { type, status: 'False', reason: 'MigrationPending', message: `Job ${m.job}: ${m.message ?? 'pending'}; workloads roll out when it succeeds` };
  }
}

/**
 * Present only while some workload cannot become available by waiting (the kstatus
 * convention for an abnormal-true condition): a pod crash-looping or unable to pull its image,
 * or a Deployment past its progress deadline. Argo CD reports the pipeline Degraded on it.
 */
function stalledCondition(o: Observation): ConditionInput[] {
  const stalled = (Object.keys(o.render.components) as ComponentName[]).flatMap((c) => {
    const s = o.deployments[c]?.stalled;
    return s ? [{ component: COMPONENT_CONDITION[c], ...s }] : [];
  });
  if (stalled.length === 0) return [];
  return [{ type: 'Stalled', status: 'True', reason: stalled[0]!.reason, message: stalled.map((s) => `${s.component}: ${s.message}`).join('; ') }];
}

/** Only when a PodMonitor was asked for; informational (metrics do not make a pipeline unready). */
function monitoringCondition(o: Observation): ConditionInput[] {
  const m = o.render.monitoring;
  if (!m) return [];
  if ('blocked' in m) return [{ type: 'Monitoring', status: 'False', reason: 'PrometheusOperatorNotInstalled', message: m.blocked }];
  return [
    { type: 'Monitoring', status: 'True', reason: 'PodMonitor', message: `Prometheus scrapes the workloads' /metrics through PodMonitor ${m.podMonitor}` },
  ];
}

/** Informational: a failed maintenance run leaves days of partitions ahead, so Ready ignores it. */
function partitionMaintenanceCondition(c: PartitionMaintenanceObservation | undefined): ConditionInput {
  const type = 'PartitionMaintenance';
  if (!c) return { type, status: 'False', reason: 'WaitingForMigration', message: 'the CronJob is created once the schema migration has succeeded' };
  if (c.suspended) return { type, status: 'False', reason: 'Suspended', message: `CronJob ${c.cronJob} is suspended` };
  if (c.active > 0) return { type, status: 'True', reason: 'Running', message: `CronJob ${c.cronJob} is running` };
  if (c.lastScheduleTime && (!c.lastSuccessfulTime || c.lastSuccessfulTime < c.lastScheduleTime)) {
    return {
      type,
      status: 'False',
      reason: 'LastRunFailed',
      message: `the run of CronJob ${c.cronJob} scheduled at ${c.lastScheduleTime} did not succeed (its Jobs: kubectl get jobs -l app.kubernetes.io/component=partition-maintenance)`,
    };
  }
  if (c.lastSuccessfulTime) return { type, status: 'True', reason: 'Succeeded', message: `last run succeeded at ${c.lastSuccessfulTime}` };
  return { type, status: 'True', reason: 'Scheduled', message: `CronJob ${c.cronJob} scheduled "${c.schedule}"; not run yet` };
}

function autoscalingCondition(o: Observation): ConditionInput {
  const type = 'Autoscaling';
  const r = o.render;
  if (r.engineFallback) return { type, status: 'True', reason: 'FallbackToHPA', message: r.engineFallback };
  switch (r.engine) {
    case 'keda':
      return {
        type,
        status: 'True',
        reason: 'KEDA',
        message: `Producer API on an HPA (${o.render.utilization}); consumers on KEDA ScaledObjects (Kafka lag, ${o.render.utilization})`,
      };
    case 'hpa':
      return { type, status: 'True', reason: 'HPA', message: `every component on an HPA (${o.render.utilization})` };
    default:
      return { type, status: 'True', reason: 'Disabled', message: "fixed replicas at each component's minimum" };
  }
}

/** A warning, not part of Ready: the spec asks for more than the sizing model finds useful. */
function overProvisionedCondition(o: Observation): ConditionInput {
  const type = 'OverProvisioned';
  const dau = o.traffic ? dauBeyondTraffic(o.render.sizing, o.traffic, o.traffic.at) : undefined;
  const found = [...o.render.overProvisioned, ...(dau ? [dau] : [])];
  if (found.length === 0) return { type, status: 'False', reason: 'WithinModel', message: 'the spec asks for no more than the sizing model finds useful' };
  return { type, status: 'True', reason: 'BeyondModelNeed', message: `${found.join('; ')} (applied as asked; see mobileforge plan)` };
}

/**
 * Present only while the operator applies something other than the spec states, each with its
 * reason: a production Producer API's replica bounds raised to its floor, an env entry naming a
 * variable the operator sets (admitted before admission refused them). Informational, not part
 * of Ready: the pipeline runs as the operator applied it.
 */
function adjustedCondition(o: Observation): ConditionInput[] {
  if (o.render.adjusted.length === 0) return [];
  return [{ type: 'Adjusted', status: 'True', reason: 'SpecAdjusted', message: o.render.adjusted.join('; ') }];
}

/** Merges new condition values into the previous list, keeping transition times of unchanged statuses. */
function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number, now: string): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
    return { ...c, observedGeneration: generation, lastTransitionTime };
  });
}

function replicaCounts(o: Observation, c: ComponentName): ReplicaCounts {
  const range = o.render.components[c]!.replicas;
  const d = o.deployments[c];
  return { ready: d?.ready ?? 0, desired: d?.desired ?? 0, min: range.min, max: range.max };
}

function pick(previous: SyncPipelineStatus | undefined, ...keys: ('migration' | 'partitionMaintenance')[]): Partial<SyncPipelineStatus> {
  return Object.fromEntries(keys.filter((k) => previous?.[k] !== undefined).map((k) => [k, previous![k]]));
}

export function buildStatus(o: Observation, previous: SyncPipelineStatus | undefined, now: string): SyncPipelineStatus {
  const components = Object.keys(o.render.components) as ComponentName[];
  const consumers = components.filter((c) => c !== 'producer');
  const counts = Object.fromEntries(components.map((c) => [c, replicaCounts(o, c)])) as Partial<Record<ComponentName, ReplicaCounts>>;
  const producer = counts.producer!;
  const sum = (cs: readonly ComponentName[], k: 'ready' | 'desired') => cs.reduce((n, c) => n + counts[c]![k], 0);

  let conditions: ConditionInput[];
  if (o.paused) {
    conditions = [
      {
        type: 'Ready',
        status: (previous?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown') as Condition['status'],
        reason: 'Paused',
        message: 'reconciliation is paused; children are left as they are',
      },
      { type: 'Paused', status: 'True', reason: 'Paused', message: 'spec.paused or the mobileforge.credeau.com/paused annotation is set' },
    ];
  } else {
    // Migration first: while it has not succeeded, it is why the workloads are missing.
    const parts = [
      migrationCondition(o.migration),
      ...components.map((c) => componentCondition(c, o.deployments[c], o.render.components[c]!.replicas.min, o.consumerLayout?.waiting, o.rewind)),
      topicsCondition(o),
      autoscalingCondition(o),
    ];
    const failing = parts.find((p) => p.status !== 'True');
    const ready: ConditionInput = o.error
      ? { type: 'Ready', status: 'False', reason: o.error.reason, message: o.error.message }
      : failing
        ? { type: 'Ready', status: 'False', reason: failing.reason, message: `${failing.type}: ${failing.message}` }
        : { type: 'Ready', status: 'True', reason: 'PipelineReady', message: 'every component is available and every topic is ready' };
    const converging = o.changed || Boolean(failing) || Boolean(o.error);
    conditions = [
      ready,
      {
        type: 'Reconciling',
        status: converging ? 'True' : 'False',
        reason: converging ? 'Converging' : 'Converged',
        message: converging ? 'waiting for children to match the spec' : 'children match the spec',
      },
      ...stalledCondition(o),
      { type: 'Paused', status: 'False', reason: 'Active', message: 'reconciling' },
      ...parts,
      partitionMaintenanceCondition(o.partitionMaintenance),
      ...(o.lagging ? [{ type: 'Lagging', ...o.lagging }] : []),
      overProvisionedCondition(o),
      ...adjustedCondition(o),
      ...monitoringCondition(o),
    ];
  }

  // While paused nothing is observed: the counts and topics last reported stand.
  const keptWhilePaused = o.paused ? previous : undefined;
  const layoutHeld = o.paused ? previous?.consumerLayout : (o.consumerLayout?.holding ?? previous?.consumerLayout);
  return {
    observedGeneration: o.paused ? (previous?.observedGeneration ?? o.generation) : o.generation,
    tier: o.render.sizing.aboveLadder ? `${o.render.sizing.tier} (above the ladder)` : o.render.sizing.tier,
    calibration: o.render.sizing.calibration,
    producers: keptWhilePaused?.producers ?? `${producer.ready}/${producer.desired}`,
    consumers: keptWhilePaused?.consumers ?? `${sum(consumers, 'ready')}/${sum(consumers, 'desired')}`,
    ...(layoutHeld ? { consumerLayout: layoutHeld } : {}),
    autoscalingEngine: o.render.engine,
    components: keptWhilePaused?.components ?? counts,
    ...(o.paused
      ? pick(previous, 'migration', 'partitionMaintenance')
      : { migration: o.migration, ...(o.partitionMaintenance ? { partitionMaintenance: o.partitionMaintenance } : {}) }),
    ...(o.flow ? { flow: o.flow } : previous?.flow ? { flow: previous.flow } : {}),
    ...(o.rewind ? { rewind: o.rewind } : previous?.rewind ? { rewind: previous.rewind } : {}),
    topics:
      keptWhilePaused?.topics ??
      o.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        ready: t.ready,
        ...(t.message ? { message: t.message } : {}),
      })),
    conditions: mergeConditions(previous?.conditions, conditions, o.generation, now),
  };
}
