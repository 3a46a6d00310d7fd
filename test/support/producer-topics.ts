// The topics a Producer API run outside a pipeline needs on the test Kafka (benchmarks and the
// calibration make them; the operator would): the SMS data topic, and the audit and clients
// topics every Producer API writes beside it.
import type { Admin } from 'kafkajs';
import { AUDIT_TOPIC, CLIENTS_TOPIC } from '../../core/domain.js';

export async function ensureProducerTopics(admin: Admin): Promise<void> {
  const existing = await admin.listTopics();
  const topics = [
    { topic: 'sms_batched', numPartitions: 16, replicationFactor: 1 },
    { topic: AUDIT_TOPIC, numPartitions: 16, replicationFactor: 1 },
    { topic: CLIENTS_TOPIC, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ].filter((t) => !existing.includes(t.topic));
  if (topics.length) await admin.createTopics({ topics, waitForLeaders: true });
}
