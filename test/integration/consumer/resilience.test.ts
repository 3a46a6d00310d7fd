// Consumers under failure: SIGKILL mid-batch, a sink gone for 20 s, a rebalance between two
// consumers of one group. In each case every record must end up in the sink exactly once.
// Also the `partitions` maintenance job.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type pg from 'pg';
import { logLevel, type Admin, type Producer } from 'kafkajs';
import { Kafka } from '../../../core/kafka.js';
import type { Db, MongoClient } from 'mongodb';
import { MESSAGE_VERSION, messageKey, splitIntoMessages } from '../../../core/message.js';
import { COLLECTIONS } from '../../../core/sync-schema.js';
import { partitionName, utcDay } from '../../../core/insights-schema.js';
import { ConsumerProcess, runJob, runMigrate } from '../../support/consumer-process.js';
import {
  connectKafkaAdmin,
  connectMongo,
  connectPg,
  createTestDatabase,
  dropTestDatabase,
  kafkaBrokers,
  setServiceState,
  uniqueName,
} from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

let insightsDb: string;
let syncDb: string;
const mongoDb = `res_${uniqueName('m').replace(/-/g, '')}`;
let pgSync: pg.Client;
let mongo: MongoClient;
let db: Db;
let admin: Admin;
let producer: Producer;
const consumers: ConsumerProcess[] = [];
const topicsMade: string[] = [];

const env = () => ({ DI_POSTGRES_DATABASE: insightsDb, DI_POSTGRES_SYNC_DATABASE: syncDb, DI_MONGODB_DATABASE: mongoDb });

