// Two pipelines on one Kafka cluster must not share a topic or a consumer group: they would
// read each other's records (and a shared group would split one pipeline's partitions between
// both pipelines' consumers). This decides, from the specs alone, whether a pipeline collides
// with another and which one keeps the names: the one created first, as Strimzi does for two
// KafkaTopics naming one topic, so the answer is stable and never moves a running pipeline.
import type { SyncPipeline } from '../../api/v1alpha1.js';
import { layoutGroups } from './layout-switch.js';
import { pipelineTopicNames, type PipelineNames } from './topics.js';
import { resolveNaming } from '../resolve.js';

/** What a pipeline holds on its Kafka cluster. */
interface KafkaClaim {
  readonly servers: ReadonlySet<string>;
  readonly topics: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
}

export interface KafkaConflict {
  /** namespace/name of the pipeline that keeps the names. */
  readonly holder: string;
  readonly topics: string[];
  readonly groups: string[];
  readonly message: string;
}

const key = (p: SyncPipeline) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

function kafkaClaim(p: SyncPipeline): KafkaClaim {
  // Only the names matter here, not the whole resolved pipeline of every other one.
  const names: PipelineNames = { region: p.spec.region, kafka: { naming: resolveNaming(p.spec.kafka) } };
  const groups = layoutGroups(names);
  return {
    // Broker addresses as written; two lists that share any broker reach the same cluster.
    servers: new Set(p.spec.kafka.bootstrapServers.map((s) => s.trim().toLowerCase())),
    topics: new Set(pipelineTopicNames(names)),
    // Both layouts' groups: a switch of layout hands the offsets from one to the other.
    groups: new Set([...groups.split, ...groups.single].map((g) => g.group)),
  };
}

/** Created first wins; same second: by namespace/name, so both sides agree. */
function olderThan(a: SyncPipeline, b: SyncPipeline): boolean {
  const ta = Date.parse(a.metadata.creationTimestamp ? String(a.metadata.creationTimestamp) : '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ? String(b.metadata.creationTimestamp) : '') || 0;
  if (ta !== tb) return ta < tb;
  return key(a) < key(b);
}

const shared = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].filter((x) => b.has(x));

/**
 * The conflict that stops `p`, if any: an older pipeline on a cluster `p` also names (any
 * shared bootstrap server) that uses one of `p`'s topics or consumer groups.
 */
export function findConflict(p: SyncPipeline, all: readonly SyncPipeline[]): KafkaConflict | undefined {
  const mine = kafkaClaim(p);
  for (const other of [...all].sort((a, b) => (olderThan(a, b) ? -1 : 1))) {
    if (key(other) === key(p) || !olderThan(other, p)) continue;
    const theirs = kafkaClaim(other);
    if (shared(mine.servers, theirs.servers).length === 0) continue;
    const topics = shared(mine.topics, theirs.topics);
    const groups = shared(mine.groups, theirs.groups);
    if (topics.length === 0 && groups.length === 0) continue;
    const what = [topics.length ? `topics ${topics.join(', ')}` : '', groups.length ? `consumer groups ${groups.join(', ')}` : '']
      .filter(Boolean)
      .join(' and ');
    return {
      holder: key(other),
      topics,
      groups,
      message: `${what} on the same Kafka cluster already belong to pipeline ${key(other)}: set spec.kafka.topicPrefix (and consumerGroupPrefix) to names of this pipeline's own; nothing is applied until then`,
    };
  }
  return undefined;
}
