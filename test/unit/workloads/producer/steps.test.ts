// Each step of a sync request on its own (workloads/producer/steps.ts): a small Express app
// runs the steps before it as the real chain would have left the context (a `seed`), the step,
// then a probe that answers with what the step left in the context; every error goes to the
// real error handler. createProducerApp's own suite (producer-app.test.ts) runs the whole chain.
import { afterEach, describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import express, { type RequestHandler } from 'express';
import type { Message, TopicMessages } from 'kafkajs';
import { encryptAuthToken } from '../../../../core/auth-token.js';
import { SOURCES } from '../../../../core/domain.js';
import { createLogger } from '../../../../core/log.js';
import type { AuditRow } from '../../../../core/audit-message.js';
import { Authenticator, ClientsUnavailableError, ReplayGuard, type ClientRecord } from '../../../../workloads/producer/auth.js';
import { KafkaUnavailableError } from '../../../../workloads/producer/kafka-sink.js';
import { ProducerMetrics } from '../../../../workloads/producer/metrics.js';
import { PayloadValidator, RequestError, type Limits } from '../../../../workloads/producer/payload.js';
import { RateLimiter } from '../../../../workloads/producer/rate-limit.js';
import type { Refusal } from '../../../../workloads/producer/refusals.js';
import {
  answerError,
  authenticate,
  knownSource,
  observe,
  publish,
  rateLimit,
  readPayload,
  regionPolicy,
  syncContext,
  type SyncContext,
} from '../../../../workloads/producer/steps.js';

const ACME: ClientRecord = { clientId: 'acme', authToken: 'acme-secret', geography: 'other' };
const BHARAT: ClientRecord = { clientId: 'bharat', authToken: 'bharat-secret', geography: 'india' };
const CLIENTS: Record<string, ClientRecord> = { acme: ACME, bharat: BHARAT };
const limits: Limits = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 1 << 20, maxRecords: 100 };
const validator = new PayloadValidator(limits);
const record = { id: 'r1', sender: 'AX-BANK', body: 'hi', timestamp: 1767225600000, type: 'inbox' };
const batch = { request_id: 'req-1', user_id: 'u1', sdk_version: '3.1.0', device: { device_id: 'd1' }, records: [record] };

/** What a step's dependencies saw. */
interface Seen {
  usage: AuditRow[];
  unauthorized: Refusal[];
  sent: { topic: string; messages: Message[]; alongside: TopicMessages[] }[];
  logs: { msg: string; fields?: Record<string, unknown> }[];
}

function fakeDeps(opts: { kafkaDown?: boolean; clientsDown?: boolean; rateLimiter?: RateLimiter; region?: 'india' | 'other' } = {}) {
  const seen: Seen = { usage: [], unauthorized: [], sent: [], logs: [] };
  const find = async (id: string) => {
    if (opts.clientsDown) throw new ClientsUnavailableError('no database');
    return CLIENTS[id];
  };
  const log = createLogger('test', 'debug', {}, (line) => {
    const { msg, ...fields } = JSON.parse(line) as { msg: string } & Record<string, unknown>;
    seen.logs.push({ msg, fields });
  });
  const deps = {
    auth: new Authenticator({ find, refresh: find }, new ReplayGuard(300_000), 300_000),
    sink: {
      send: async (topic: string, messages: Message[], alongside: TopicMessages[] = []) => {
        if (opts.kafkaDown) throw new KafkaUnavailableError('no brokers');
        seen.sent.push({ topic, messages, alongside });
      },
      healthy: () => !opts.kafkaDown,
    },
    validator,
    usage: { add: (row: AuditRow) => void seen.usage.push(row), topic: 'usage_audit' },
    unauthorized: { add: (row: Refusal) => void seen.unauthorized.push(row) },
    limits,
    region: opts.region ?? 'other',
    maxMessageBytes: 900_000,
    ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
    metrics: new ProducerMetrics(false),
    log,
    ready: async () => ({ ok: true, checks: {} }),
  };
  return { deps, seen };
}

/** The context a step finds when the steps before it have run. */
const seed =
  (fields: Partial<SyncContext> = {}): RequestHandler =>
  (req, res, next) => {
    const source = SOURCES.find((s) => s === req.params.source);
    res.locals.sync = { started: process.hrtime.bigint(), requestId: 'transport-id', attemptId: 'attempt-1', source, ...fields } satisfies SyncContext;
    next();
  };

