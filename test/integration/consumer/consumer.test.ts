// The consumer and `migrate` as real processes against the test Kafka, MongoDB-wire server
// and PostgreSQL. Topics, databases and groups are unique to this suite: the consumer routes
// by the message's source, whatever the topic is called.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type pg from 'pg';
import { logLevel, type Admin, type Producer } from 'kafkajs';
import { Kafka } from '../../../core/kafka.js';
import type { Db } from 'mongodb';
import { messageKey } from '../../../core/message.js';
import type { Source } from '../../../core/domain.js';
import { COLLECTIONS } from '../../../core/sync-schema.js';
import { ConsumerProcess, runMigrate } from '../../support/consumer-process.js';
import { openSinkFixture, syncMessage, type SinkFixture } from '../../support/sink-fixture.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

const u = uniqueName('c').replace(/-/g, '');
const topics = { sms: `sms-${u}`, events: `events-${u}`, common: `common-${u}`, filtered: `filtered-${u}` };
const mongoDb = `sync_${u}`;
let pgSync: pg.Client;
let fixture: SinkFixture | undefined;
let db: Db;
let admin: Admin;
let producer: Producer;
let consumer: ConsumerProcess;
let filtered: ConsumerProcess;

const baseEnv = () => fixture!.env();

function message(source: Source, records: Record<string, unknown>[], requestId = uniqueName('r'), userId = 'user-1'): { key: string; value: string } {
  return syncMessage({ client: 'acme', user: userId }, source, records, requestId);
}

/** Dead letters on the given DLQ topics whose value matches, once `count` of them are there. */
async function readDlq(dlqTopics: string[], match: (value: string) => boolean, count: number): Promise<{ headers: Record<string, string>; value: string }[]> {
  const seen: { headers: Record<string, string>; value: string }[] = [];
  const reader = new Kafka({ clientId: 'dlq-reader', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('dlq') });
  await reader.connect();
  await reader.subscribe({ topics: dlqTopics, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message: m }) => {
      const value = m.value?.toString() ?? '';
      if (match(value)) seen.push({ value, headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])) });
    },
  });
  try {
    await waitFor(`${count} dead letters`, () => seen.length >= count, 60000);
  } finally {
    await reader.disconnect();
  }
  return seen;
}

async function schemaSnapshot(): Promise<string> {
  const tables = await pgSync.query(
    `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`,
  );
  const indexes = await Promise.all(Object.values(COLLECTIONS).map(async (c) => [c, (await db.collection(c).indexes()).map((i) => i.name).sort()]));
  return JSON.stringify({ tables: tables.rows, indexes });
}

beforeAll(async () => {
  fixture = await openSinkFixture(mongoDb, Object.values(topics), 'consumer-tests');
  ({ pgSync, db, admin, producer } = fixture);
}, 60000);

afterAll(async () => {
  await consumer?.stop();
  await filtered?.stop();
  await fixture?.close();
});