async function topic(prefix: string, partitions = 4): Promise<string> {
  const t = uniqueName(prefix);
  await admin.createTopics({
    topics: [
      { topic: t, numPartitions: partitions, replicationFactor: 1 },
      { topic: `${t}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  topicsMade.push(t, `${t}.dlq`);
  return t;
}

/** `count` SMS messages of `per` records each, spread over many users (keys). */
async function produceSms(t: string, tag: string, count: number, per = 10): Promise<void> {
  const messages = Array.from({ length: count }, (_, n) => {
    const user = `u${n % 37}`;
    const [value] = splitIntoMessages(
      {
        v: MESSAGE_VERSION,
        request_id: `${tag}-${n}`,
        client_id: 'acme',
        user_id: user,
        source: 'sms',
        sdk_version: '2',
        device: {},
        received_at: new Date().toISOString(),
      },
      Array.from({ length: per }, (_, i) => ({ id: `${tag}-${n}-${i}`, sender: 'S', body: `b${i}`, timestamp: 1764000000000 + i, type: 'inbox' })),
      900_000,
    );
    return { key: messageKey('acme', user), value: value! };
  });
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: t, acks: -1, messages: messages.slice(i, i + 500) });
}

const countTag = (tag: string) => db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $regex: `^${tag}-` } });
/** Messages of a tag the consumer has finished: their sync_requests row is written after their records. */
const syncedRequests = async (tag: string): Promise<number> =>
  (await pgSync.query(`SELECT count(*)::int AS n FROM sync_requests WHERE request_id LIKE '${tag}-%'`)).rows[0].n;
/** The consumer retries its sink while it is down (its log in the error if it does not). */
const waitForSinkRetries = (c: ConsumerProcess) =>
  waitFor('retries while the sink is down', async () => (await c.metric('consumer_sink_retries_total')) > 0, 15000).catch((err: unknown) => {
    throw new Error(`${String(err)}\nconsumer log:\n${c.log().slice(-3000)}`);
  });

beforeAll(async () => {
  insightsDb = await createTestDatabase('insights');
  syncDb = await createTestDatabase('sync');
  pgSync = await connectPg(syncDb);
  mongo = await connectMongo();
  db = mongo.db(mongoDb);
  admin = await connectKafkaAdmin();
  producer = new Kafka({ clientId: 'resilience-tests', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  expect((await runMigrate(env())).code).toBe(0);
}, 60000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: topicsMade }).catch(() => undefined);
  await admin?.disconnect();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
  await pgSync?.end();
  for (const d of [insightsDb, syncDb]) if (d) await dropTestDatabase(d);
});

test('SIGKILL mid-batch and restart: every record exactly once', async () => {
  const t = await topic('kill');
  await produceSms(t, 'kill', 1500);
  const group = uniqueName('kill');
  const first = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group });
  consumers.push(first);
  await waitFor('some records written', async () => (await countTag('kill')) > 1000, 30000, 20);
  first.signal('SIGKILL');
  await first.exited;
  const partial = await countTag('kill');
  expect(partial).toBeLessThan(15000);

  const second = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group });
  consumers.push(second);
  await waitFor('all 15000 records', async () => (await countTag('kill')) === 15000, 60000, 250);
  await sleep(2000);
  expect(await countTag('kill')).toBe(15000);
  await second.stop();
}, 120000);

test('PostgreSQL unavailable for 20 s: the partition waits, nothing is lost, it catches up', async () => {
  const t = await topic('outage', 2);
  const group = uniqueName('outage');
  const c = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group });
  consumers.push(c);
  await pgSync.end();
  setServiceState('postgres', 'down');
  const downAt = Date.now();
  try {
    await produceSms(t, 'outage', 200, 5);
    await waitForSinkRetries(c);
    await sleep(Math.max(0, 20000 - (Date.now() - downAt)));
  } finally {
    setServiceState('postgres', 'up');
  }
  pgSync = await connectPg(syncDb);
  // A message is done when its sync_requests row exists (written after its records).
  await waitFor('every message recorded after the outage', async () => (await syncedRequests('outage')) === 200, 60000, 500);
  expect(await countTag('outage')).toBe(1000);
  expect(await c.metric('consumer_messages_dead_lettered_total')).toBe(0);
  await c.stop();
}, 120000);

test('MongoDB-wire server unavailable for 20 s: the partition waits, nothing is lost, it catches up', async () => {
  const t = await topic('mongo-outage', 2);
  const group = uniqueName('mongo-outage');
  // A short server-selection timeout so a write fails (and is retried) within the outage.
  const c = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group, DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS: '2000' });
  consumers.push(c);
  await produceSms(t, 'mwarm', 10, 5);
  await waitFor('the consumer writing before the outage', async () => (await countTag('mwarm')) === 50, 30000, 250);
  setServiceState('mongo', 'down');
  const downAt = Date.now();
  try {
    await produceSms(t, 'mongo-outage', 200, 5);
    await waitForSinkRetries(c);
    await sleep(Math.max(0, 20000 - (Date.now() - downAt)));
    // Nothing committed past what was written: the sync_requests rows (written after the records) are absent.
    expect(await syncedRequests('mongo-outage')).toBe(0);
  } finally {
    setServiceState('mongo', 'up');
  }
  await waitFor('every message recorded after the outage', async () => (await syncedRequests('mongo-outage')) === 200, 60000, 500);
  expect(await countTag('mongo-outage')).toBe(1000);
  expect(await c.metric('consumer_messages_dead_lettered_total')).toBe(0);
  await c.stop();
}, 120000);

test('two consumers in one group share partitions; a rebalance loses nothing', async () => {
  const t = await topic('rebalance', 6);
  const group = uniqueName('rebalance');
  const a = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group });
  consumers.push(a);
  await produceSms(t, 'rb1', 600);
  const b = await ConsumerProcess.start({ ...env(), ENABLED_TOPICS: t, KAFKA_CONSUMER_GROUP: group });
  consumers.push(b);
  await produceSms(t, 'rb2', 600);
  await waitFor(
    'both consumers working',
    async () => (await a.metric('consumer_messages_consumed_total')) > 0 && (await b.metric('consumer_messages_consumed_total')) > 0,
    60000,
    500,
  );
  await a.stop(); // leaves the group: b takes every partition
  await produceSms(t, 'rb3', 300);
  await waitFor(
    'every record',
    async () => (await countTag('rb1')) === 6000 && (await countTag('rb2')) === 6000 && (await countTag('rb3')) === 3000,
    90000,
    500,
  );
  await b.stop();
}, 180000);

test('partitions job: creates upcoming days, drops those past retention, keeps the rest', async () => {
  const old = utcDay(new Date(), -100);
  const recent = utcDay(new Date(), -5);
  for (const d of [old, recent]) {
    await pgSync.query(
      `CREATE TABLE IF NOT EXISTS ${partitionName('sync_events_log', d)} PARTITION OF sync_events_log FOR VALUES FROM ('${d.toISOString()}') TO ('${utcDay(d, 1).toISOString()}')`,
    );
  }
  expect((await runJob('partitions', { ...env(), PARTITION_DAYS_AHEAD: '14', PARTITION_RETENTION_DAYS: '90' })).code).toBe(0);
  const names = (await pgSync.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'sync_events_log_p%'`)).rows.map((r) => r.relname);
  expect(names).not.toContain(partitionName('sync_events_log', old));
  expect(names).toContain(partitionName('sync_events_log', recent));
  expect(names).toContain(partitionName('sync_events_log', utcDay(new Date(), 14)));
});