/** Answers 200 with what the steps left in the context (what a step after them would see). */
const probe: RequestHandler = (_req, res) => {
  const { client, source, requestId, body, rateLimited, auth } = syncContext(res);
  res.json({ reached: true, client, source, requestId, records: body?.records.length, rateLimited, bound: auth?.bound });
};

let server: Server | undefined;
const closeServer = () =>
  new Promise<void>((r) => {
    const s = server;
    server = undefined;
    if (s) s.close(() => r());
    else r();
  });
afterEach(closeServer);

async function serve(deps: ReturnType<typeof fakeDeps>['deps'], ...steps: RequestHandler[]): Promise<string> {
  const app = express();
  app.post('/v1/sync/:source', ...steps);
  app.use(answerError(deps));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { reached?: boolean; error?: { code: string; message: string }; request_id?: string } & Record<string, unknown>;
}
async function post(
  base: string,
  opts: { source?: string; body?: unknown; raw?: Buffer; client?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const source = opts.source ?? 'sms';
  const wire = opts.raw ?? gzipSync(JSON.stringify(opts.body ?? batch));
  const client = opts.client ?? 'acme';
  const token = opts.token ?? encryptAuthToken(CLIENTS[client]?.authToken ?? 'x', { method: 'POST', path: `/v1/sync/${source}`, body: wire });
  const res = await fetch(`${base}/v1/sync/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-client-id': client, 'x-auth-token': token, ...opts.headers },
    body: wire,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

describe('observe', () => {
  test('starts the context: the transport request id (cleaned, bounded), a known source, an attempt id', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, observe(deps), probe);
    const a = await post(base, { headers: { 'x-request-id': 'x'.repeat(100) } });
    expect(a.body).toMatchObject({ reached: true, source: 'sms', requestId: 'x'.repeat(64) });
    expect((await post(base, { source: 'photos' })).body.source).toBeUndefined();
  });

  test("counts and logs every answer once it is sent, and queues the usage row of an authenticated client's answer other than a 202", async () => {
    const { deps, seen } = fakeDeps();
    const base = await serve(deps, observe(deps), authenticate(deps), (_req, res) => void res.status(400).json({}));
    expect((await post(base, { headers: { 'x-request-id': 'r-9' } })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.usage).toEqual([expect.objectContaining({ kind: 'usage', request_id: 'r-9', client_id: 'acme', api_name: 'sync/sms', response_code: 400 })]);
    expect(seen.logs).toContainEqual({ msg: 'request', fields: expect.objectContaining({ request_id: 'r-9', client_id: 'acme', status: 400, records: 0 }) });
    expect(await deps.metrics.registry.getSingleMetricAsString('producer_requests_total')).toContain('producer_requests_total{source="sms",code="400"} 1');
  });

  test("an answer given before the client was authenticated adds no usage row to the claimed client's account: it is a counted refusal, with its reason", async () => {
    for (const [step, code, reason] of [
      [knownSource, 404, 'UNKNOWN_SOURCE'],
      [authenticate(fakeDeps({ clientsDown: true }).deps), 503, 'AUTH_UNAVAILABLE'],
    ] as const) {
      const { deps, seen } = fakeDeps();
      const base = await serve(deps, observe(deps), step, probe);
      const a = await post(base, { source: code === 404 ? 'photos' : 'sms', headers: { 'x-request-id': 'r-claimed' } });
      expect(a.status).toBe(code);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen.usage).toEqual([]);
      expect(seen.unauthorized).toEqual([expect.objectContaining({ clientId: 'acme', reason, address: '127.0.0.1', requestId: 'r-claimed' })]);
      await closeServer();
    }
  });

  test('queues no usage row for a request refused for its token or by the rate limit', async () => {
    for (const mark of [{ refused: true }, { rateLimited: true }]) {
      const { deps, seen } = fakeDeps();
      const base = await serve(deps, observe(deps), (_req, res) => {
        Object.assign(syncContext(res), mark);
        res.status(401).json({});
      });
      await post(base);
      expect(seen.usage).toEqual([]);
      await closeServer();
    }
  });
});

describe('knownSource', () => {
  test('passes a known source on; refuses anything else 404 UNKNOWN_SOURCE', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, observe(deps), knownSource, probe);
    expect((await post(base)).body.reached).toBe(true);
    const a = await post(base, { source: 'photos' });
    expect(a.status).toBe(404);
    expect(a.body.error).toMatchObject({ code: 'UNKNOWN_SOURCE', message: expect.stringContaining('"photos"') });
  });
});

describe('authenticate', () => {
  test("a valid token: the client is known to the steps after it; the body's checks wait for readPayload", async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed(), authenticate(deps), probe);
    expect((await post(base)).body).toMatchObject({ reached: true, client: ACME, bound: true });
  });

  test('an invalid token is refused 401, counted and aggregated (never the body)', async () => {
    const { deps, seen } = fakeDeps();
    const base = await serve(deps, seed(), authenticate(deps), probe);
    const a = await post(base, { token: 'garbage' });
    expect(a.status).toBe(401);
    expect(a.body.error?.code).toMatch(/^AUTH_/);
    expect(seen.unauthorized).toEqual([expect.objectContaining({ clientId: 'acme', reason: a.body.error?.code, requestId: 'transport-id' })]);
    expect(await deps.metrics.registry.getSingleMetricAsString('producer_auth_failures_total')).toContain(`code="${a.body.error?.code}"`);
  });

  test('the clients table unreadable (and not cached): 503 AUTH_UNAVAILABLE with Retry-After', async () => {
    const { deps } = fakeDeps({ clientsDown: true });
    const base = await serve(deps, seed(), authenticate(deps), probe);
    const a = await post(base);
    expect(a.status).toBe(503);
    expect(a.body.error?.code).toBe('AUTH_UNAVAILABLE');
    expect(a.headers.get('retry-after')).toBe('5');
  });
});

describe('rateLimit', () => {
  test('without a limiter every request passes', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed({ client: ACME }), rateLimit(deps), probe);
    for (let i = 0; i < 3; i++) expect((await post(base)).body.reached).toBe(true);
  });

  test('over the limit: 429 RATE_LIMITED with Retry-After, marked so that it gets no usage row, counted per client', async () => {
    const limiter = new RateLimiter({ default: { requestsPerSecond: 0.01, burst: 1 }, overrides: new Map(), replicas: 1, maxBuckets: 10 });
    const { deps } = fakeDeps({ rateLimiter: limiter });
    let context: SyncContext | undefined;
    const base = await serve(deps, seed({ client: ACME }), (_req, res, next) => ((context = syncContext(res)), next()), rateLimit(deps), probe);
    expect((await post(base)).body.reached).toBe(true);
    const a = await post(base);
    expect(a.status).toBe(429);
    expect(a.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(context?.rateLimited).toBe(true);
    expect(await deps.metrics.registry.getSingleMetricAsString('producer_rate_limited_total')).toContain('client_id="acme"} 1');
  });
});

describe('regionPolicy', () => {
  test('sources India pipelines do not collect: refused 403 in an india pipeline and for clients in india', async () => {
    const cases: [region: 'india' | 'other', client: ClientRecord, source: string, status: number][] = [
      ['other', ACME, 'contacts', 200],
      ['india', ACME, 'contacts', 403],
      ['other', BHARAT, 'call_logs', 403],
      ['india', BHARAT, 'sms', 200],
    ];
    for (const [region, client, source, status] of cases) {
      const { deps } = fakeDeps({ region });
      const base = await serve(deps, seed({ client }), regionPolicy(deps), probe);
      const a = await post(base, { source });
      expect([region, client.clientId, source, a.status]).toEqual([region, client.clientId, source, status]);
      if (status === 403) expect(a.body.error?.code).toBe('SOURCE_NOT_ALLOWED');
      await closeServer();
    }
  });
});

describe('readPayload', () => {
  const authenticated = (deps: ReturnType<typeof fakeDeps>['deps']): RequestHandler => authenticate(deps);

  test('a body the token was made for: gunzip, parse, validate; the body request_id becomes the request id', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed(), authenticated(deps), readPayload(deps), probe);
    expect((await post(base)).body).toMatchObject({ reached: true, requestId: 'req-1', records: 1 });
  });

  test('another body than the token was made for: 401 AUTH_REQUEST_MISMATCH, before any decompression', async () => {
    const { deps, seen } = fakeDeps();
    const base = await serve(deps, seed(), authenticated(deps), readPayload(deps), probe);
    const token = encryptAuthToken(ACME.authToken, { method: 'POST', path: '/v1/sync/sms', body: Buffer.from('other') });
    const a = await post(base, { token, raw: Buffer.from('not even gzip') });
    expect(a.status).toBe(401);
    expect(a.body.error?.code).toBe('AUTH_REQUEST_MISMATCH');
    expect(seen.unauthorized).toHaveLength(1);
  });

  test('a body that is not JSON, or breaks the schema: 400 with the documented codes', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed(), authenticated(deps), readPayload(deps), probe);
    expect((await post(base, { raw: gzipSync('{') })).body.error?.code).toBe('INVALID_JSON');
    const a = await post(base, { body: { ...batch, records: [{ ...record, type: 'nonsense' }] } });
    expect([a.status, a.body.error?.code]).toEqual([400, 'SCHEMA_VIOLATION']);
  });

  test('a body over the wire limit: 413, and the connection is closed after the answer', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed(), authenticated(deps), readPayload(deps), probe);
    const a = await post(base, { raw: Buffer.alloc(limits.maxBodyBytes + 1) });
    expect([a.status, a.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(a.headers.get('connection')).toBe('close');
  });
});

describe('publish', () => {
  const parsed = (text: string) => ({ body: JSON.parse(text) as typeof batch, text });

  test("the data and the 202's usage row in one send; 202 once Kafka took both, counted", async () => {
    const { deps, seen } = fakeDeps();
    const base = await serve(deps, seed({ client: ACME, ...parsed(JSON.stringify(batch)) }), publish(deps));
    const a = await post(base);
    expect(a.status).toBe(202);
    expect(a.body).toEqual({ request_id: 'req-1', accepted: 1, messages: 1 });
    expect(seen.sent).toHaveLength(1);
    const [{ topic, messages, alongside }] = seen.sent as [Seen['sent'][number]];
    expect(topic).toBe('sms_batched');
    expect(messages).toEqual([{ key: 'acme:u1', value: expect.any(String), headers: { 'request-id': 'req-1' } }]);
    expect(JSON.parse(String(messages[0]!.value))).toMatchObject({ v: 1, client_id: 'acme', source: 'sms', chunk: { index: 0, count: 1 }, ...batch });
    expect(alongside).toEqual([{ topic: 'usage_audit', messages: [expect.objectContaining({ key: 'attempt-1' })] }]);
    expect(JSON.parse(String(alongside[0]!.messages[0]!.value))).toMatchObject({ kind: 'usage', id: 'attempt-1', request_id: 'req-1', response_code: 202 });
    expect(await deps.metrics.registry.getSingleMetricAsString('producer_records_total')).toContain('producer_records_total{source="sms"} 1');
  });

  test('Kafka not taking the data: 503 KAFKA_UNAVAILABLE with Retry-After, counted', async () => {
    const { deps } = fakeDeps({ kafkaDown: true });
    const base = await serve(deps, seed({ client: ACME, ...parsed(JSON.stringify(batch)) }), publish(deps));
    const a = await post(base);
    expect([a.status, a.body.error?.code, a.headers.get('retry-after')]).toEqual([503, 'KAFKA_UNAVAILABLE', '5']);
    expect(await deps.metrics.registry.getSingleMetricAsString('producer_kafka_failures_total')).toContain('producer_kafka_failures_total 1');
  });
});

describe('answerError', () => {
  test('a RequestError in the documented shape, with the request id known so far', async () => {
    const { deps } = fakeDeps();
    const base = await serve(deps, seed(), () => {
      throw new RequestError(418, 'TEAPOT', 'short and stout', [{ path: 'body', message: 'is a teapot' }]);
    });
    const a = await post(base);
    expect(a.status).toBe(418);
    expect(a.body).toEqual({
      error: { code: 'TEAPOT', message: 'short and stout', details: [{ path: 'body', message: 'is a teapot' }] },
      request_id: 'transport-id',
    });
  });

  test('anything unexpected: 500 INTERNAL, its text logged, never answered', async () => {
    const { deps, seen } = fakeDeps();
    const base = await serve(deps, seed(), () => {
      throw new Error('secret detail');
    });
    const a = await post(base);
    expect(a.status).toBe(500);
    expect(a.body.error).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(seen.logs).toContainEqual({ msg: 'unexpected error', fields: expect.objectContaining({ error: 'secret detail' }) });
  });
});
