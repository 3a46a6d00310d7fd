// The Kafka topics a pipeline needs: the seed's five (three in India) and the audit topic of
// usage and refusal rows, each with its dead-letter topic, and the compacted topic of client
// records the Producer API replicas share. Data topics get partitions at least the seed's (or the explicit count)
// and at least the consuming deployment's max replicas (a consumer beyond the partition count
// would sit idle; admission refuses an explicit count below an explicit maxReplicas), never
// fewer than the topic already has. Names carry the pipeline's prefix (naming.ts).
import {
  AUDIT_TOPIC,
  CLIENTS_TOPIC,
  consumerOfTopic,
  deadLetterTopic,
  kafkaTopicName,
  TOPIC_FACTS,
  TOPICS,
  type ConsumedTopic,
  type ConsumerName,
  type KafkaNaming,
  type PipelineTopic,
  type Region,
} from '../../../core/domain.js';
import type { ResolvedSizing } from '../resolve.js';
import type { TopicRole } from '../naming.js';

export interface DesiredTopic extends NamedTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Record<string, string>;
  /** The consumer of the spec's layout that reads it (the clients topic: none, only the Producer API reads it). */
  readonly consumer?: ConsumerName;
}

/** Partition counts by topic name on the cluster. */
export type PartitionCounts = Partial<Record<string, number>>;

/**
 * Dead letters are rare and read by people, not consumers: one partition is plenty, and they
 * are kept two weeks (not the broker's default week) so that a team back from a long weekend
 * can still see what was set aside and why.
 */
const DEAD_LETTER_PARTITIONS = 1;
const DEAD_LETTER_RETENTION_MS = String(14 * 24 * 60 * 60 * 1000);

/**
 * The audit topic carries one small row per request: partitions enough for the consumer's
 * replicas, as the seed gives its common topics.
 */
const AUDIT_PARTITIONS = 10;

/**
 * Client records are few (one per client, compaction keeps the latest) and read whole by every
 * Producer API replica at start: one partition, compacted, records never deleted by age.
 */
const CLIENTS_TOPIC_CONFIG = { 'cleanup.policy': 'compact', 'retention.ms': '-1' };

function topicsForRegion(region: Region): ConsumedTopic[] {
  return [...TOPICS.filter((t) => region !== 'india' || TOPIC_FACTS[t].allowedInIndia), AUDIT_TOPIC];
}

/** A topic of the pipeline by its name on the cluster: which seed topic it is, in which role. */
export interface NamedTopic {
  readonly name: string;
  readonly topic: PipelineTopic;
  readonly role: TopicRole;
}

/**
 * Every topic the pipeline uses on its cluster: each consumed topic followed by its dead-letter
 * topic, then the clients topic.
 */
/** What names a pipeline's topics and groups: its region and its prefixes (resolveNaming). */
export interface PipelineNames {
  readonly region: Region;
  readonly kafka: { readonly naming: KafkaNaming };
}

export function pipelineTopics(r: PipelineNames): NamedTopic[] {
  const naming = r.kafka.naming;
  const consumed = topicsForRegion(r.region).flatMap((topic): NamedTopic[] => {
    const name = kafkaTopicName(naming, topic);
    return [
      { name, topic, role: 'data' },
      { name: deadLetterTopic(name), topic, role: 'dead-letter' },
    ];
  });
  return [...consumed, { name: kafkaTopicName(naming, CLIENTS_TOPIC), topic: CLIENTS_TOPIC, role: 'clients' }];
}

export function pipelineTopicNames(r: PipelineNames): string[] {
  return pipelineTopics(r).map((t) => t.name);
}

export function desiredTopics(r: ResolvedSizing, existing: PartitionCounts = {}): DesiredTopic[] {
  const rf = r.kafka.replicationFactor;
  const minIsr = String(r.kafka.minInSyncReplicas);
  return pipelineTopics(r).map((t): DesiredTopic => {
    if (t.topic === CLIENTS_TOPIC)
      return {
        ...t,
        replicationFactor: rf,
        partitions: Math.max(1, existing[t.name] ?? 0),
        config: { 'min.insync.replicas': minIsr, ...CLIENTS_TOPIC_CONFIG },
      };
    const consumer = consumerOfTopic(r.consumerLayout, t.topic);
    const common = { ...t, replicationFactor: rf, consumer };
    if (t.role === 'dead-letter') {
      return {
        ...common,
        partitions: Math.max(DEAD_LETTER_PARTITIONS, existing[t.name] ?? 0),
        config: { 'min.insync.replicas': minIsr, 'retention.ms': DEAD_LETTER_RETENTION_MS },
      };
    }
    const consumerMax = r.settings[consumer]!.replicas.max;
    if (t.topic === AUDIT_TOPIC)
      return { ...common, partitions: Math.max(AUDIT_PARTITIONS, consumerMax, existing[t.name] ?? 0), config: { 'min.insync.replicas': minIsr } };
    const data = r.kafka.dataTopics[t.topic];
    const wanted = Math.max(data.partitions, consumerMax);
    return { ...common, partitions: Math.max(wanted, existing[t.name] ?? 0), config: { 'min.insync.replicas': minIsr, ...data.config } };
  });
}
