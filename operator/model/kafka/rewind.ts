// Rewinding one consumer to a point in time, after a sink incident: its group's committed
// offsets go back to the first record at or after that time, and the consumer reads again from
// there. The sinks' idempotent keys make the second reading write nothing twice.
//
// Asked for with an annotation, not a spec field: a rewind is an action taken once, not a
// state to converge to. A spec field would rewind again whenever Git or a restore applied an
// older spec; an annotation whose value status records as done is a no-op when applied again.
//
// The steps are those of a switch of consumer layout (model/kafka/layout-switch.ts):
//   1. stop: the consumer's Deployment (and its autoscaler) is removed, nothing else changes;
//   2. wait until its pods are gone and its group has no members, so no one commits over us;
//   3. commit, per partition, the offset of the first record at or after the time (never
//      forward: a partition whose committed offset is already earlier keeps it);
//   4. start the consumer again, which reads from there.
// Decisions only; the reconciler gathers the state and acts.
import type { RewindStatus } from '../../api/v1alpha1.js';
import { consumersOf, type ConsumerLayout, type ConsumerName } from '../../../core/domain.js';
import type { GroupState, LayoutGroup, LiveConsumers, OffsetCommit } from './layout-switch.js';

/** A rewind the annotation asks for, once its value parsed and checked. */
export interface RewindRequest {
  /** The annotation's value as written: what status records as done. */
  readonly value: string;
  readonly consumer: ConsumerName;
  /** RFC 3339, as written. */
  readonly toTime: string;
  readonly toMs: number;
}

export type RewindWanted = { readonly request: RewindRequest } | { readonly invalid: string; readonly value: string };

// RFC 3339 with a zone: a time without one would be read in the operator's own zone.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const KEYS = new Set(['consumer', 'toTime', 'id']);

/**
 * What the annotation asks for now: nothing when absent or already done (status holds the same
 * value, completed or refused), else the request or why it cannot be carried out.
 */
export function wantedRewind(value: string | undefined, recorded: RewindStatus | undefined, layout: ConsumerLayout, now: Date): RewindWanted | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (recorded?.request === value && recorded.phase !== 'Rewinding') return undefined;
  const invalid = (why: string): RewindWanted => ({ invalid: `rewind annotation: ${why}`, value });
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return invalid('not JSON; expected {"consumer":"sms","toTime":"2026-12-01T10:00:00Z"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('expected a JSON object {"consumer":…,"toTime":…}');
  const o = parsed as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) return invalid(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (allowed: consumer, toTime, id)`);
  const consumers = consumersOf(layout);
  if (typeof o.consumer !== 'string' || !(consumers as readonly string[]).includes(o.consumer))
    return invalid(`consumer must be one of ${consumers.join(', ')} in the ${layout} consumer layout (got ${JSON.stringify(o.consumer ?? null)})`);
  if (typeof o.toTime !== 'string' || !RFC3339.test(o.toTime) || !Number.isFinite(Date.parse(o.toTime)))
    return invalid(`toTime must be an RFC 3339 time with a zone, e.g. 2026-12-01T10:00:00Z (got ${JSON.stringify(o.toTime ?? null)})`);
  const toMs = Date.parse(o.toTime);
  if (toMs > now.getTime()) return invalid(`toTime ${o.toTime} is in the future`);
  return { request: { value, consumer: o.consumer as ConsumerName, toTime: o.toTime, toMs } };
}

/** Whether the consumer still runs: its Deployment or pods exist. */
export function rewindStopping(request: RewindRequest, live: LiveConsumers): string | undefined {
  const running = live.deployments.includes(request.consumer) || live.pods.includes(request.consumer);
  return running ? `rewinding the ${request.consumer} consumer to ${request.toTime}: waiting for its pods to stop` : undefined;
}

/** Offsets per partition of each topic (cluster names). */
export type TopicOffsets = Readonly<Record<string, Readonly<Record<number, number>>>>;

export interface RewindPlan {
  readonly commits: OffsetCommit[];
  /** Per topic and partition: the committed offset before (absent: none) and after. */
  readonly moves: readonly { topic: string; partition: number; from?: number; to: number }[];
  /** Records the consumer will read again. */
  readonly again: number;
}

/**
 * The offsets to commit for the rewind, or why not yet: a group that still has members would
 * commit over them. `atTime` holds, per partition, the first offset at or after the time (the
 * end of the partition when every record is older).
 */
export function rewindPlan(group: LayoutGroup, state: GroupState | undefined, atTime: TopicOffsets): { waiting: string } | RewindPlan {
  if ((state?.members ?? 0) > 0)
    return { waiting: `waiting for consumer group ${group.group} (${state!.members} members) to be empty before moving its committed offsets` };
  const commits: OffsetCommit[] = [];
  const moves: RewindPlan['moves'][number][] = [];
  let again = 0;
  for (const topic of group.topics) {
    const at = atTime[topic];
    if (!at) continue;
    const partitions: { partition: number; offset: number }[] = [];
    for (const [p, target] of Object.entries(at)) {
      const partition = Number(p);
      const from = state?.committed[topic]?.[partition];
      const to = from === undefined ? target : Math.min(from, target);
      partitions.push({ partition, offset: to });
      moves.push({ topic, partition, ...(from === undefined ? {} : { from }), to });
      if (from !== undefined) again += from - to;
    }
    if (partitions.length > 0) commits.push({ group: group.group, topic, partitions: partitions.sort((a, b) => a.partition - b.partition) });
  }
  return { commits, moves, again };
}

/** The Event's text: which partitions moved where (the first few, then a count). */
export function describeRewind(request: RewindRequest, group: string, plan: RewindPlan): string {
  const moved = plan.moves.filter((m) => m.from !== undefined && m.from !== m.to);
  const shown = moved.slice(0, 12).map((m) => `${m.topic}[${m.partition}] ${m.from} -> ${m.to}`);
  const more = moved.length > shown.length ? `, and ${moved.length - shown.length} more` : '';
  const kept = plan.moves.filter((m) => m.from !== undefined && m.from === m.to).length;
  const set = plan.moves.length - moved.length - kept;
  return (
    `rewound consumer group ${group} (${request.consumer}) to ${request.toTime}: ${moved.length} partition${moved.length === 1 ? '' : 's'} moved back` +
    (shown.length ? ` (${shown.join(', ')}${more})` : '') +
    (kept ? `; ${kept} already at or before that time kept` : '') +
    (set ? `; ${set} with nothing committed set to that time` : '') +
    `; ${plan.again} records to read again`
  );
}
