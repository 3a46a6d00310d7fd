// Is data flowing, and how far behind are the consumers? Decided from periodic samples of
// Kafka's offsets (committed per consumer group, and the topics' end offsets). Pure: the
// controller takes the samples; this decides what status says. Small changes are not reported
// (a tolerance), so a pipeline whose lag wobbles around a steady value causes no status writes.
import type { SyncPipelineStatus } from '../../api/v1alpha1.js';
import type { ConsumerName } from '../../../core/domain.js';
import type { KafkaFailure } from '../report/kafka-failure.js';

/** One reading of Kafka for one pipeline. */
export interface FlowSample {
  /** Milliseconds since the epoch. */
  at: number;
  /** Records not yet committed by each consumer group, per topic. */
  lag: Partial<Record<ConsumerName, Record<string, number>>>;
  /** The sum of the topics' end offsets: how many records were ever produced to them. */
  produced: number;
}

/** What status reports (status.flow, operator/api). */
export type FlowStatus = NonNullable<SyncPipelineStatus['flow']>;

/** Remembered between samples (in the operator's memory; lost on restart, which only delays Lagging). */
export interface FlowMemory {
  previous?: FlowSample;
  /** When the last reading failed (milliseconds since the epoch): the next one waits an interval too. */
  failedAt?: number;
  /** Since when the total lag has grown sample after sample. */
  growingSince?: number;
  /** The busiest produce rate read for the pipeline's current DAU, and since when it has been read. */
  traffic?: Traffic;
}

/** What the produce rate readings say about the DAU a spec states (guard-rails.ts). */
export interface Traffic {
  readonly dau: number;
  /** Milliseconds since the epoch of the first reading for this DAU. */
  readonly since: number;
  readonly busiestRecordsPerMinute: number;
}

/** The traffic memory after a reading: kept while the DAU stays, started afresh when it changes. */
export function nextTraffic(previous: Traffic | undefined, dau: number, at: number, recordsPerMinute: number | undefined): Traffic {
  const base = previous?.dau === dau ? previous : { dau, since: at, busiestRecordsPerMinute: 0 };
  return { ...base, busiestRecordsPerMinute: Math.max(base.busiestRecordsPerMinute, recordsPerMinute ?? 0) };
}

export interface LaggingCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: 'LagGrowing' | 'KeepingUp' | 'LagUnreadable';
  message: string;
}

/**
 * Whether to read the offsets now: every `intervalMs` (0: never), counted from the last
 * reading, successful or not, so a cluster that refuses or cannot be reached is not asked at
 * every reconcile. A status that says nothing about lag (a pipeline just unpaused: a paused
 * status carries no Lagging condition) is due at once: otherwise it would stay silent for up to
 * an interval, and its one later write would land on an otherwise idle pipeline.
 */
export function flowDue(memory: FlowMemory, now: number, intervalMs: number, lagReported = true): boolean {
  if (intervalMs <= 0) return false;
  if (!lagReported) return true;
  const last = Math.max(memory.previous?.at ?? -Infinity, memory.failedAt ?? -Infinity);
  return now - last >= intervalMs;
}

/** A reading of the offsets that failed: what was being read, and what Kafka or its client said. */
export interface FlowReadFailure {
  /**
   * `credentials`: the Kafka Secret's values cannot be used; `connect`: no connection to the
   * brokers; `topics`: the topics' metadata; `end-offsets`: a topic's end offsets (ListOffsets);
   * `committed`: a group's committed offsets (FindCoordinator, then OffsetFetch).
   */
  step: 'credentials' | 'connect' | 'topics' | 'end-offsets' | 'committed';
  /** The topics read at that step. */
  topics?: readonly string[];
  /** The consumer group read at that step. */
  group?: string;
  /** Kafka's error names found in the error and its causes (TOPIC_AUTHORIZATION_FAILED, ...). */
  kafkaErrors: readonly string[];
  /** The client's error classes found in the error and its causes (KafkaJSConnectionError, ...). */
  clientErrors: readonly string[];
  message: string;
  /**
   * What the same error says about the connection (kafka-failure.ts, as Ready words it in admin
   * mode): the credentials' Secret, a refused login, a certificate, or Kafka out of reach.
   */
  connection: KafkaFailure;
}

const CONNECTION_ERRORS = ['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError'];
const ACLS = 'see the Kafka ACLs in docs/install.md';

/**
 * The brokers could not be reached at all (not a refusal, a failed login or a certificate the
 * pipeline's CA does not verify): true of every pipeline on the same bootstrap servers,
 * whatever its credentials, so the next interval's readings for them need not each wait for
 * the same timeout.
 */
export function cannotConnect(f: FlowReadFailure): boolean {
  return f.connection.reason === 'KafkaUnreachable' && f.kafkaErrors.length === 0 && f.clientErrors.some((c) => CONNECTION_ERRORS.includes(c));
}

