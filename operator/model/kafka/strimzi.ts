// Strimzi KafkaTopic resources (strimzi mode), for kafka.strimzi.io/v1 or v1beta2: the caller
// passes the version API discovery found. Both versions take the same spec for topics.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Capabilities } from '../objects/autoscaling.js';
import { childMeta } from '../objects/metadata.js';
import { componentLabels, kafkaTopicObjectName } from '../naming.js';
import type { DesiredTopic } from './topics.js';
import type { ResolvedPipeline } from '../resolve.js';

export interface KafkaTopic extends KubernetesObject {
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

export function kafkaTopic(r: ResolvedPipeline, t: DesiredTopic, apiVersion: NonNullable<Capabilities['kafkaTopicApiVersion']>): KafkaTopic {
  const cluster = r.kafka.topics.strimziClusterName;
  // Deleting a KafkaTopic deletes the topic and its data. Unless the user asked for that on
  // pipeline deletion, the KafkaTopic is not owned by the pipeline and outlives it.
  const owned = r.kafka.topics.deleteTopicsOnDeletion;
  const meta = childMeta(
    r,
    kafkaTopicObjectName(r.metadata.name, t.topic, t.role),
    { ...componentLabels(r.metadata.name, 'topics'), 'strimzi.io/cluster': cluster },
    { owned },
  );
  return {
    apiVersion,
    kind: 'KafkaTopic',
    metadata: meta,
    spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicationFactor, config: { ...t.config } },
  };
}
