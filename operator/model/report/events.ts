// Which Events a reconcile records, decided from what it did and how the status moved. One
// Event per kind of change and reconcile, not one per object: Events are API writes too, and
// a pipeline that converges must stop producing them.
import type { MigrationStatus, SyncPipelineStatus } from '../../api/v1alpha1.js';

export interface PipelineEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What one reconcile did to the cluster and saw of Kafka. */
export interface ReconcileOutcome {
  /** `Kind/name` of the children created, updated and pruned. */
  created: string[];
  updated: string[];
  pruned: string[];
  /** Messages of the applies and deletes the API server refused. */
  applyFailures: string[];
  pruneFailures: string[];
  /** Topics the operator ensured through Kafka's admin API this time (admin mode). */
  ensuredTopics: readonly { name: string; partitions: number }[];
  /** Why ensuring the topics failed, if it did. */
  topicsFailed?: { reason: string; message: string };
  /** Set when the Strimzi mode cannot create KafkaTopics (the CRD is missing). */
  topicsBlocked?: string;
  /** Why the operator could not use the pipeline's Kafka this time (model/report/kafka-failure.ts). */
  kafkaFailed?: { reason: string; message: string };
  /** Set when KEDA was asked for but is not installed. */
  engineFallback?: string;
  migration: MigrationStatus;
}

/** One event for the topics that became ready, one for those whose partitions were raised. */
function topicEvents(previous: SyncPipelineStatus | undefined, ensured: ReconcileOutcome['ensuredTopics']): PipelineEvent[] {
  const before = new Map((previous?.topics ?? []).map((t) => [t.name, t.partitions]));
  const ready = ensured.filter((t) => before.get(t.name) === undefined && t.partitions > 0);
  const raised = ensured.filter((t) => (before.get(t.name) ?? Infinity) < t.partitions);
  const list = (ts: typeof ensured) => ts.map((t) => `${t.name} (${t.partitions})`).join(', ');
  return [
    ...(ready.length ? [{ type: 'Normal' as const, reason: 'TopicReady', message: `topics ready, with their partitions: ${list(ready)}` }] : []),
    ...(raised.length ? [{ type: 'Normal' as const, reason: 'PartitionsRaised', message: `partitions raised: ${list(raised)}` }] : []),
  ];
}

/** Events are reported on transitions: a state that persists is reported once. */
export function eventsFor(previous: SyncPipelineStatus | undefined, o: ReconcileOutcome): PipelineEvent[] {
  const events: PipelineEvent[] = o.applyFailures.map((message) => ({ type: 'Warning', reason: 'ApplyFailed', message }));
  if (o.created.length) events.push({ type: 'Normal', reason: 'Created', message: `created ${o.created.join(', ')}` });
  if (o.updated.length) events.push({ type: 'Normal', reason: 'Updated', message: `updated ${o.updated.join(', ')}` });
  events.push(...o.pruneFailures.map((message): PipelineEvent => ({ type: 'Warning', reason: 'PruneFailed', message })));
  if (o.pruned.length) events.push({ type: 'Normal', reason: 'Pruned', message: `deleted ${o.pruned.join(', ')}: no longer wanted` });
  events.push(...topicEvents(previous, o.ensuredTopics));
  if (o.topicsFailed) events.push({ type: 'Warning', ...o.topicsFailed });
  if (o.topicsBlocked && !previous?.conditions?.some((c) => c.type === 'Topics' && c.reason === 'StrimziNotInstalled')) {
    events.push({ type: 'Warning', reason: 'StrimziNotInstalled', message: o.topicsBlocked });
  }
  // once per failure, not per retry: the condition carries it while it lasts
  const readyReason = previous?.conditions?.find((c) => c.type === 'Ready')?.reason;
  if (o.kafkaFailed && readyReason !== o.kafkaFailed.reason) events.push({ type: 'Warning', ...o.kafkaFailed });
  if (o.engineFallback && previous?.autoscalingEngine !== 'hpa') events.push({ type: 'Warning', reason: 'FallbackToHPA', message: o.engineFallback });
  const m = o.migration;
  if (m.phase === 'Failed' && previous?.migration?.phase !== 'Failed') {
    events.push({ type: 'Warning', reason: 'MigrationFailed', message: `Job ${m.job}: ${m.message ?? 'failed'}` });
  }
  if (m.phase === 'Succeeded' && previous?.migration?.phase !== 'Succeeded') {
    events.push({ type: 'Normal', reason: 'MigrationSucceeded', message: `schema migrated by Job ${m.job}` });
  }
  return events;
}
