// The rate limit step of the Producer API with fake I/O: where it sits among the steps (after
// authentication, before the body), the 429's shape, and that a refused request leaves no trace
// in Kafka or the usage table.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Message } from 'kafkajs';
import { encryptAuthToken } from '../../../core/auth-token.js';
import { createLogger } from '../../../core/log.js';
import { createProducerApp } from '../../../workloads/producer/app.js';
import { Authenticator, ReplayGuard, type ClientRecord } from '../../../workloads/producer/auth.js';
import type { MessageSink } from '../../../workloads/producer/kafka-sink.js';
import { ProducerMetrics } from '../../../workloads/producer/metrics.js';
import { PayloadValidator, type Limits } from '../../../workloads/producer/payload.js';
import { RateLimiter } from '../../../workloads/producer/rate-limit.js';
import type { Refusal } from '../../../workloads/producer/refusals.js';
import type { AuditRow } from '../../../core/audit-message.js';

const CLIENTS: Record<string, ClientRecord> = {
  flood: { clientId: 'flood', authToken: 'flood-secret', geography: 'other' },
  calm: { clientId: 'calm', authToken: 'calm-secret', geography: 'other' },
};
const limits: Limits = { maxBodyBytes: 1 << 20, maxDecompressedBytes: 8 << 20, maxRecords: 1000 };
const sent: { topic: string; messages: Message[] }[] = [];
const sink: MessageSink = { send: async (topic, messages) => void sent.push({ topic, messages }), healthy: () => true };
const usage: AuditRow[] = [];
const unauthorized: Refusal[] = [];
const metrics = new ProducerMetrics(false);
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createProducerApp({
    auth: new Authenticator({ find: async (id) => CLIENTS[id], refresh: async (id) => CLIENTS[id] }, new ReplayGuard(300_000), 300_000),
    sink,
    validator: new PayloadValidator(limits),
    usage: { add: (row) => void usage.push(row), topic: 'usage_audit' },
    unauthorized: { add: (row) => void unauthorized.push(row) },
    limits,
    region: 'other',
    maxMessageBytes: 900_000,
    // 1 request per 100 s after a burst of 3: nothing refills during the test
    rateLimiter: new RateLimiter({ default: { requestsPerSecond: 0.01, burst: 3 }, overrides: new Map(), replicas: 1, maxBuckets: 100 }),
    metrics,
    log: createLogger('test', 'error', {}, () => undefined),
    ready: async () => ({ ok: true, checks: {} }),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

let seq = 0;
async function post(client: string, secret = CLIENTS[client]!.authToken, raw?: Buffer) {
  const requestId = `rl-${client}-${++seq}`;
  const wire =
    raw ??
    gzipSync(
      JSON.stringify({
        request_id: requestId,
        user_id: 'u1',
        sdk_version: '3.1.0',
        device: { device_id: 'd1' },
        records: [{ id: 'r1', sender: 'AX-BANK', body: 'hi', timestamp: 1767225600000, type: 'inbox' }],
      }),
    );
  const token = encryptAuthToken(secret, { method: 'POST', path: '/v1/sync/sms', body: wire });
  const res = await fetch(`${base}/v1/sync/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-client-id': client, 'x-auth-token': token, 'x-request-id': requestId },
    body: wire,
  });
  return {
    requestId,
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { error?: { code: string; message: string } },
  };
}

describe('the rate limit step', () => {
  test('failed authentications spend no budget: a flood under a real client id with bad tokens, then its burst is whole', async () => {
    for (let i = 0; i < 5; i++) expect((await post('calm', 'wrong-secret')).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await post('calm')).status).toBe(202);
  });

  test('over the burst: 429 RATE_LIMITED naming the limit, an integer Retry-After, no Kafka message, no usage row', async () => {
    for (let i = 0; i < 3; i++) expect((await post('flood')).status).toBe(202);
    const [sentBefore, usageBefore] = [sent.length, usage.length];
    const refused = await post('flood');
    expect(refused.status).toBe(429);
    expect(refused.body.error!.code).toBe('RATE_LIMITED');
    expect(refused.body.error!.message).toMatch(/client flood is over its rate limit of 0\.01 requests per second \(burst 3\)/);
    expect(refused.body).toMatchObject({ request_id: refused.requestId });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(Number(refused.retryAfter))).toBe(true);
    expect(sent.length).toBe(sentBefore);
    expect(usage.length).toBe(usageBefore);
    expect((await metrics.rateLimited.get()).values).toEqual([expect.objectContaining({ labels: { client_id: 'flood' }, value: 1 })]);
  });

  test('refused before the body is read or checked: an invalid body gets 429, not 400', async () => {
    const res = await post('flood', undefined, gzipSync('not json'));
    expect(res.status).toBe(429);
  });
});
