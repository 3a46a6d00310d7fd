// The Kafka client the workloads and the operator use (core/kafka.ts) leaves an idle connection
// alone: kafkajs 2.2.4 as released re-checks each connection's request queue every millisecond
// for as long as it is open, which keeps an idle pod's CPU near a small request's HPA target.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { logLevel, type Admin, type Producer } from 'kafkajs';
import { Kafka } from '../../../core/kafka.js';
import { connectKafkaAdmin, kafkaBrokers, uniqueName } from '../../support/services.js';
import { sleep } from '../../support/wait.js';

interface RequestQueuePrototype {
  checkPendingRequests(this: unknown): void;
}
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue') as { prototype: RequestQueuePrototype };

const topic = uniqueName('idle-client');
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  admin = await connectKafkaAdmin();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  producer = new Kafka({ clientId: 'idle-client', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
});

test('an idle, connected producer and admin check their request queues only when a request comes or goes', async () => {
  await producer.send({ topic, messages: [{ value: 'wake every connection' }] });
  await admin.fetchTopicMetadata({ topics: [topic] });

  const original = RequestQueue.prototype.checkPendingRequests;
  let checks = 0;
  RequestQueue.prototype.checkPendingRequests = function counted(this: unknown) {
    checks++;
    original.call(this);
  };
  try {
    await sleep(2000); // nothing is sent: the connections stay open and idle
  } finally {
    RequestQueue.prototype.checkPendingRequests = original;
  }
  // As released, each open connection checks about once a millisecond (thousands in 2 s).
  expect(checks).toBeLessThan(20);
});
