// The per-client rate limit in a real Producer API against the real PostgreSQL and Kafka: a
// client flooding it gets 429s with Retry-After, while a client within its limit, sending at
// the same time, gets none; refused requests leave no usage row and no Kafka message. The
// bucket arithmetic is unit-tested (test/unit/workloads/rate-limit.test.ts).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SyncClient, type SyncResponse } from '../../../workloads/client/sync-client.js';
import { ProducerFixture, oneSms, type ProducerProcess } from '../../support/producer-process.js';
import { uniqueName } from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

let fx: ProducerFixture;
let producer: ProducerProcess;
const flood = { id: uniqueName('flood'), token: randomUUID() };
const calm = { id: uniqueName('calm'), token: randomUUID() };
const big = { id: uniqueName('big'), token: randomUUID() };
const clients: SyncClient[] = [];

function client(c: { id: string; token: string }, retries = 0): SyncClient {
  const s = new SyncClient({ baseUrl: producer.url, clientId: c.id, authToken: c.token, retries });
  clients.push(s);
  return s;
}

async function messagesOnTopic(): Promise<number> {
  return (await fx.admin.fetchTopicOffsets(fx.topics[0]!)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
}

async function usageRows(clientId: string): Promise<{ request_id: string; response_code: number }[]> {
  return (await fx.pg.query('SELECT request_id, response_code FROM usage WHERE client_id = $1', [clientId])).rows as {
    request_id: string;
    response_code: number;
  }[];
}

beforeAll(async () => {
  // its own database and topics: the shared pipeline topics are left alone, and the offsets count this suite's messages
  fx = await ProducerFixture.create('ratelimit');
  for (const c of [flood, calm, big]) await fx.addClient(c.id, c.token);
  producer = await fx.start({
    RATE_LIMIT_REQUESTS_PER_SECOND: '2',
    RATE_LIMIT_BURST: '4',
    RATE_LIMIT_OVERRIDES: JSON.stringify({ [big.id]: { requestsPerSecond: 100, burst: 40 } }),
  });
}, 60000);

afterAll(async () => {
  for (const c of clients) c.close();
  await producer?.stop();
  await fx?.close();
});

describe('per-client rate limit (2/s, burst 4)', () => {
  test('a flooding client gets 429s with Retry-After; a client within its limit at the same time gets none; refused requests leave no row and no message', async () => {
    const [f, c] = [client(flood), client(calm)];
    const calmRun = (async () => {
      const out: SyncResponse[] = [];
      // 1 request every 600 ms: under 2/s
      for (let i = 0; i < 5; i++) {
        out.push(await c.send('sms', oneSms()));
        await sleep(600);
      }
      return out;
    })();
    const floodAnswers = await Promise.all(Array.from({ length: 30 }, () => f.send('sms', oneSms())));
    const calmAnswers = await calmRun;

    expect(calmAnswers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const accepted = floodAnswers.filter((r) => r.status === 202);
    const refused = floodAnswers.filter((r) => r.status === 429);
    expect(accepted.length + refused.length).toBe(30);
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    expect(accepted.length).toBeLessThanOrEqual(6);
    for (const r of refused) {
      expect(r.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('rate limit of 2 requests per second (burst 4)') });
      expect(r.retryAfter).toMatch(/^[1-9][0-9]*$/);
    }

    // Only the accepted requests reached Kafka and the usage table.
    const wanted = accepted.length + calmAnswers.length;
    await waitFor('the accepted messages on the topic', async () => ((await messagesOnTopic()) >= wanted ? true : undefined), 10000);
    const floodRows = await waitFor(
      'the usage rows of the accepted requests',
      async () => {
        const rows = await usageRows(flood.id);
        return rows.length >= accepted.length ? rows : undefined;
      },
      10000,
    );
    await sleep(500); // anything more would have been flushed by now (AUDIT_FLUSH_MS 100)
    expect(await messagesOnTopic()).toBe(wanted);
    expect((await usageRows(flood.id)).map((r) => r.response_code)).toEqual(floodRows.map(() => 202));
    expect(new Set((await usageRows(flood.id)).map((r) => r.request_id))).toEqual(new Set(accepted.map((r) => r.body.request_id)));
    expect((await usageRows(calm.id)).length).toBe(5);

    const metrics = await producer.metrics();
    const line = metrics.split('\n').find((l) => l.startsWith(`producer_rate_limited_total{client_id="${flood.id}"}`));
    expect(Number(line?.split(' ')[1])).toBe(refused.length);
    expect(metrics).not.toContain(`producer_rate_limited_total{client_id="${calm.id}"}`);
  });

  test('a client with an override has its own limit: 30 at once within its burst of 40, no 429', async () => {
    const b = client(big);
    const answers = await Promise.all(Array.from({ length: 30 }, () => b.send('sms', oneSms())));
    expect(answers.map((r) => r.status).filter((s) => s !== 202)).toEqual([]);
  });

  test("the SDK's sync() waits for Retry-After and then succeeds, within its retries", async () => {
    await sleep(2500); // the flood's bucket refills to its burst
    const f = client(flood, 3);
    for (let i = 0; i < 4; i++) expect((await f.send('sms', oneSms())).status).toBe(202);
    const limited = await f.send('sms', oneSms());
    expect(limited.status).toBe(429);
    const start = Date.now();
    const res = await f.sync('sms', oneSms());
    expect(res.status).toBe(202);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });
});