describe('migrate', () => {
  test('creates tables, partitions, collections and indexes; a second run changes nothing', async () => {
    const first = await runMigrate(baseEnv());
    expect(first.code).toBe(0);
    const after1 = await schemaSnapshot();
    expect(after1).toContain('sync_events_log');
    expect(after1).toContain('sync_requests');
    expect(after1).toMatch(/sync_events_log_p\d{8}/);
    expect(after1).toContain('client_user');
    const second = await runMigrate(baseEnv());
    expect(second.code).toBe(0);
    expect(await schemaSnapshot()).toBe(after1);
  });

  test('two migrations at once both succeed', async () => {
    const runs = await Promise.all([runMigrate(baseEnv()), runMigrate(baseEnv())]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
  });
});

describe('the consumer', () => {
  test('each source lands in the right place with the right shape', async () => {
    consumer = await ConsumerProcess.start({
      ...baseEnv(),
      ENABLED_TOPICS: [topics.sms, topics.events, topics.common].join(','),
      KAFKA_CONSUMER_GROUP: uniqueName('group'),
    });
    const sms = message('sms', [
      { id: 1, sender: 'AX-BANK', body: 'debited', timestamp: 1764000000000, type: 'inbox' },
      { id: 2, sender: 'VM-SHOP', body: 'OTP', timestamp: 1764000001000, type: 'inbox' },
    ]);
    const events = message('events', [{ event_type: 'app_open', event_value: 'home', timestamp: 1764000000000 }]);
    const device = message('apps_and_device', [
      { kind: 'device', model: 'Pixel 8' },
      { kind: 'app', package_name: 'com.example.pay' },
      { kind: 'ios_device', model: 'iPhone' },
    ]);
    const contacts = message('contacts', [{ contact_id: 'c1', phones: ['+91XXXX1234'] }]);
    const calls = message('call_logs', [{ number: '+91XXXX1234', type: 'incoming', duration: 42, timestamp: 1764000000000 }]);
    const sentAt = Date.now();
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: topics.sms, messages: [sms] },
        { topic: topics.events, messages: [events] },
        { topic: topics.common, messages: [device, contacts, calls] },
      ],
    });

    await waitFor('all five messages recorded', async () => Number((await pgSync.query('SELECT count(*) FROM sync_requests')).rows[0].count) === 5, 30000);
    // 2 sms + 1 event + 3 apps/device records and their device_id_mapper entry + 1 contact + 1 call
    await waitFor('nine records written', async () => (await consumer.metric('consumer_records_written_total')) === 9, 10000);
    // Freshness: one observation per message, each from its Kafka timestamp, so no older than
    // the time since the send (the same clock here).
    const ageBound = (Date.now() - sentAt) / 1000;
    expect(await consumer.metric('consumer_message_wait_seconds_count')).toBe(5);
    expect(await consumer.metric('consumer_record_freshness_seconds_count')).toBe(5);
    const freshnessSum = await consumer.metric('consumer_record_freshness_seconds_sum');
    expect(freshnessSum).toBeGreaterThan(0);
    expect(freshnessSum).toBeLessThanOrEqual(5 * ageBound);
    expect(await consumer.metric('consumer_message_wait_seconds_sum')).toBeLessThanOrEqual(freshnessSum);
    expect(
      await db.collection(COLLECTIONS.sms).find({ client_id: 'acme' }).sort({ id: 1 }).project({ _id: 0, sender: 1, user_id: 1, request_id: 1 }).toArray(),
    ).toEqual([
      { sender: 'AX-BANK', user_id: 'user-1', request_id: JSON.parse(sms.value).request_id },
      { sender: 'VM-SHOP', user_id: 'user-1', request_id: JSON.parse(sms.value).request_id },
    ]);
    expect(await db.collection(COLLECTIONS.device).countDocuments()).toBe(1);
    expect(await db.collection(COLLECTIONS.apps).countDocuments()).toBe(1);
    expect(await db.collection(COLLECTIONS.iosDevice).countDocuments()).toBe(1);
    expect(await db.collection(COLLECTIONS.deviceIdMapper).findOne({ client_id: 'acme' })).toMatchObject({
      user_id: 'user-1',
      device_id: 'd-1',
      android_id: 'a-1',
    });
    expect(await db.collection(COLLECTIONS.contacts).countDocuments()).toBe(1);
    expect(await db.collection(COLLECTIONS.callLogs).countDocuments()).toBe(1);
    const ev = await pgSync.query('SELECT event_type, event_value, client_id, user_id FROM sync_events_log');
    expect(ev.rows).toEqual([{ event_type: 'app_open', event_value: 'home', client_id: 'acme', user_id: 'user-1' }]);
    const status = await waitFor('sync status', async () => {
      const r = await pgSync.query('SELECT source, records::int, requests::int FROM sync_status WHERE client_id = $1 ORDER BY source', ['acme']);
      return r.rowCount === 5 ? r.rows : undefined;
    });
    expect(status).toEqual([
      { source: 'apps_and_device', records: 3, requests: 1 },
      { source: 'call_logs', records: 1, requests: 1 },
      { source: 'contacts', records: 1, requests: 1 },
      { source: 'events', records: 1, requests: 1 },
      { source: 'sms', records: 2, requests: 1 },
    ]);
  });

  test('the same messages delivered twice: no duplicates', async () => {
    const sms = message(
      'sms',
      Array.from({ length: 50 }, (_, i) => ({ id: i, sender: 'X', body: `b${i}`, timestamp: 1764000000000 + i, type: 'inbox' })),
      uniqueName('dup'),
    );
    const events = message(
      'events',
      Array.from({ length: 20 }, (_, i) => ({ event_type: 'tap', event_value: String(i), timestamp: 1764000000000 + i })),
      uniqueName('dup'),
    );
    const smsBefore = await db.collection(COLLECTIONS.sms).countDocuments();
    const evBefore = Number((await pgSync.query('SELECT count(*) FROM sync_events_log')).rows[0].count);
    for (let i = 0; i < 2; i++)
      await producer.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: topics.sms, messages: [sms] },
          { topic: topics.events, messages: [events] },
        ],
      });
    await waitFor('both copies consumed and recognised', async () => (await consumer.metric('consumer_records_duplicate_total')) >= 70, 30000);
    expect((await db.collection(COLLECTIONS.sms).countDocuments()) - smsBefore).toBe(50);
    expect(Number((await pgSync.query('SELECT count(*) FROM sync_events_log')).rows[0].count) - evBefore).toBe(20);
  });

  test('poison messages go to <topic>.dlq with headers; the partition continues', async () => {
    const key = messageKey('acme', 'poison-user');
    const good = message(
      'sms',
      [{ id: 'after', sender: 'OK', body: 'after the poison', timestamp: 1764000000000, type: 'inbox' }],
      uniqueName('good'),
      'poison-user',
    );
    const invalid = message('sms', [{ id: 'bad', body: 'no sender', timestamp: 1764000000000, type: 'inbox' }], uniqueName('bad'), 'poison-user');
    await producer.send({ topic: topics.sms, acks: -1, messages: [{ key, value: 'not json at all' }, invalid, good] });
    await waitFor('the good message after the poison', async () => (await db.collection(COLLECTIONS.sms).findOne({ id: 'after' })) !== null, 30000);

    const seen: { headers: Record<string, string>; value: string }[] = [];
    const dlqConsumer = new Kafka({ clientId: 'dlq-reader', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('dlq') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: `${topics.sms}.dlq`, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message: m }) =>
        void seen.push({ value: m.value?.toString() ?? '', headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
    });
    await waitFor('two dead letters', () => seen.length >= 2, 30000);
    await dlqConsumer.disconnect();
    expect(seen.map((s) => s.value)).toEqual(['not json at all', invalid.value]);
    expect(seen[0]!.headers).toMatchObject({ 'x-source-topic': topics.sms, 'x-error': expect.stringContaining('not JSON') });
    expect(seen[1]!.headers['x-error']).toContain('sender');
    expect(Number(seen[1]!.headers['x-source-offset'])).toBeGreaterThanOrEqual(0);
    expect(await consumer.metric('consumer_messages_dead_lettered_total')).toBe(2);
  });

  test('records the databases refuse (NUL in text, "$" and "." in keys) go to the DLQ with the error; the same user\'s later records are stored', async () => {
    const rejectedBefore = await consumer.metric('consumer_sink_rejected_total');
    const user = uniqueName('poison-user');
    const key = messageKey('acme', user);
    const ev = (value: string) => ({ event_type: 'note', event_value: value, timestamp: 1764000000000 });
    const sms = (extra: Record<string, unknown>) => ({ id: uniqueName('s'), sender: 'S', body: 'b', timestamp: 1764000000000, type: 'inbox', ...extra });
    // What a Producer API without the refusal accepted: each poison kind, each followed by good
    // records of the same user (same key, so the same partition, behind the poison).
    const nulEvent = message('events', [ev('before\u0000after')], uniqueName('nul'), user);
    const goodEvent = message('events', [ev('fine')], uniqueName('okev'), user);
    const dollarKey = message('sms', [sms({ meta: { $where: 'sleep(1)' } })], uniqueName('dollar'), user);
    const dottedKey = message('sms', [sms({ 'a.b': 1 })], uniqueName('dotted'), user);
    const goodSms = message('sms', [sms({ id: `after-${user}` })], uniqueName('oksms'), user);
    await producer.send({
      topic: topics.events,
      acks: -1,
      messages: [
        { key, value: nulEvent.value },
        { key, value: goodEvent.value },
      ],
    });
    await producer.send({ topic: topics.sms, acks: -1, messages: [dollarKey, dottedKey, goodSms].map((m) => ({ key, value: m.value })) });

    await waitFor(
      'the good records behind the poison',
      async () =>
        (await db.collection(COLLECTIONS.sms).findOne({ id: `after-${user}` })) !== null &&
        Number((await pgSync.query('SELECT count(*) FROM sync_events_log WHERE user_id = $1', [user])).rows[0].count) === 1,
      60000,
    );
    const poison = [nulEvent, dollarKey, dottedKey].map((m) => JSON.parse(m.value).request_id as string);
    const dead = await readDlq([`${topics.events}.dlq`, `${topics.sms}.dlq`], (v) => poison.some((id) => v.includes(id)), 3);
    expect(dead.map((d) => JSON.parse(d.value).request_id).sort()).toEqual([...poison].sort());
    for (const d of dead) expect(d.headers['x-error']).toMatch(/^sink rejected/);
    expect(dead.find((d) => d.value === nulEvent.value)!.headers['x-error']).toContain('SQLSTATE 22');
    expect((await consumer.metric('consumer_sink_rejected_total')) - rejectedBefore).toBe(3);
    // Nothing of the poison reached the sync status; the good messages did.
    const status = await pgSync.query('SELECT request_id FROM sync_requests WHERE user_id = $1 ORDER BY request_id', [user]);
    expect(status.rows.map((r: { request_id: string }) => r.request_id).sort()).toEqual(
      [JSON.parse(goodEvent.value).request_id, JSON.parse(goodSms.value).request_id].sort(),
    );
  });

  test('DI_MONGODB_ENABLED_SOURCES: other sources are committed and counted, not written', async () => {
    const group = uniqueName('filtered');
    filtered = await ConsumerProcess.start({
      ...baseEnv(),
      DI_MONGODB_DATABASE: `${mongoDb}_f`,
      DI_MONGODB_ENABLED_SOURCES: 'sms',
      ENABLED_TOPICS: topics.filtered,
      KAFKA_CONSUMER_GROUP: group,
    });
    await producer.send({
      topic: topics.filtered,
      acks: -1,
      messages: [
        message('contacts', [{ contact_id: 'c9', phones: ['x'] }]),
        message('sms', [{ id: 'f1', sender: 'S', body: 'b', timestamp: 1, type: 'inbox' }]),
      ],
    });
    await waitFor(
      'both handled',
      async () => (await filtered.metric('consumer_records_skipped_total')) === 1 && (await filtered.metric('consumer_records_written_total')) === 1,
      30000,
    );
    const fdb = fixture!.mongo.db(`${mongoDb}_f`);
    expect(await fdb.collection(COLLECTIONS.contacts).countDocuments()).toBe(0);
    expect(await fdb.collection(COLLECTIONS.sms).countDocuments()).toBe(1);
    await filtered.stop();
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topics.filtered] });
    const ends = await admin.fetchTopicOffsets(topics.filtered);
    const committed = Object.fromEntries(offsets[0]!.partitions.map((p) => [p.partition, p.offset === '-1' ? '0' : p.offset]));
    expect(committed).toEqual(Object.fromEntries(ends.map((e) => [e.partition, e.offset])));
    await fdb.dropDatabase();
  });

  test('SIGTERM: finishes, commits and leaves the group', async () => {
    await sleep(500);
    await consumer.stop();
    expect(await consumer.exited).toBe(0);
    // the log reaches its file through a pipe, shortly after the exit
    await waitFor('the stopped line', () => consumer.log().includes('"msg":"stopped"'), 5000);
  });
});
