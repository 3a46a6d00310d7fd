// A flood of refused requests against a real Producer API, PostgreSQL and Kafka: the refusals
// become a handful of counted unauthorized_requests rows, and a legitimate client sending in
// between is neither refused nor loses a usage row. The aggregation itself is unit-tested
// (test/unit/workloads/refusals.test.ts).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SyncClient } from '../../../workloads/client/sync-client.js';
import { ProducerFixture, oneSms } from '../../support/producer-process.js';
import { uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let fx: ProducerFixture;

/** Runs `jobs` with `width` of them in flight at once. */
async function inParallel(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}

async function refusalCounts(where: string, params: unknown[]): Promise<{ rows: number; sum: number }> {
  const r = await fx.pg.query<{ rows: string; sum: string | null }>(
    `SELECT count(*) AS rows, sum(count) AS sum FROM unauthorized_requests WHERE ${where}`,
    params,
  );
  return { rows: Number(r.rows[0]!.rows), sum: Number(r.rows[0]!.sum ?? 0) };
}

beforeAll(async () => {
  // its own database and topics: the shared pipeline topics are left alone
  fx = await ProducerFixture.create('refusals');
}, 60000);

afterAll(() => fx?.close());

describe('a flood of refused requests', () => {
  test('2,000 bogus tokens claiming a client: a few counted rows summing to 2,000; the real client, in between, all 202 with every usage row', async () => {
    const producer = await fx.start();
    const id = uniqueName('victim');
    const token = randomUUID();
    await fx.addClient(id, token);
    // The flood claims the legitimate client's own id: its refusals must not reach that client's usage rows.
    const real = new SyncClient({ baseUrl: producer.url, clientId: id, authToken: token });
    const forged = new SyncClient({ baseUrl: producer.url, clientId: id, authToken: 'unknown' });
    const FLOOD = 2000;
    const statuses: number[] = [];
    const accepted: string[] = [];
    const jobs: (() => Promise<void>)[] = [];
    const started = Date.now();
    try {
      for (let i = 0; i < FLOOD; i++) {
        jobs.push(async () => void statuses.push((await forged.send('sms', oneSms(), { token: 'bogus-token' })).status));
        if (i % 20 === 0)
          jobs.push(async () => {
            const b = oneSms();
            const r = await real.send('sms', b);
            expect(r.status).toBe(202);
            accepted.push(b.request_id);
          });
      }
      await inParallel(jobs, 16);
      const seconds = (Date.now() - started) / 1000;
      expect(statuses.length).toBe(FLOOD);
      expect(statuses.every((s) => s === 401)).toBe(true);
      expect(accepted.length).toBe(FLOOD / 20);

      // Rows are written as their window (1 s here) ends.
      const counts = await waitFor(
        'the refusal rows',
        async () => {
          const c = await refusalCounts('client_id = $1', [id]);
          return c.sum >= FLOOD ? c : undefined;
        },
        30000,
      );
      expect(counts.sum).toBe(FLOOD);
      // One row per window the flood lasted (plus one it straddled), not one per request.
      expect(counts.rows).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
      const row = (await fx.pg.query(`SELECT * FROM unauthorized_requests WHERE client_id = $1 LIMIT 1`, [id])).rows[0] as Record<string, unknown>;
      expect(row).toMatchObject({ client_id: id, reason: 'AUTH_MALFORMED', source_address: expect.stringMatching(/127\.0\.0\.1$/), auth_token: 'bogus-token' });
      expect(row.req_body).toMatchObject({ reason: 'AUTH_MALFORMED', source: 'sms' });
      expect(await producer.metric('producer_refusal_rows_dropped_total')).toBe(0);

      // Every accepted request has its usage row, and the refusals have none.
      const usage = await waitFor(
        'the usage rows',
        async () => {
          const r = await fx.pg.query<{ request_id: string; response_code: number }>('SELECT request_id, response_code FROM usage WHERE client_id = $1', [id]);
          return r.rows.length >= accepted.length ? r.rows : undefined;
        },
        30000,
      );
      expect(usage.map((u) => u.request_id).sort()).toEqual([...accepted].sort());
      expect(usage.every((u) => u.response_code === 202)).toBe(true);
      expect(await producer.metric('producer_audit_rows_dropped_total')).toBe(0);
      process.stdout.write(
        `refusal flood: ${FLOOD} refused + ${accepted.length} accepted in ${seconds.toFixed(1)} s -> ${counts.rows} unauthorized_requests rows\n`,
      );
    } finally {
      real.close();
      forged.close();
      await producer.stop();
    }
  });

  test('keys beyond REFUSAL_MAX_KEYS are counted in the dropped counter and the window’s "(other)" row; no refusal goes uncounted', async () => {
    const producer = await fx.start({ REFUSAL_MAX_KEYS: '5', REFUSAL_WINDOW_SECONDS: '60' });
    const ids = Array.from({ length: 50 }, () => uniqueName('claimed'));
    const since = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const TOTAL = 400;
    try {
      const clients = ids.map((id) => new SyncClient({ baseUrl: producer.url, clientId: id, authToken: randomUUID() }));
      await inParallel(
        Array.from({ length: TOTAL }, (_, i) => async () => {
          expect((await clients[i % ids.length]!.send('sms', oneSms(), { token: 'bogus-token' })).status).toBe(401);
        }),
        16,
      );
      for (const c of clients) c.close();
      const dropped = await producer.metric('producer_refusal_rows_dropped_total');
      // SIGTERM writes the window still open.
      await producer.stop();
      const itemized = await refusalCounts('client_id = ANY($1)', [ids]);
      const overflow = await refusalCounts(`reason = '(other)' AND created_at >= $1`, [since]);
      expect(dropped).toBeGreaterThan(0);
      expect(overflow.sum).toBe(dropped);
      expect(itemized.sum + overflow.sum).toBe(TOTAL);
      // At most 5 keys a window: a flood that straddles a minute has two.
      expect(itemized.rows).toBeLessThanOrEqual(10);
      expect(overflow.rows).toBeLessThanOrEqual(2);
    } finally {
      await producer.stop();
    }
  });
});
