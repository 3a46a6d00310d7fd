// The Producer API as a real process against the test PostgreSQL and Kafka.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import type { Admin } from 'kafkajs';
import { Ajv } from 'ajv';
import { encryptAuthToken, type TokenRequest } from '../../../core/auth-token.js';
import { AUDIT_TOPIC, SOURCES, TOPICS, type Source } from '../../../core/domain.js';
import { migrateInsights } from '../../../core/insights-schema.js';
import { SyncClient, type SyncBatch, type SyncResponse } from '../../../workloads/client/sync-client.js';
import { requestComponent } from '../../../workloads/producer/openapi.js';
import { PayloadValidator } from '../../../workloads/producer/payload.js';
import { pipelineSideTopics, ProducerProcess, startAuditConsumer, TopicRecorder } from '../../support/producer-process.js';
import type { ConsumerProcess } from '../../support/consumer-process.js';
import { connectKafkaAdmin, connectPg, createTestDatabase, dropTestDatabase, setServiceState, uniqueName } from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

let db: string;
let pgc: pg.Client;
let admin: Admin;
let producer: ProducerProcess;
let recorder: TopicRecorder;
/** Writes the audit topic's rows (usage, unauthorized_requests) to this suite's database. */
let auditConsumer: ConsumerProcess;
const other = { id: uniqueName('acme'), token: randomUUID() };
const india = { id: uniqueName('desi'), token: randomUUID() };
let client: SyncClient;
let indiaClient: SyncClient;
/**
 * The topics of this run: the seed's names behind a prefix of its own (as a pipeline with
 * spec.kafka.topicPrefix gets), so that nothing else on the shared Kafka reads or writes them.
 */
const TOPIC_PREFIX = `${uniqueName('producer')}.`;
const ownTopics = TOPICS.map((t) => `${TOPIC_PREFIX}${t}`);
/** A Producer API process of this suite: its database, its topics. */
const startProducer = (env: Record<string, string> = {}) => ProducerProcess.start(db, { KAFKA_TOPIC_PREFIX: TOPIC_PREFIX, ...env });
/** Every response seen, to check against the OpenAPI document at the end. */
const seen: { status: number; body: unknown }[] = [];
/** Request ids the API acknowledged: no message may carry any other. */
const acknowledged = new Set<string>();

/** The producer's limits in this suite. */
const LIMITS = { maxBodyBytes: 256 * 1024, maxDecompressedBytes: 2 * 1024 * 1024, maxRecords: 1000 };

const RECORDS: Record<Source, Record<string, unknown>[]> = {
  sms: [
    { id: 1, sender: 'AX-BANK', body: 'Your a/c XXXX12 debited INR 500', timestamp: 1764000000000, type: 'inbox' },
    { id: 2, sender: 'VM-SHOP', body: 'OTP XXXXXX', timestamp: 1764000001000, type: 'inbox' },
  ],
  events: [{ event_type: 'app_open', event_value: 'home', timestamp: 1764000000000 }],
  apps_and_device: [
    { kind: 'device', model: 'Pixel 8', os: 'Android 15' },
    { kind: 'app', package_name: 'com.example.pay', app_name: 'Pay' },
  ],
  contacts: [{ contact_id: 'c1', name: 'XXXX', phones: ['+91XXXXXX1234'] }],
  call_logs: [{ number: '+91XXXXXX1234', type: 'incoming', duration: 42, timestamp: 1764000000000 }],
};

function batch(records: Record<string, unknown>[], over: Partial<SyncBatch> = {}): SyncBatch {
  return { request_id: uniqueName('req'), user_id: 'user-1', sdk_version: '2.4.0', device: { device_id: 'd-1', android_id: 'a-1' }, records, ...over };
}

async function send(c: SyncClient, source: string, b: SyncBatch | undefined, extra?: Parameters<SyncClient['send']>[2]): Promise<SyncResponse> {
  const r = await c.send(source, b, extra);
  seen.push({ status: r.status, body: r.body });
  if (r.status === 202 && r.body.request_id) acknowledged.add(r.body.request_id);
  return r;
}

async function auditRows(table: 'usage' | 'unauthorized_requests', clientId: string): Promise<Record<string, unknown>[]> {
  return (await pgc.query(`SELECT * FROM ${table} WHERE client_id = $1 ORDER BY created_at`, [clientId])).rows as Record<string, unknown>[];
}

