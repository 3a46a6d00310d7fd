// What the consumer suites stand on: fresh insights and sync databases, a MongoDB database,
// the suite's topics (3 partitions each) and an idempotent producer, torn down together.
import type pg from 'pg';
import { logLevel, type Admin, type Producer } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import type { Db, MongoClient } from 'mongodb';
import { deadLetterTopic, type Source } from '../../core/domain.js';
import { MESSAGE_VERSION, messageKey, splitIntoMessages } from '../../core/message.js';
import { connectKafkaAdmin, connectMongo, connectPg, createTestDatabase, dropTestDatabase, kafkaBrokers } from './services.js';

export interface SinkFixture {
  insightsDb: string;
  syncDb: string;
  mongoDb: string;
  pgSync: pg.Client;
  mongo: MongoClient;
  db: Db;
  admin: Admin;
  producer: Producer;
  /** The workload variables that point a consumer or `migrate` at these databases. */
  env(): Record<string, string>;
  /** Deletes the topics (and their DLQs), drops the databases, closes every client. */
  close(): Promise<void>;
}

export async function openSinkFixture(mongoDb: string, topics: string[], clientId: string): Promise<SinkFixture> {
  const insightsDb = await createTestDatabase('insights');
  const syncDb = await createTestDatabase('sync');
  const pgSync = await connectPg(syncDb);
  const mongo = await connectMongo();
  const db = mongo.db(mongoDb);
  const admin = await connectKafkaAdmin();
  // Each topic with its dead-letter topic, as the operator creates them (consumers do not).
  await admin.createTopics({
    topics: topics.flatMap((topic) => [
      { topic, numPartitions: 3, replicationFactor: 1 },
      { topic: deadLetterTopic(topic), numPartitions: 1, replicationFactor: 1 },
    ]),
    waitForLeaders: true,
  });
  const producer = new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    insightsDb,
    syncDb,
    mongoDb,
    pgSync,
    mongo,
    db,
    admin,
    producer,
    env: () => ({ DI_POSTGRES_DATABASE: insightsDb, DI_POSTGRES_SYNC_DATABASE: syncDb, DI_MONGODB_DATABASE: mongoDb }),
    async close() {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [...topics, ...topics.map(deadLetterTopic)] }).catch(() => undefined);
      await admin.disconnect();
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await pgSync.end();
      for (const d of [insightsDb, syncDb]) await dropTestDatabase(d);
    },
  };
}

/** One Kafka message as the Producer API writes it: `records` of `source` from `user` of `client`, keyed like it. */
export function syncMessage(
  who: { client: string; user: string },
  source: Source,
  records: Record<string, unknown>[],
  requestId: string,
): { key: string; value: string } {
  const [value] = splitIntoMessages(
    {
      v: MESSAGE_VERSION,
      request_id: requestId,
      client_id: who.client,
      user_id: who.user,
      source,
      sdk_version: '2.4.0',
      // the same device ids everywhere: the device_id_mapper entry is per client and user
      device: { device_id: 'd-1', android_id: 'a-1' },
      received_at: new Date().toISOString(),
    },
    records,
    900_000,
  );
  return { key: messageKey(who.client, who.user), value: value! };
}
