// Idempotency keys of the sinks: a request id is unique per client and user only (each SDK
// integration mints its own), so two clients or users reusing one must both be stored, while
// one client's redelivered message is still stored once. Real consumer and `migrate` processes
// against the test Kafka, MongoDB-wire server and PostgreSQL.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { COLLECTIONS } from '../../../core/sync-schema.js';
import { ConsumerProcess, runMigrate } from '../../support/consumer-process.js';
import { openSinkFixture, syncMessage, type SinkFixture } from '../../support/sink-fixture.js';
import { connectPg, createTestDatabase, dropTestDatabase, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

const u = uniqueName('d').replace(/-/g, '');
const topics = { sms: `sms-${u}`, events: `events-${u}`, common: `common-${u}` };
const mongoDb = `dedupe_${u}`;
let pgSync: pg.Client;
let fixture: SinkFixture | undefined;
let db: Db;
let producer: Producer;
let consumer: ConsumerProcess;

const baseEnv = () => fixture!.env();

interface Identity {
  client: string;
  user: string;
}

/**
 * Senders that all reuse one request id: two clients with the same user id, a second user of
 * the first client, and a pair whose ids differ only in where a ":" falls (a key that joined
 * the ids with ":" would make those two one).
 */
const SENDERS: Identity[] = [
  { client: 'acme', user: 'u-1' },
  { client: 'globex', user: 'u-1' },
  { client: 'acme', user: 'u-2' },
  { client: 'acme:x', user: 'u' },
  { client: 'acme', user: 'x:u' },
];

/** One sender's request in every sink: 2 SMS, 2 events, a device record (+ its device_id_mapper entry). */
function request(who: Identity, requestId: string) {
  return {
    sms: syncMessage(
      who,
      'sms',
      [1, 2].map((n) => ({ id: `${who.client}/${who.user}/${n}`, sender: 'AX-BANK', body: `b${n}`, timestamp: 1764000000000 + n, type: 'inbox' })),
      requestId,
    ),
    events: syncMessage(
      who,
      'events',
      [1, 2].map((n) => ({ event_type: 'tap', event_value: `${who.client}/${who.user}/${n}`, timestamp: 1764000000000 + n })),
      requestId,
    ),
    device: syncMessage(who, 'apps_and_device', [{ kind: 'device', model: 'Pixel 8' }], requestId),
  };
}
const RECORDS_PER_REQUEST = 2 + 2 + 1 + 1;

async function send(requests: ReturnType<typeof request>[]): Promise<void> {
  await producer.sendBatch({
    acks: -1,
    topicMessages: [
      { topic: topics.sms, messages: requests.map((r) => r.sms) },
      { topic: topics.events, messages: requests.map((r) => r.events) },
      { topic: topics.common, messages: requests.map((r) => r.device) },
    ],
  });
}

/** Records the consumer has handled so far, written or recognised as already written. */
const handled = async () => (await consumer.metric('consumer_records_written_total')) + (await consumer.metric('consumer_records_duplicate_total'));

/** What each sink holds for one request id, per sender ("client/user"). */
async function stored(requestId: string) {
  const perSender = (rows: { client_id: string; user_id: string }[]) => {
    const out: Record<string, number> = {};
    for (const r of rows) out[`${r.client_id}/${r.user_id}`] = (out[`${r.client_id}/${r.user_id}`] ?? 0) + 1;
    return out;
  };
  const mongoRows = (c: string, filter: Record<string, unknown>) =>
    db.collection(c).find(filter).project<{ client_id: string; user_id: string }>({ _id: 0, client_id: 1, user_id: 1 }).toArray();
  return {
    sms: perSender(await mongoRows(COLLECTIONS.sms, { request_id: requestId })),
    device: perSender(await mongoRows(COLLECTIONS.device, { request_id: requestId })),
    deviceIdMapper: perSender(await mongoRows(COLLECTIONS.deviceIdMapper, { device_id: 'd-1' })),
    events: perSender((await pgSync.query('SELECT client_id, user_id FROM sync_events_log WHERE sync_request_id = $1', [requestId])).rows),
    syncRequests: perSender((await pgSync.query('SELECT client_id, user_id FROM sync_requests WHERE request_id = $1', [requestId])).rows),
  };
}

const each = (n: number) => Object.fromEntries(SENDERS.map((s) => [`${s.client}/${s.user}`, n]));

beforeAll(async () => {
  fixture = await openSinkFixture(mongoDb, Object.values(topics), 'dedupe-tests');
  ({ pgSync, db, producer } = fixture);
  expect((await runMigrate(baseEnv())).code).toBe(0);
  consumer = await ConsumerProcess.start({
    ...baseEnv(),
    ENABLED_TOPICS: Object.values(topics).join(','),
    KAFKA_CONSUMER_GROUP: uniqueName('group'),
  });
}, 90000);

afterAll(async () => {
  await consumer?.stop();
  await fixture?.close();
});

test('two clients, and two users of one client, reusing one request id: each one is stored', async () => {
  const requestId = uniqueName('shared');
  const before = await handled();
  await send(SENDERS.map((s) => request(s, requestId)));
  await waitFor('every record handled', async () => (await handled()) - before >= SENDERS.length * RECORDS_PER_REQUEST, 30000);
  expect(await stored(requestId)).toEqual({ sms: each(2), device: each(1), deviceIdMapper: each(1), events: each(2), syncRequests: each(3) });
});

test("one client's redelivered request is stored once", async () => {
  const requestId = uniqueName('again');
  const who = { client: 'acme', user: uniqueName('u') };
  const me = `${who.client}/${who.user}`;
  const before = await handled();
  const duplicatesBefore = await consumer.metric('consumer_records_duplicate_total');
  await send([request(who, requestId)]);
  await send([request(who, requestId)]);
  await waitFor('both copies handled', async () => (await handled()) - before >= 2 * RECORDS_PER_REQUEST, 30000);
  expect((await consumer.metric('consumer_records_duplicate_total')) - duplicatesBefore).toBe(RECORDS_PER_REQUEST);
  const s = await stored(requestId);
  expect({ ...s, deviceIdMapper: s.deviceIdMapper[me] }).toEqual({
    sms: { [me]: 2 },
    device: { [me]: 1 },
    deviceIdMapper: 1,
    events: { [me]: 2 },
    syncRequests: { [me]: 3 },
  });
});

test('migrate gives a sync database made by an earlier version the new keys', async () => {
  const older = await createTestDatabase('older');
  const c = await connectPg(older);
  try {
    // the tables as the earlier migration made them: keyed without the client and user
    await c.query(`CREATE TABLE sync_events_log (
       event_type text NOT NULL, event_value text, sync_request_id varchar(64) NOT NULL, client_id varchar(72) NOT NULL,
       user_id varchar(128) NOT NULL, record_key text NOT NULL, created_at timestamptz NOT NULL, UNIQUE (record_key, created_at)
     ) PARTITION BY RANGE (created_at)`);
    await c.query(`CREATE TABLE sync_events_log_default PARTITION OF sync_events_log DEFAULT`);
    await c.query(`CREATE TABLE sync_requests (
       client_id varchar(72) NOT NULL, user_id varchar(128) NOT NULL, source text NOT NULL, request_id varchar(64) NOT NULL,
       chunk integer NOT NULL, records integer NOT NULL, received_at timestamptz NOT NULL, written_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (request_id, source, chunk))`);
    expect((await runMigrate({ ...baseEnv(), DI_POSTGRES_SYNC_DATABASE: older })).code).toBe(0);
    const at = new Date();
    const events = await c.query(
      `INSERT INTO sync_events_log (event_type, sync_request_id, client_id, user_id, record_key, created_at)
       VALUES ('tap', 'r-1', 'acme', 'u-1', 'r-1:events:0:0', $1), ('tap', 'r-1', 'globex', 'u-1', 'r-1:events:0:0', $1) ON CONFLICT DO NOTHING`,
      [at],
    );
    const requests = await c.query(
      `INSERT INTO sync_requests (client_id, user_id, source, request_id, chunk, records, received_at)
       VALUES ('acme', 'u-1', 'events', 'r-1', 0, 1, $1), ('globex', 'u-1', 'events', 'r-1', 0, 1, $1) ON CONFLICT DO NOTHING`,
      [at],
    );
    expect({ events: events.rowCount, requests: requests.rowCount }).toEqual({ events: 2, requests: 2 });
  } finally {
    await c.end();
    await dropTestDatabase(older);
  }
});
