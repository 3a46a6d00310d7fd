// Switching a pipeline's consumer layout (split <-> single) without losing a record or reading
// one twice. Consumer groups are Kafka's bookmarks: the new layout's groups are new names, and
// left alone they would start from the beginning (every record again) or the end (records lost).
// So the switch runs in order:
//   1. stop: the old layout's Deployments are removed and the new ones are not created yet;
//   2. wait until no pod of the old layout runs and the old groups have no members, so their
//      committed offsets are final (each consumer commits what it stored as it stops);
//   3. hand over: each new group's offset on each partition becomes the highest any group of
//      either layout committed there (never lower than its own: a layout used before keeps
//      older offsets, and the last layout that ran holds the newest);
//   4. start the new layout's Deployments, which resume exactly where the old ones stopped.
// Decisions only; the reconciler gathers the state and acts.
import { consumerGroupName, consumersOf, kafkaTopicName, topicsForConsumer, type ConsumerLayout, type ConsumerName } from '../../../core/domain.js';
import type { PipelineNames } from './topics.js';

/** What the cluster shows of a pipeline's consumers. */
export interface LiveConsumers {
  /** Consumers whose Deployment exists. */
  readonly deployments: readonly ConsumerName[];
  /** Consumers that still have pods (a removed Deployment's pods take a while to stop). */
  readonly pods: readonly ConsumerName[];
}

/**
 * The layout whose groups hold the pipeline's offsets: the one status recorded, or for a
 * pipeline from before status recorded it, the one whose Deployments exist; a new pipeline
 * holds none yet and starts in its spec's.
 */
export function heldLayout(recorded: ConsumerLayout | undefined, live: LiveConsumers, wanted: ConsumerLayout): ConsumerLayout {
  if (recorded) return recorded;
  if (live.deployments.includes('all')) return 'single';
  if (live.deployments.length > 0) return 'split';
  return wanted;
}

export type SwitchStep =
  /** Nothing to switch: the spec's layout holds the offsets. */
  | { readonly step: 'none' }
  /** The new layout's consumers already run (a switch finished before status said so). */
  | { readonly step: 'done' }
  /** Old consumers are still running: remove them, create nothing new yet. */
  | { readonly step: 'stop'; readonly waiting: string }
  /** The old consumers are gone: read the groups and hand their offsets over. */
  | { readonly step: 'hand-over' };

const list = (cs: readonly string[]) => cs.join(', ');

export function switchStep(held: ConsumerLayout, wanted: ConsumerLayout, live: LiveConsumers): SwitchStep {
  if (held === wanted) return { step: 'none' };
  const next = consumersOf(wanted);
  if (next.some((c) => live.deployments.includes(c))) return { step: 'done' };
  const old = consumersOf(held);
  const running = old.filter((c) => live.deployments.includes(c) || live.pods.includes(c));
  if (running.length > 0)
    return {
      step: 'stop',
      waiting: `switching the consumer layout from ${held} to ${wanted}: waiting for the ${held} consumers (${list(running)}) to stop, so that the ${wanted} layout's groups start from their committed offsets`,
    };
  return { step: 'hand-over' };
}

/** A consumer group as Kafka reports it: its members, and its committed offset per partition of each topic (absent: none). */
export interface GroupState {
  readonly group: string;
  readonly members: number;
  readonly committed: Readonly<Record<string, Readonly<Record<number, number>>>>;
}

/** A group of either layout and the topics (cluster names) it reads. */
export interface LayoutGroup {
  readonly consumer: ConsumerName;
  readonly group: string;
  readonly topics: readonly string[];
}

/**
 * Both layouts' consumer groups of a pipeline, each with the topics (cluster names) it reads:
 * what lag is read for, what a switch hands over between, and what a pipeline claims on its
 * Kafka cluster.
 */
export function layoutGroups(r: PipelineNames): Record<ConsumerLayout, LayoutGroup[]> {
  const naming = r.kafka.naming;
  const of = (layout: ConsumerLayout): LayoutGroup[] =>
    consumersOf(layout)
      .map((consumer) => ({
        consumer,
        group: consumerGroupName(naming, consumer),
        topics: topicsForConsumer(consumer, r.region).map((t) => kafkaTopicName(naming, t)),
      }))
      .filter((g) => g.topics.length > 0);
  return { split: of('split'), single: of('single') };
}

export interface OffsetCommit {
  readonly group: string;
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: number }[];
}

export type HandOver = { readonly waiting: string } | { readonly commits: OffsetCommit[] };

/**
 * The offsets to commit for the new layout's groups, or why not yet: an old group that still
 * has members may commit again. Each new group gets, per partition of each topic it reads, the
 * highest offset committed there by any group of either layout, where that is above its own.
 */
export function handOver(from: readonly LayoutGroup[], to: readonly LayoutGroup[], states: readonly GroupState[]): HandOver {
  const state = new Map(states.map((s) => [s.group, s]));
  const busy = from.filter((g) => (state.get(g.group)?.members ?? 0) > 0);
  if (busy.length > 0)
    return {
      waiting: `switching the consumer layout: waiting for consumer group${busy.length > 1 ? 's' : ''} ${list(busy.map((g) => `${g.group} (${state.get(g.group)!.members} members)`))} to be empty before handing its committed offsets over`,
    };
  const commits: OffsetCommit[] = [];
  for (const g of to) {
    for (const topic of g.topics) {
      const own = state.get(g.group)?.committed[topic] ?? {};
      const best = new Map<number, number>();
      for (const other of [...from, ...to]) {
        if (other.group === g.group || !other.topics.includes(topic)) continue;
        for (const [p, offset] of Object.entries(state.get(other.group)?.committed[topic] ?? {})) {
          const partition = Number(p);
          if (offset > (best.get(partition) ?? -1)) best.set(partition, offset);
        }
      }
      const partitions = [...best]
        .filter(([partition, offset]) => offset > (own[partition] ?? -1))
        .sort(([a], [b]) => a - b)
        .map(([partition, offset]) => ({ partition, offset }));
      if (partitions.length > 0) commits.push({ group: g.group, topic, partitions });
    }
  }
  return { commits };
}