beforeAll(async () => {
  db = await createTestDatabase('producer');
  pgc = await connectPg(db);
  await migrateInsights(pgc);
  await pgc.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other'), ($3, $4, 'india')`, [
    other.id,
    other.token,
    india.id,
    india.token,
  ]);
  admin = await connectKafkaAdmin();
  await admin.createTopics({
    topics: [...ownTopics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })), ...pipelineSideTopics(TOPIC_PREFIX)],
    waitForLeaders: true,
  });
  recorder = await TopicRecorder.start(TOPIC_PREFIX);
  auditConsumer = await startAuditConsumer(db, TOPIC_PREFIX);
  producer = await startProducer({
    MAX_BODY_BYTES: String(LIMITS.maxBodyBytes),
    MAX_DECOMPRESSED_BYTES: String(LIMITS.maxDecompressedBytes),
    MAX_RECORDS_PER_REQUEST: String(LIMITS.maxRecords),
    KAFKA_MAX_MESSAGE_BYTES: '20000',
    KAFKA_SEND_TIMEOUT_MS: '3000',
  });
  client = new SyncClient({ baseUrl: producer.url, clientId: other.id, authToken: other.token });
  indiaClient = new SyncClient({ baseUrl: producer.url, clientId: india.id, authToken: india.token });
}, 60000);

afterAll(async () => {
  client?.close();
  indiaClient?.close();
  await producer?.stop();
  await recorder?.stop();
  await auditConsumer?.stop();
  await admin?.deleteTopics({ topics: [...ownTopics, ...pipelineSideTopics(TOPIC_PREFIX).map((t) => t.topic)] }).catch(() => undefined);
  await admin?.disconnect();
  await pgc?.end();
  if (db) await dropTestDatabase(db);
});

