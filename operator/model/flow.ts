// Is data flowing, and how far behind are the consumers? Decided from periodic samples of
// Kafka's offsets (committed per consumer group, and the topics' end offsets). Pure: the
// controller takes the samples; this decides what status says. Small changes are not reported
// (a tolerance), so a pipeline whose lag wobbles around a steady value causes no status writes.
import type { SyncPipelineStatus } from '../api/v1alpha1.js';
import type { ConsumerName } from '../../core/domain.js';

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
  status: 'True' | 'False';
  reason: 'LagGrowing' | 'KeepingUp';
  message: string;
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
