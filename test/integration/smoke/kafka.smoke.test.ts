import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Admin } from 'kafkajs';
import { connectKafkaAdmin, testKafka, uniqueName } from '../../support/services.js';

let admin: Admin;
const topic = uniqueName('smoke');
const group = uniqueName('smoke-group');

beforeAll(async () => {
  admin = await connectKafkaAdmin();
});
afterAll(async () => {
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
});

test('Kafka creates a 3-partition topic, and a group consumes and commits what was produced', async () => {
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(meta.topics[0]?.partitions).toHaveLength(3);

  const kafka = testKafka();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 7}`, value: `m${i}` }));
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen.length}/30 within 60 s`)), 60000);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          seen.push(message.value?.toString() ?? '');
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (seen.length === messages.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  expect(seen.sort()).toEqual(messages.map((m) => m.value).sort());
  // The group's committed offset on every partition is that partition's end: all consumed.
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  const byPartition = (rows: { partition: number; offset: string }[]): Record<number, string> =>
    Object.fromEntries(rows.map((r) => [r.partition, r.offset === '-1' ? '0' : r.offset]));
  expect(byPartition(committed[0]!.partitions)).toEqual(byPartition(ends));
  await admin.deleteGroups([group]);
});