describe('happy path', () => {
  test.each(Object.keys(RECORDS) as Source[])('%s: 202 only once Kafka has it; the messages read back carry every record', async (source) => {
    const b = batch(RECORDS[source]);
    const r = await send(client, source, b);
    expect(r).toMatchObject({ status: 202, body: { request_id: b.request_id, accepted: b.records.length } });
    const msgs = await waitFor('the messages', () => (recorder.forRequest(b.request_id).length ? recorder.forRequest(b.request_id) : undefined), 20000);
    const topic = {
      sms: 'sms_batched',
      events: 'events_log',
      apps_and_device: 'apps_and_device_batched',
      contacts: 'contacts_batched',
      call_logs: 'call_logs_batched',
    }[source];
    expect(msgs.map((m) => m.topic)).toEqual([`${TOPIC_PREFIX}${topic}`]);
    expect(msgs[0]!.key).toBe(`${other.id}:user-1`);
    expect(msgs[0]!.headers['request-id']).toBe(b.request_id);
    expect(msgs[0]!.message).toMatchObject({
      v: 1,
      client_id: other.id,
      user_id: 'user-1',
      source,
      sdk_version: '2.4.0',
      device: b.device,
      chunk: { index: 0, count: 1 },
      records: b.records,
    });
  });

  test('plain (not gzip) JSON is accepted too', async () => {
    const plain = new SyncClient({ baseUrl: producer.url, clientId: other.id, authToken: other.token, gzip: false });
    const r = await send(plain, 'events', batch(RECORDS.events));
    plain.close();
    expect(r.status).toBe(202);
  });

  test('a request larger than a Kafka message is split into ordered chunks, all acknowledged', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({
      id: i,
      sender: 'AX-BANK',
      body: `message ${i} ${'x'.repeat(200)}`,
      timestamp: 1764000000000 + i,
      type: 'inbox',
    }));
    const b = batch(records);
    const r = await send(client, 'sms', b);
    expect(r).toMatchObject({ status: 202, body: { accepted: 200 } });
    const msgs = await waitFor('every chunk', () => {
      const m = recorder.forRequest(b.request_id);
      return m.length && m.length === m[0]!.message.chunk.count ? m : undefined;
    });
    expect(msgs.length).toBeGreaterThan(1);
    expect(msgs.flatMap((m) => m.message.records)).toEqual(records);
    expect(new Set(msgs.map((m) => m.key)).size).toBe(1);
  });

  test("per-user order: one user's requests, sent one after another amid other users' traffic, are on one partition in order", async () => {
    const mine = Array.from({ length: 25 }, () => batch(RECORDS.sms, { user_id: 'ordered-user' }));
    const noise = Array.from({ length: 100 }, (_, i) => batch(RECORDS.sms, { user_id: `noise-${i}` }));
    const background = Promise.all(noise.map((b, i) => sleep(i * 2).then(() => send(client, 'sms', b))));
    for (const b of mine) expect((await send(client, 'sms', b)).status).toBe(202);
    await background;
    const got = await waitFor('all 25 on the topic', () => {
      const m = mine.map((b) => recorder.forRequest(b.request_id)[0]);
      return m.every(Boolean) ? m.map((x) => x!) : undefined;
    });
    expect(new Set(got.map((m) => m.partition)).size).toBe(1);
    const offsets = got.map((m) => m.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  test('india clients: contacts and call_logs refused with SOURCE_NOT_ALLOWED, sms accepted', async () => {
    const c = batch(RECORDS.contacts);
    expect(await send(indiaClient, 'contacts', c)).toMatchObject({ status: 403, body: { error: { code: 'SOURCE_NOT_ALLOWED' } } });
    expect((await send(indiaClient, 'call_logs', batch(RECORDS.call_logs))).status).toBe(403);
    expect((await send(indiaClient, 'sms', batch(RECORDS.sms))).status).toBe(202);
    await sleep(1000);
    expect(recorder.forRequest(c.request_id)).toEqual([]);
  });
});

describe("the pipeline's region", () => {
  test('an India pipeline refuses contacts and call_logs (403 SOURCE_NOT_ALLOWED) even from a client marked other; sms accepted', async () => {
    const indiaPipeline = await startProducer({ PIPELINE_REGION: 'india', KAFKA_SEND_TIMEOUT_MS: '3000' });
    const c = new SyncClient({ baseUrl: indiaPipeline.url, clientId: other.id, authToken: other.token });
    try {
      const contacts = batch(RECORDS.contacts);
      expect(await send(c, 'contacts', contacts)).toMatchObject({ status: 403, body: { error: { code: 'SOURCE_NOT_ALLOWED' } } });
      expect(await send(c, 'call_logs', batch(RECORDS.call_logs))).toMatchObject({ status: 403, body: { error: { code: 'SOURCE_NOT_ALLOWED' } } });
      expect((await send(c, 'sms', batch(RECORDS.sms))).status).toBe(202);
      await sleep(1000);
      expect(recorder.forRequest(contacts.request_id)).toEqual([]);
    } finally {
      c.close();
      await indiaPipeline.stop();
    }
  }, 60000);
});

describe('authentication', () => {
  const cases: [string, string, () => Promise<SyncResponse>][] = [
    ['no headers', 'AUTH_MISSING', () => send(client, 'sms', batch(RECORDS.sms), { headers: { 'x-client-id': '', 'x-auth-token': '' } })],
    [
      'unknown client',
      'AUTH_UNKNOWN_CLIENT',
      () => send(new SyncClient({ baseUrl: producer.url, clientId: `${other.id}-nope`, authToken: other.token }), 'sms', batch(RECORDS.sms)),
    ],
    ['malformed token', 'AUTH_MALFORMED', () => send(client, 'sms', batch(RECORDS.sms), { token: 'not-a-token' })],
    ['token made with another auth_token', 'AUTH_INVALID', () => send(client, 'sms', batch(RECORDS.sms), { token: (r) => encryptAuthToken(randomUUID(), r) })],
    [
      'stale token (10 minutes old)',
      'AUTH_EXPIRED',
      () => send(client, 'sms', batch(RECORDS.sms), { token: (r) => encryptAuthToken(other.token, r, Date.now() - 600_000) }),
    ],
    [
      'replayed token',
      'AUTH_REPLAYED',
      async () => {
        // The same token with the same bytes: a replay of the very request it was made for.
        const b = batch(RECORDS.events);
        let made: string | undefined;
        const token = (r: TokenRequest) => (made ??= encryptAuthToken(other.token, r));
        expect((await send(client, 'events', b, { token })).status).toBe(202);
        return send(client, 'events', b, { token });
      },
    ],
  ];

  test.each(cases)('%s -> 401 %s, recorded in unauthorized_requests, nothing produced', async (_name, code, call) => {
    const r = await call();
    expect(r).toMatchObject({ status: 401, body: { error: { code } } });
    if (code !== 'AUTH_MISSING') {
      const clientId = code === 'AUTH_UNKNOWN_CLIENT' ? `${other.id}-nope` : other.id;
      const row = await waitFor('the audit row', async () =>
        (await auditRows('unauthorized_requests', clientId)).find((x) => (x.req_body as { reason: string }).reason === code),
      );
      expect(row).toMatchObject({ client_id: clientId, reason: code, count: expect.any(Number), req_body: { reason: code, source: expect.any(String) } });
      // The token as received is kept for audit; the request's records are not.
      expect(JSON.stringify(row.req_body)).not.toContain('debited');
    }
  });

  test('every authenticated call but a refused one (401) is counted in usage, through the audit topic', async () => {
    const rows = await waitFor('usage rows', async () => {
      const r = await auditRows('usage', other.id);
      return r.length >= 10 ? r : undefined;
    });
    expect(rows.filter((r) => r.response_code === 202).length).toBeGreaterThanOrEqual(7);
    // Refusals are counted in unauthorized_requests only: they never take room in the usage queue.
    expect(rows.some((r) => r.response_code === 401)).toBe(false);
    expect(rows[0]).toMatchObject({ client_id: other.id, api_name: expect.stringMatching(/^sync\//) });
  });
});

describe('bad input: the right 4xx, nothing produced, no crash', () => {
  const gz = (s: string | Buffer) => gzipSync(s);
  const sms = () => batch(RECORDS.sms);
  const cases: [string, number, string, () => Promise<SyncResponse>][] = [
    ['invalid JSON', 400, 'INVALID_JSON', () => send(client, 'sms', undefined, { raw: gz('{"request_id": "x", '), headers: { 'content-encoding': 'gzip' } })],
    [
      'corrupt gzip',
      400,
      'INVALID_GZIP',
      () => send(client, 'sms', undefined, { raw: Buffer.from('definitely not gzip'), headers: { 'content-encoding': 'gzip' } }),
    ],
    [
      'gzip bomb (50 MB of zeros in ~50 KB)',
      413,
      'DECOMPRESSED_TOO_LARGE',
      () => send(client, 'sms', undefined, { raw: gz(Buffer.alloc(50 * 1024 * 1024)), headers: { 'content-encoding': 'gzip' } }),
    ],
    [
      'body over the wire limit',
      413,
      'PAYLOAD_TOO_LARGE',
      () => send(client, 'sms', undefined, { raw: Buffer.alloc(300 * 1024, 0x20), headers: { 'content-encoding': 'identity' } }),
    ],
    [
      'schema violation: no user_id',
      400,
      'SCHEMA_VIOLATION',
      () => {
        const b = sms() as Partial<SyncBatch>;
        delete b.user_id;
        return send(client, 'sms', b as SyncBatch);
      },
    ],
    ['wrong type: timestamp as a string', 400, 'SCHEMA_VIOLATION', () => send(client, 'sms', batch([{ ...RECORDS.sms[0], timestamp: 'yesterday' }]))],
    ['unknown field at the top level', 400, 'SCHEMA_VIOLATION', () => send(client, 'sms', { ...sms(), extra: 1 } as SyncBatch)],
    ['empty records', 400, 'SCHEMA_VIOLATION', () => send(client, 'events', batch([]))],
    ['too many records', 413, 'TOO_MANY_RECORDS', () => send(client, 'events', batch(Array.from({ length: 1001 }, () => RECORDS.events[0]!)))],
    [
      'one record larger than a Kafka message',
      413,
      'RECORD_TOO_LARGE',
      () => send(client, 'apps_and_device', batch([{ kind: 'device', blob: 'x'.repeat(30000) }])),
    ],
    [
      'NUL in a string (PostgreSQL cannot store it)',
      400,
      'UNSTORABLE_VALUE',
      () => send(client, 'events', batch([{ ...RECORDS.events[0], event_value: 'a\u0000b' }])),
    ],
    ['NUL in user_id', 400, 'UNSTORABLE_VALUE', () => send(client, 'events', batch(RECORDS.events, { user_id: 'u\u0000' }))],
    [
      'a key starting with $ (MongoDB refuses it)',
      400,
      'UNSTORABLE_VALUE',
      () => send(client, 'sms', batch([{ ...RECORDS.sms[0], meta: { $where: 'sleep(1)' } }])),
    ],
    ['a key containing a dot', 400, 'UNSTORABLE_VALUE', () => send(client, 'sms', batch([{ ...RECORDS.sms[0], 'a.b': 1 }]))],
    ['a key containing NUL', 400, 'UNSTORABLE_VALUE', () => send(client, 'contacts', batch([{ ...RECORDS.contacts[0], 'x\u0000': 1 }]))],
    [
      'a lone UTF-16 surrogate in a string (it would be stored as U+FFFD)',
      400,
      'UNSTORABLE_VALUE',
      () => send(client, 'events', batch([{ ...RECORDS.events[0], event_value: 'pay \ud83d' }])),
    ],
    [
      'a number beyond a double (1e400 would be stored as null)',
      400,
      'UNSTORABLE_VALUE',
      () => {
        const body = JSON.stringify(batch([{ ...RECORDS.events[0], amount: 0 }])).replace('"amount":0', '"amount":1e400');
        return send(client, 'events', undefined, { raw: gz(body), headers: { 'content-encoding': 'gzip' } });
      },
    ],
    [
      'JSON nested 200,000 levels deep in an extra field',
      400,
      'JSON_TOO_DEEP',
      () => {
        const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
        const body = JSON.stringify(batch([{ ...RECORDS.events[0], extra: 0 }])).replace('"extra":0', `"extra":${deep}`);
        return send(client, 'events', undefined, { raw: gz(body), headers: { 'content-encoding': 'gzip' } });
      },
    ],
    ['unknown source', 404, 'UNKNOWN_SOURCE', () => send(client, 'photos', sms())],
    ['unsupported content type', 415, 'UNSUPPORTED_CONTENT_TYPE', () => send(client, 'sms', sms(), { headers: { 'content-type': 'text/plain' } })],
    [
      'unsupported encoding',
      415,
      'UNSUPPORTED_ENCODING',
      () => send(client, 'sms', undefined, { raw: Buffer.from('{}'), headers: { 'content-encoding': 'br' } }),
    ],
  ];

  test.each(cases)('%s -> %i %s', async (_name, status, code, call) => {
    const r = await call();
    expect(r).toMatchObject({ status, body: { error: { code } } });
    await sleep(500);
    const unacknowledged = recorder.messages.filter((m) => m.message.client_id === other.id && !acknowledged.has(m.message.request_id));
    expect(unacknowledged.map((m) => m.message.request_id)).toEqual([]);
  });

  test('schema errors say where', async () => {
    const r = await send(client, 'sms', batch([{ ...RECORDS.sms[0], type: 'carrier-pigeon' }]));
    expect(r.body.error).toMatchObject({ code: 'SCHEMA_VIOLATION' });
    expect(JSON.stringify(r.body)).toContain('body.records[0].type');
  });

  test('a value no database can store is refused naming the field', async () => {
    const r = await send(client, 'sms', batch([RECORDS.sms[0]!, { ...RECORDS.sms[1], meta: { nested: [{ 'a.b': 1 }] } }]));
    expect(r.body.error).toMatchObject({ code: 'UNSTORABLE_VALUE', details: [{ path: 'body.records[1].meta.nested[0]["a.b"]' }] });
    const nul = await send(client, 'events', batch([{ ...RECORDS.events[0], event_value: 'a\u0000b' }]));
    expect(nul.body.error).toMatchObject({ details: [{ path: 'body.records[0].event_value', message: expect.stringContaining('NUL') }] });
  });

  test('a request for source %00, answered before authentication, is a counted refusal: no usage row under the claimed client, nothing unstorable, the queue never blocked', async () => {
    const r = await fetch(`${producer.url}/v1/sync/%00`, {
      method: 'POST',
      headers: { 'x-client-id': other.id, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(404);
    await sleep(300); // the row is queued; the next flush takes it
    const b = batch(RECORDS.events);
    expect((await send(client, 'events', b)).status).toBe(202);
    const row = await waitFor(
      'the usage row of the request after it',
      async () => (await auditRows('usage', other.id)).find((x) => x.request_id === b.request_id),
      15000,
    );
    expect(row).toMatchObject({ api_name: 'sync/events', response_code: 202 });
    // The client id was only claimed: counted with the refusals, never billed to that client.
    const refusal = await waitFor('the refusal row', async () =>
      (await auditRows('unauthorized_requests', other.id)).find((x) => x.reason === 'UNKNOWN_SOURCE'),
    );
    expect(refusal).toMatchObject({ client_id: other.id, count: 1, req_body: { reason: 'UNKNOWN_SOURCE', source: 'unknown' } });
    expect((await auditRows('usage', other.id)).some((x) => x.api_name === 'sync/unknown')).toBe(false);
  });

  test.each(['/v1/sync/%E0%A4%A', '/v1/sync/%ED%A0%80'])('malformed percent-encoding %s -> 400 JSON, and the log stays JSON lines', async (path) => {
    const r = await fetch(`${producer.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await r.json()) as { error: { code: string } };
    seen.push({ status: r.status, body });
    expect(body).toMatchObject({ error: { code: 'INVALID_PATH' }, request_id: expect.any(String) });
    const notJson = producer
      .log()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => {
        try {
          JSON.parse(l);
          return false;
        } catch {
          return true;
        }
      });
    expect(notJson).toEqual([]);
  });

  test('still alive, memory bounded after the corpus', async () => {
    expect((await fetch(`${producer.url}/health`)).status).toBe(200);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${producer.pid}/status`, 'utf8'))?.[1]);
    expect(rssKb / 1024).toBeLessThan(400);
  });
});

/** What a raw connection received, and whether it ended cleanly or by an error (a reset). */
interface RawExchange {
  response: string;
  error?: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Opens a connection to the producer, writes `head`, then calls `feed` to write the rest as it
 * likes; resolves when the server closes the connection (or after `giveUpMs`).
 */
function rawRequest(
  port: number,
  head: string,
  feed: (write: (b: Buffer | string) => boolean, closed: () => boolean) => Promise<void>,
  giveUpMs = 20000,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ response: Buffer.concat(chunks).toString('latin1'), error, closedAfterMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => {
      error = 'still open';
      finish();
    }, giveUpMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(head);
      void feed(
        (b) => (socket.writable ? socket.write(b) : false),
        () => done || !socket.writable,
      ).catch(() => undefined);
    });
  });
}

// A token for this path; its body digest is never reached: an oversize body is refused while it
// is read, before the token is checked against it.
const authHead = (path: string, extra: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Client-Id: ${other.id}\r\nX-Auth-Token: ${encryptAuthToken(other.token, { method: 'POST', path, body: Buffer.alloc(0) })}\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe('oversize bodies: a JSON 413, then the connection closes', () => {
  const body = Buffer.alloc(1024 * 1024, 0x20);
  test.each([
    [
      'Transfer-Encoding: chunked',
      'Transfer-Encoding: chunked\r\n',
      Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]),
    ],
    ['a declared Content-Length', `Content-Length: ${body.length}\r\n`, body],
  ])('%s, ten times', async (_name, extra, payload) => {
    for (let i = 0; i < 10; i++) {
      const r = await rawRequest(producer.port, authHead('/v1/sync/sms', extra), async (write) => {
        // as a client does: the whole body, in socket-sized pieces
        for (let o = 0; o < payload.length; o += 64 * 1024) if (!write(payload.subarray(o, o + 64 * 1024))) await sleep(1);
      });
      expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.response.toLowerCase()).toContain('connection: close');
      expect(JSON.parse(r.response.slice(r.response.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(r.error).toBeUndefined();
    }
  });
});

describe('slow clients are cut off', () => {
  let timed: ProducerProcess;
  beforeAll(async () => {
    timed = await startProducer({ HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await timed?.stop();
  });

  test('a body dripping one byte every 200 ms is answered 408 (JSON) and closed at the request timeout; other requests are served meanwhile', async () => {
    const drip = rawRequest(timed.port, authHead('/v1/sync/events', 'Content-Length: 100000\r\n'), async (write, closed) => {
      while (!closed()) {
        write(' ');
        await sleep(200);
      }
    });
    const c = new SyncClient({ baseUrl: timed.url, clientId: other.id, authToken: other.token });
    const during = await c.send('events', batch(RECORDS.events));
    c.close();
    expect(during.status).toBe(202);
    const r = await drip;
    // 100,000 bytes at 5 a second would take 5.5 hours; the limit is 3 s (checked every second)
    expect(r.error).toBeUndefined();
    expect(r.closedAfterMs).toBeLessThan(10000);
    expect(r.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(r.response.slice(r.response.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
  });

  test('headers dripping one byte every 200 ms are cut at the headers timeout', async () => {
    const head = authHead('/v1/sync/events', 'Content-Length: 2\r\n');
    const r = await rawRequest(timed.port, '', async (write, closed) => {
      for (let i = 0; i < head.length && !closed(); i++) {
        write(head[i]!);
        await sleep(200);
      }
    });
    expect(r.closedAfterMs).toBeLessThan(10000);
    expect(r.response).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const r = await rawRequest(timed.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', async () => undefined);
    expect(r.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.closedAfterMs).toBeLessThan(10000);
  });
});

describe('the OpenAPI document', () => {
  test("serves, per source, exactly the request schema the server's validator compiled", async () => {
    const doc = (await (await fetch(`${producer.url}/openapi.json`)).json()) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { anyOf: { $ref: string }[] } }> } } }>;
      components: { schemas: Record<string, unknown> };
    };
    const validator = new PayloadValidator(LIMITS);
    for (const source of SOURCES) expect(doc.components.schemas[requestComponent(source)]).toEqual(validator.schema(source));
    const body = doc.paths['/v1/sync/{source}']!.post.requestBody.content['application/json']!.schema;
    expect(body.anyOf.map((r) => r.$ref)).toEqual(SOURCES.map((s) => `#/components/schemas/${requestComponent(s)}`));
    // The document states what the validator enforces (the drift this guards against).
    expect(validator.schema('sms')).toMatchObject({
      additionalProperties: false,
      properties: { device: { additionalProperties: false, properties: { device_id: { maxLength: 128 } } } },
    });
  });

  test('is OpenAPI 3.1 and describes every status and body the implementation returned', async () => {
    const doc = (await (await fetch(`${producer.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, object> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.keys(doc.paths['/v1/sync/{source}']!.post!.responses).map(Number);
    const ajv = new Ajv({ strict: false });
    const validateError = ajv.compile(doc.components.schemas.Error!);
    const validateAccepted = ajv.compile(doc.components.schemas.Accepted!);
    expect(seen.length).toBeGreaterThan(20);
    for (const r of seen) {
      expect(documented).toContain(r.status);
      const ok = r.status === 202 ? validateAccepted(r.body) : validateError(r.body);
      if (!ok) throw new Error(`response ${r.status} ${JSON.stringify(r.body)} does not match the document`);
    }
    for (const path of ['/health', '/ready', '/openapi.json']) {
      expect(doc.paths[path]).toBeDefined();
      expect((await fetch(`${producer.url}${path}`)).status).toBe(200);
    }
  });
});

describe('public surface', () => {
  test('/metrics is not on the API port (404 NOT_FOUND) but on the metrics port', async () => {
    const onApi = await fetch(`${producer.url}/metrics`);
    expect(onApi.status).toBe(404);
    expect(await onApi.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const onMetrics = await fetch(producer.metricsUrl);
    expect(onMetrics.status).toBe(200);
    expect(await onMetrics.text()).toContain('# TYPE producer_requests_total counter');
    // The metrics port serves nothing else.
    expect((await fetch(`http://127.0.0.1:${producer.metricsPort}/v1/sync/sms`, { method: 'POST' })).status).toBe(404);
  });
});

describe('PostgreSQL outage (a failover)', () => {
  test('PostgreSQL stopped; producers scaled from 1 to 3 meanwhile, one killed, one crashed and restarted: every known client answered 202, every usage row stored once', async () => {
    const known = { id: uniqueName('failover'), token: randomUUID() };
    await pgc.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [known.id, known.token]);
    // A short cache TTL, so the outage outlasts it many times over.
    const env = { CLIENT_CACHE_TTL_SECONDS: '2', KAFKA_SEND_TIMEOUT_MS: '3000' };
    const first = await startProducer(env);
    const producers: ProducerProcess[] = [first];
    const clients: SyncClient[] = [];
    const clientOf = (p: ProducerProcess) => {
      const c = new SyncClient({ baseUrl: p.url, clientId: known.id, authToken: known.token });
      clients.push(c);
      return c;
    };
    /** Every answer the known client got, and the request ids answered 202. */
    const answers: { producer: string; status: number }[] = [];
    const accepted: string[] = [];
    const readiness: { status: number; body: unknown }[] = [];
    const sendVia = async (c: SyncClient, name: string) => {
      const x = batch(RECORDS.events);
      const r = await c.send('events', x);
      answers.push({ producer: name, status: r.status });
      if (r.status === 202) accepted.push(x.request_id);
    };
    let loading = true;
    const load = (c: SyncClient, name: string) =>
      (async () => {
        while (loading) {
          await sendVia(c, name);
          await sleep(20);
        }
      })();
    const loads: Promise<void>[] = [];
    try {
      // The first producer knows the client before the outage: it read the row and shared it.
      await sendVia(clientOf(first), 'first');
      loads.push(load(clientOf(first), 'first'), load(clientOf(first), 'first'));
      await sleep(1000);
      pgc.on('error', () => undefined); // the suite's own connection dies with the server
      setServiceState('postgres', 'down');
      // Scaled out during the outage: two producers that never read the clients table.
      const [second, third] = await Promise.all([startProducer(env), startProducer(env)]);
      producers.push(second, third);
      loads.push(load(clientOf(second), 'second'), load(clientOf(third), 'third'));
      await sleep(5000);
      // The second is deleted during the outage, as a pod is on a scale-in: its rows are in Kafka.
      const s = clientOf(second);
      for (let i = 0; i < 10; i++) await sendVia(s, 'second');
      loading = false;
      await Promise.all(loads);
      loads.length = 0;
      expect(await second.kill('SIGKILL')).toBeNull();
      // The third crashes and its container restarts, still during the outage.
      expect(await third.kill('SIGKILL')).toBeNull();
      third.spawn();
      await third.waitUntil('answering /health again', () => third.httpOk('/health'), 20000);
      loading = true;
      loads.push(load(clientOf(first), 'first'), load(clientOf(third), 'third (restarted)'));
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${first.url}/ready`);
        readiness.push({ status: r.status, body: await r.json() });
        await sleep(2000);
      }
      setServiceState('postgres', 'up');
      await sleep(2000);
      loading = false;
      await Promise.all(loads);
    } finally {
      loading = false;
      setServiceState('postgres', 'up');
      for (const c of clients) c.close();
    }
    pgc = await connectPg(db);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    for (const name of ['first', 'second', 'third', 'third (restarted)']) expect(answers.filter((a) => a.producer === name).length).toBeGreaterThan(10);
    expect(readiness.length).toBe(5);
    for (const r of readiness) expect(r).toEqual({ status: 200, body: { status: 'ready', checks: { kafka: 'ok', postgres: 'unavailable' } } });
    // Every acknowledged request has its usage row, exactly once, whichever producer took it.
    const rowsFor = async () =>
      (await pgc.query<{ request_id: string; response_code: number }>('SELECT request_id, response_code FROM usage WHERE client_id = $1', [known.id])).rows;
    await waitFor('the usage rows of the outage', async () => ((await rowsFor()).length >= accepted.length ? true : undefined), 60000);
    await sleep(2000); // anything more would be a duplicate
    const rows = await rowsFor();
    expect(rows.map((r) => r.request_id).sort()).toEqual([...accepted].sort());
    expect(rows.every((r) => r.response_code === 202)).toBe(true);
    // Delivered all over again (a consumer group reading the audit topic from its start): stored once still.
    const again = await startAuditConsumer(db, TOPIC_PREFIX);
    try {
      const onTopic = (await admin.fetchTopicOffsets(`${TOPIC_PREFIX}${AUDIT_TOPIC}`)).reduce((n, o) => n + Number(o.high), 0);
      await waitFor(
        'the second reading to reach the end',
        async () => ((await again.metric('consumer_records_duplicate_total')) >= onTopic ? true : undefined),
        60000,
      );
      expect(await again.metric('consumer_records_written_total')).toBe(0);
    } finally {
      await again.stop();
    }
    expect((await rowsFor()).length).toBe(accepted.length);
    const stale = await first.metric('producer_client_cache_stale_total');
    expect(stale).toBeGreaterThan(0);
    process.stdout.write(
      `PostgreSQL down with producers scaled 1 -> 3 (one killed, one crashed and restarted): ${answers.length} requests, all 202; ${stale} authentications from the stale cache of the first; ${accepted.length} usage rows, each stored once, once more after a full redelivery\n`,
    );
    await Promise.all(producers.map((p) => p.stop()));
  }, 240000);
});

describe('Kafka outages and shutdown', () => {
  test('Kafka stopped -> 503 with Retry-After and no 202; Kafka back -> accepted again', async () => {
    setServiceState('kafka', 'down');
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => send(client, 'sms', batch(RECORDS.sms))));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill(503));
      expect(results[0]).toMatchObject({ body: { error: { code: 'KAFKA_UNAVAILABLE' } }, retryAfter: '5' });
      // It names the dependency that is down, and no internal error text (addresses, errno).
      const ready = await fetch(`${producer.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { kafka: 'unavailable', postgres: 'ok' } });
    } finally {
      setServiceState('kafka', 'up');
    }
    const r = await waitFor(
      'a 202 again',
      async () => {
        const x = await send(client, 'sms', batch(RECORDS.sms));
        return x.status === 202 ? x : undefined;
      },
      60000,
      1000,
    );
    expect(r.body.accepted).toBe(2);
  }, 120000);

  test('SIGTERM during load: every 202 is on the topic', async () => {
    const requests = Array.from({ length: 300 }, () => batch(RECORDS.sms));
    const pending = requests.map((b, i) => sleep(i * 3).then(() => send(client, 'sms', b).catch(() => ({ status: 0, body: {} }) as SyncResponse)));
    await sleep(300);
    producer.signal('SIGTERM');
    const results = await Promise.all(pending);
    expect(await producer.exited).toBe(0);
    const accepted = requests.filter((_, i) => results[i]!.status === 202);
    expect(accepted.length).toBeGreaterThan(20);
    expect(results.filter((r) => r.status !== 202 && r.status !== 0 && r.status !== 503)).toEqual([]);
    await waitFor('every acknowledged request on the topic', () => accepted.every((b) => recorder.forRequest(b.request_id).length > 0), 30000);
    // the log reaches its file through a pipe, shortly after the exit
    await waitFor('the stopped line', () => producer.log().includes('"msg":"stopped"'), 5000);
  }, 60000);
});
