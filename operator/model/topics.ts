// The Kafka topics a pipeline needs: the seed's five (three in India), with partitions at
// least the seed's (or the explicit count) and at least the consuming deployment's max
// replicas (a consumer beyond the partition count would sit idle; admission refuses an explicit
// count below an explicit maxReplicas), never fewer than the topic already has.
import type { SyncPipelineSpec } from '../api/v1alpha1.js';
import { TOPIC_FACTS, TOPICS, type ConsumerName, type TopicName } from '../../core/domain.js';
import { componentSettings, defaultMinInSync, replicationFactor, type SizingSpec } from './defaults.js';
import type { Sizing } from './ladder.js';

export interface DesiredTopic {
  readonly name: TopicName;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Record<string, string>;
  readonly consumer: ConsumerName;
}

export type PartitionCounts = Partial<Record<TopicName, number>>;

function topicsForRegion(region: SyncPipelineSpec['region']): TopicName[] {
  return TOPICS.filter((t) => region !== 'india' || TOPIC_FACTS[t].allowedInIndia);
}

export function desiredTopics(spec: SizingSpec, sizing: Sizing, existing: PartitionCounts = {}): DesiredTopic[] {
  const rf = replicationFactor(spec);
  const minIsr = spec.kafka?.minInSyncReplicas ?? defaultMinInSync(rf);
  return topicsForRegion(spec.region).map((name) => {
    const facts = TOPIC_FACTS[name];
    const override = spec.kafka?.topics?.[name];
    const consumerMax = componentSettings(spec, sizing, facts.consumer).replicas.max;
    const wanted = Math.max(override?.partitions ?? facts.seedPartitions, consumerMax);
    return {
      name,
      partitions: Math.max(wanted, existing[name] ?? 0),
      replicationFactor: rf,
      config: { 'min.insync.replicas': String(Math.min(minIsr, rf)), ...override?.config },
      consumer: facts.consumer,
    };
  });
}
