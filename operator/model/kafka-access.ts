// What the operator may do on a pipeline's Kafka cluster, decided in one place from the topic
// mode. Writing topics is the job of whoever manages them (the operator only in admin mode);
// reading offsets is harmless and tells every mode its consumer lag, so it happens in all.
import type { SyncPipelineSpec } from '../api/v1alpha1.js';
import { topicMode } from './defaults.js';

export interface KafkaAccess {
  /**
   * Create missing topics, raise their partitions and delete them on pipeline deletion,
   * through the Kafka admin API. Only when the operator manages the topics (admin mode): a
   * Strimzi topic operator or a team owning the topics would see its work undone.
   */
  readonly manageTopics: boolean;
  /**
   * Read the consumer groups' committed offsets (OffsetFetch) and the topics' end offsets
   * (ListOffsets), for status.flow and Lagging. Read-only: nothing on the cluster changes.
   */
  readonly readOffsets: boolean;
}

const ACCESS: Readonly<Record<ReturnType<typeof topicMode>, KafkaAccess>> = {
  admin: { manageTopics: true, readOffsets: true },
  strimzi: { manageTopics: false, readOffsets: true },
  unmanaged: { manageTopics: false, readOffsets: true },
};

export function kafkaAccess(spec: SyncPipelineSpec): KafkaAccess {
  return ACCESS[topicMode(spec)];
}
