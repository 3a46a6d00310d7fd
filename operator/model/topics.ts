// The Kafka topics a pipeline needs: the seed's five (three in India), each with its
// dead-letter topic. Data topics get partitions at least the seed's (or the explicit count)
// and at least the consuming deployment's max replicas (a consumer beyond the partition count
// would sit idle; admission refuses an explicit count below an explicit maxReplicas), never
// fewer than the topic already has. Names carry the pipeline's prefix (naming.ts).
import type { SyncPipelineSpec } from '../api/v1alpha1.js';
import { consumerOfTopic, deadLetterTopic, kafkaTopicName, TOPIC_FACTS, TOPICS, type ConsumerName, type TopicName } from '../../core/domain.js';
import { componentSettings, consumerLayout, defaultMinInSync, replicationFactor, type SizingSpec } from './defaults.js';
import type { Sizing } from './ladder.js';
import { kafkaNaming, type TopicRole } from './naming.js';

export interface DesiredTopic extends NamedTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Record<string, string>;
  /** The consumer of the spec's layout that reads it. */
  readonly consumer: ConsumerName;
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

function topicsForRegion(region: SyncPipelineSpec['region']): TopicName[] {
  return TOPICS.filter((t) => region !== 'india' || TOPIC_FACTS[t].allowedInIndia);
}

/** A topic of the pipeline by its name on the cluster: which seed topic it is, in which role. */
export interface NamedTopic {
  readonly name: string;
  readonly topic: TopicName;
  readonly role: TopicRole;
}

/** Every topic the pipeline uses on its cluster, each seed topic followed by its dead-letter topic. */
export function pipelineTopics(spec: Pick<SizingSpec, 'region' | 'kafka'>): NamedTopic[] {
  const naming = kafkaNaming(spec);
  return topicsForRegion(spec.region).flatMap((topic): NamedTopic[] => {
    const name = kafkaTopicName(naming, topic);
    return [
      { name, topic, role: 'data' },
      { name: deadLetterTopic(name), topic, role: 'dead-letter' },
    ];
  });
}

export function pipelineTopicNames(spec: Pick<SizingSpec, 'region' | 'kafka'>): string[] {
  return pipelineTopics(spec).map((t) => t.name);
}

export function desiredTopics(spec: SizingSpec, sizing: Sizing, existing: PartitionCounts = {}): DesiredTopic[] {
  const rf = replicationFactor(spec);
  const minIsr = String(Math.min(spec.kafka?.minInSyncReplicas ?? defaultMinInSync(rf), rf));
  return pipelineTopics(spec).map((t): DesiredTopic => {
    const facts = TOPIC_FACTS[t.topic];
    const consumer = consumerOfTopic(consumerLayout(spec), t.topic);
    const common = { ...t, replicationFactor: rf, consumer };
    if (t.role === 'dead-letter') {
      return {
        ...common,
        partitions: Math.max(DEAD_LETTER_PARTITIONS, existing[t.name] ?? 0),
        config: { 'min.insync.replicas': minIsr, 'retention.ms': DEAD_LETTER_RETENTION_MS },
      };
    }
    const override = spec.kafka?.topics?.[t.topic];
    const consumerMax = componentSettings(spec, sizing, consumer).replicas.max;
    const wanted = Math.max(override?.partitions ?? facts.seedPartitions, consumerMax);
    return { ...common, partitions: Math.max(wanted, existing[t.name] ?? 0), config: { 'min.insync.replicas': minIsr, ...override?.config } };
  });
}