/** Why the lag could not be read: the message of a Lagging condition whose status is Unknown. */
function unreadableMessage(f: FlowReadFailure, brokers: readonly string[]): string {
  const kafka = (name: string) => f.kafkaErrors.includes(name);
  const topics = f.topics?.length ? f.topics.join(', ') : "the pipeline's topics";
  const cannot = 'cannot read consumer lag';
  if (kafka('GROUP_AUTHORIZATION_FAILED'))
    return `${cannot}: the operator's Kafka user may not read consumer group ${f.group ?? "the pipeline's groups"} (GROUP_AUTHORIZATION_FAILED): it needs Describe on the pipeline's consumer groups; ${ACLS}`;
  if (kafka('TOPIC_AUTHORIZATION_FAILED'))
    return `${cannot}: the operator's Kafka user may not describe ${topics} (TOPIC_AUTHORIZATION_FAILED): it needs Describe on the pipeline's topics; ${ACLS}`;
  if (kafka('CLUSTER_AUTHORIZATION_FAILED')) return `${cannot}: the operator's Kafka user is refused (CLUSTER_AUTHORIZATION_FAILED): ${f.message}; ${ACLS}`;
  // Kafka answers FindCoordinator with GROUP_AUTHORIZATION_FAILED when the user may not
  // describe the group, and the client reports only that it found no coordinator.
  if (f.step === 'committed' && f.clientErrors.includes('KafkaJSGroupCoordinatorNotFound'))
    return `${cannot}: Kafka named no coordinator for consumer group ${f.group ?? ''}: it names none to a user without Describe on the group, so the operator's Kafka user most likely lacks it (else the group coordinator is unavailable); ${ACLS}`;
  // The credentials' Secret, a refused login, a certificate: as Ready says it in admin mode.
  if (f.connection.reason !== 'KafkaUnreachable') return f.connection.message;
  if (f.step === 'connect' || f.clientErrors.some((c) => CONNECTION_ERRORS.includes(c)))
    return `${cannot}: cannot reach Kafka at ${brokers.join(',')}: ${f.message}`;
  const what =
    f.step === 'committed'
      ? `the offsets committed by ${f.group ?? "the pipeline's groups"}`
      : f.step === 'end-offsets'
        ? `the end offsets of ${topics}`
        : `the metadata of ${topics}`;
  return `${cannot}: reading ${what} failed: ${f.message}`;
}

/**
 * Lagging when the offsets cannot be read (missing ACLs, Kafka unreachable): Unknown, with
 * what to fix. `lastReadAt`: when status.flow was last read, whose figures status keeps.
 */
export function lagUnreadable(f: FlowReadFailure, brokers: readonly string[], lastReadAt?: string): LaggingCondition {
  const kept = lastReadAt ? `; status.flow is the reading of ${lastReadAt}` : '';
  return { status: 'Unknown', reason: 'LagUnreadable', message: `${unreadableMessage(f, brokers)}${kept}` };
}

/**
 * The Lagging condition to write after a failed reading: the previous one while its status and
 * reason are the same, so that an error text that varies from try to try (a time-out here, a
 * refused connection there) does not rewrite status every interval; a new reason is written.
 */
export function steadyLagging(previous: LaggingCondition | undefined, next: LaggingCondition): LaggingCondition {
  return previous && previous.status === next.status && previous.reason === next.reason ? previous : next;
}

export interface FlowDecision {
  flow: FlowStatus;
  lagging: LaggingCondition;
  memory: FlowMemory;
}

/** A change smaller than this is not worth a status write: 100 records or 10 %, whichever is larger. */
export function withinTolerance(before: number, after: number): boolean {
  if ((before === 0) !== (after === 0)) return false;
  return Math.abs(after - before) <= Math.max(100, 0.1 * before);
}

const total = (s: FlowSample) => Object.values(s.lag).reduce((n, topics) => n + Object.values(topics ?? {}).reduce((a, b) => a + b, 0), 0);

/**
 * Status figures from a new sample. Figures within tolerance of what status already says are
 * kept as they are (observedAt included), so an idle or steady pipeline's status does not change.
 */
export function decideFlow(
  sample: FlowSample,
  groups: Partial<Record<ConsumerName, string>>,
  previousStatus: FlowStatus | undefined,
  memory: FlowMemory,
  laggingAfterMs: number,
): FlowDecision {
  const lag = total(sample);
  const prev = memory.previous;
  const growing = prev !== undefined && lag > total(prev);
  const growingSince = growing ? (memory.growingSince ?? prev.at) : undefined;
  const rate = prev && sample.at > prev.at ? Math.max(0, Math.round(((sample.produced - prev.produced) * 60_000) / (sample.at - prev.at))) : undefined;

  const fresh: FlowStatus = {
    lag,
    ...(rate !== undefined ? { recordsPerMinute: rate } : {}),
    groups: (Object.keys(sample.lag) as ConsumerName[]).map((consumer) => {
      const topics = Object.entries(sample.lag[consumer] ?? {}).map(([name, n]) => ({ name, lag: n }));
      return { consumer, group: groups[consumer] ?? '', lag: topics.reduce((n, t) => n + t.lag, 0), topics };
    }),
    observedAt: new Date(sample.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const steady =
    previousStatus !== undefined &&
    withinTolerance(previousStatus.lag, fresh.lag) &&
    (fresh.recordsPerMinute === undefined || withinTolerance(previousStatus.recordsPerMinute ?? 0, fresh.recordsPerMinute)) &&
    previousStatus.groups.length === fresh.groups.length &&
    previousStatus.groups.every((g, i) => withinTolerance(g.lag, fresh.groups[i]!.lag));

  const laggingNow = growingSince !== undefined && sample.at - growingSince >= laggingAfterMs;
  const flow = steady ? previousStatus : fresh;
  // Messages built from what status reports (and a fixed start time), so a steady state reads the same every time.
  const lagging: LaggingCondition = laggingNow
    ? { status: 'True', reason: 'LagGrowing', message: `consumer lag has grown since ${new Date(growingSince).toISOString().replace(/\.\d{3}Z$/, 'Z')}` }
    : { status: 'False', reason: 'KeepingUp', message: flow.lag === 0 ? 'the consumers are caught up' : 'the consumers keep up (lag not growing)' };
  return {
    flow,
    lagging,
    memory: { previous: sample, ...(growingSince !== undefined ? { growingSince } : {}) },
  };
}
