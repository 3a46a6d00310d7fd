// The Producer API's request steps with its I/O faked through ProducerDeps: a client table in
// memory (behind the real Authenticator, so tokens are the SDK's), a Kafka sink that records or
// refuses, audit writers that collect rows. The integration suite runs the same app against
// real Kafka and PostgreSQL; this pins down each step's answer quickly.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Message } from 'kafkajs';
import { encryptAuthToken } from '../../../core/auth-token.js';
import { createLogger } from '../../../core/log.js';
import { createProducerApp, type Readiness } from '../../../workloads/producer/app.js';
import { Authenticator, ReplayGuard, type ClientRecord } from '../../../workloads/producer/auth.js';
import { KafkaUnavailableError, type MessageSink } from '../../../workloads/producer/kafka-sink.js';
import { ProducerMetrics } from '../../../workloads/producer/metrics.js';
import { PayloadValidator, type Limits } from '../../../workloads/producer/payload.js';
import type { Refusal } from '../../../workloads/producer/refusals.js';
import type { AuditRow, UsageRow } from '../../../core/audit-message.js';

const CLIENTS: Record<string, ClientRecord> = {
  acme: { clientId: 'acme', authToken: 'acme-secret', geography: 'other' },
  bharat: { clientId: 'bharat', authToken: 'bharat-secret', geography: 'india' },
};

class FakeSink implements MessageSink {
  sent: { topic: string; messages: Message[] }[] = [];
  /** What went with the data, in the same produce request: the accepted request's usage row. */
  alongside: { topic: string; messages: Message[] }[] = [];
  down = false;
  async send(topic: string, messages: Message[], alongside: { topic: string; messages: Message[] }[] = []): Promise<void> {
    if (this.down) throw new KafkaUnavailableError('no brokers');
    this.sent.push({ topic, messages });
    this.alongside.push(...alongside);
  }
  healthy(): boolean {
    return !this.down;
  }
}

const limits: Limits = { maxBodyBytes: 1 << 20, maxDecompressedBytes: 8 << 20, maxRecords: 1000 };
const sink = new FakeSink();
/** Usage rows queued for the background (answers other than 202). */
const usage: AuditRow[] = [];
const unauthorized: Refusal[] = [];
let ready: Readiness = { ok: true, checks: { kafka: 'ok', postgres: 'ok' } };
let server: Server;
let base: string;

beforeAll(async () => {
  const metrics = new ProducerMetrics();
  const app = createProducerApp({
    auth: new Authenticator({ find: async (id) => CLIENTS[id], refresh: async (id) => CLIENTS[id] }, new ReplayGuard(300_000), 300_000),
    sink,
    validator: new PayloadValidator(limits),
    usage: { add: (row) => void usage.push(row), topic: 'usage_audit' },
    unauthorized: { add: (row) => void unauthorized.push(row) },
    limits,
    region: 'other',
    maxMessageBytes: 900_000,
    metrics,
    log: createLogger('test', 'error', {}, () => undefined),
    ready: async () => ready,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const batch = (
  requestId: string,
  records: Record<string, unknown>[] = [{ id: 'r1', sender: 'AX-BANK', body: 'hi', timestamp: 1767225600000, type: 'inbox' }],
) => ({
  request_id: requestId,
  user_id: 'u1',
  sdk_version: '3.1.0',
  device: { device_id: 'd1' },
  records,
});

async function post(source: string, body: unknown, client = 'acme', secret = CLIENTS[client]?.authToken ?? 'x') {
  const wire = gzipSync(JSON.stringify(body));
  const token = encryptAuthToken(secret, { method: 'POST', path: `/v1/sync/${source}`, body: wire });
  const res = await fetch(`${base}/v1/sync/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-client-id': client, 'x-auth-token': token },
    body: wire,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: { code: string }; accepted?: number } };
}

describe('createProducerApp with fake I/O', () => {
  test('an authenticated batch is published to its topic, keyed by client and user, and audited', async () => {
    const before = sink.sent.length;
    const res = await post('sms', batch('req-ok'));
    expect(res).toMatchObject({ status: 202, body: { accepted: 1 } });
    const sent = sink.sent.slice(before);
    expect(sent.map((s) => s.topic)).toEqual(['sms_batched']);
    expect(sent[0]!.messages[0]!.headers).toEqual({ 'request-id': 'req-ok' });
    expect(String(sent[0]!.messages[0]!.key)).toContain('acme');
    // The usage row went with the data, to the audit topic, before the 202; none is queued.
    const row = JSON.parse(String(sink.alongside.at(-1)!.messages[0]!.value)) as UsageRow;
    expect(sink.alongside.at(-1)!.topic).toBe('usage_audit');
    expect(row).toMatchObject({ kind: 'usage', request_id: 'req-ok', client_id: 'acme', api_name: 'sync/sms', response_code: 202 });
    expect(usage.some((r) => r.kind === 'usage' && r.request_id === 'req-ok')).toBe(false);
  });

  test("the 202's exact bytes and headers: JSON in UTF-8, its length, nothing of Express's own", async () => {
    const body = JSON.stringify(batch('req-bytes'));
    const token = encryptAuthToken('acme-secret', { method: 'POST', path: '/v1/sync/sms', body: Buffer.from(body) });
    const res = await fetch(`${base}/v1/sync/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-client-id': 'acme', 'x-auth-token': token },
      body,
    });
    const text = await res.text();
    expect(res.status).toBe(202);
    expect(text).toBe('{"request_id":"req-bytes","accepted":1,"messages":1}');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(text.length));
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('etag')).toBeNull();
  });

  test('an unknown source is a JSON 404 and publishes nothing', async () => {
    const before = sink.sent.length;
    expect(await post('photos', batch('req-404'))).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_SOURCE' } } });
    expect(sink.sent.length).toBe(before);
  });

  test('a bad token is a 401 with an unauthorized row, and nothing is published', async () => {
    const before = sink.sent.length;
    const res = await post('sms', batch('req-401'), 'acme', 'wrong-secret');
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toMatch(/^AUTH_/);
    expect(unauthorized.at(-1)).toMatchObject({ clientId: 'acme', reason: res.body.error?.code, address: '127.0.0.1' });
    // Refusals are counted in unauthorized_requests only, never in the usage (billing) queue.
    expect(usage.some((row) => row.kind === 'usage' && (row.request_id === 'req-401' || row.response_code === 401))).toBe(false);
    expect(sink.sent.length).toBe(before);
  });

  test('a client in India cannot send contacts (403); its SMS go through', async () => {
    expect(await post('contacts', batch('req-403'), 'bharat')).toMatchObject({ status: 403, body: { error: { code: 'SOURCE_NOT_ALLOWED' } } });
    expect((await post('sms', batch('req-in'), 'bharat')).status).toBe(202);
  });

  test('Kafka down: 503 KAFKA_UNAVAILABLE with Retry-After, so the SDK retries with the same request_id', async () => {
    sink.down = true;
    try {
      const res = await post('events', batch('req-503', [{ event_type: 'open', timestamp: 1767225600000 }]));
      expect(res).toMatchObject({ status: 503, body: { error: { code: 'KAFKA_UNAVAILABLE' } } });
      expect(res.headers.get('retry-after')).toBe('5');
    } finally {
      sink.down = false;
    }
  });

  test('/ready answers what the readiness check says', async () => {
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    ready = { ok: false, checks: { kafka: 'unavailable', postgres: 'ok' } };
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', checks: { kafka: 'unavailable', postgres: 'ok' } });
    ready = { ok: true, checks: { kafka: 'ok', postgres: 'ok' } };
  });
});
