// What the Producer API keeps doing while PostgreSQL or Kafka cannot be reached, with them faked
// as a pool and a sink that fail on demand: the clients cache within its staleness bound, the
// clients the replicas share, and the audit rows waiting for Kafka. The integration suites stop
// the real services for the same stories.
import { describe, expect, test } from '@jest/globals';
import type pg from 'pg';
import type { Message } from 'kafkajs';
import type { AuditRow } from '../../../core/audit-message.js';
import { AuditPublisher } from '../../../workloads/producer/audit-publisher.js';
import { ClientDirectory, ClientsUnavailableError, type ClientRecord } from '../../../workloads/producer/auth.js';
import type { SharedClient, SharedClients } from '../../../workloads/producer/client-log.js';
import { RefusalAggregator } from '../../../workloads/producer/refusals.js';

/** A pool whose queries fail while `down`; answers the clients SELECT. */
class FlakyPool {
  down = false;
  async query(_text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return { rows: values[0] === 'acme' ? [{ client_id: 'acme', auth_token: 'secret', geography: 'other' }] : [] } as unknown as pg.QueryResult;
  }
}

/** pg's query() is overloaded beyond what the code under test calls. */
const asPool = (p: FlakyPool): Pick<pg.Pool, 'query'> => p as unknown as Pick<pg.Pool, 'query'>;

describe('the clients cache while PostgreSQL is down', () => {
  test('an expired entry is served up to the staleness bound, then the lookup fails as unavailable', async () => {
    const pool = new FlakyPool();
    let stale = 0;
    const dir = new ClientDirectory(asPool(pool), 0, 50, () => stale++);
    expect(await dir.find('acme')).toMatchObject({ clientId: 'acme' });
    pool.down = true;
    expect(await dir.find('acme')).toMatchObject({ clientId: 'acme' });
    expect(stale).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    await expect(dir.find('acme')).rejects.toThrow(ClientsUnavailableError);
    // never seen: nothing to serve
    await expect(dir.find('other')).rejects.toThrow(ClientsUnavailableError);
  });
});

/** The replicas' shared clients, in memory (the clients topic's part of it). */
class MemoryShared implements SharedClients {
  readonly entries = new Map<string, SharedClient>();
  get(clientId: string): SharedClient | undefined {
    return this.entries.get(clientId);
  }
  record(clientId: string, value: ClientRecord | undefined, loaded: number): void {
    this.entries.set(clientId, { value, loaded });
  }
}

describe('clients shared between replicas', () => {
  test('a replica started while PostgreSQL is down serves a client another replica read, by the same staleness bound', async () => {
    const pool = new FlakyPool();
    const shared = new MemoryShared();
    const first = new ClientDirectory(asPool(pool), 0, 100, undefined, undefined, shared);
    expect(await first.find('acme')).toMatchObject({ clientId: 'acme' });
    expect(shared.get('acme')).toMatchObject({ value: { clientId: 'acme', authToken: 'secret' } });
    pool.down = true;
    let stale = 0;
    const second = new ClientDirectory(asPool(pool), 0, 100, () => stale++, undefined, shared);
    expect(await second.find('acme')).toMatchObject({ clientId: 'acme', authToken: 'secret' });
    expect(stale).toBe(1);
    await new Promise((r) => setTimeout(r, 130));
    await expect(second.find('acme')).rejects.toThrow(ClientsUnavailableError);
  });

  test('a shared read within the TTL is fresh: no read of PostgreSQL; a client gone from the table is refused everywhere', async () => {
    const pool = new FlakyPool();
    const shared = new MemoryShared();
    shared.record('acme', { clientId: 'acme', authToken: 'from-topic', geography: 'other' }, Date.now());
    shared.record('gone', undefined, Date.now());
    pool.down = true;
    const dir = new ClientDirectory(asPool(pool), 60_000, 3_600_000, undefined, undefined, shared);
    expect(await dir.find('acme')).toMatchObject({ authToken: 'from-topic' });
    expect(await dir.find('gone')).toBeUndefined();
  });
});

/** A sink that fails while `down` and records what it took. */
class FlakySink {
  down = false;
  taken: Message[] = [];
  async send(_topic: string, messages: Message[]): Promise<void> {
    if (this.down) throw new Error('no brokers');
    this.taken.push(...messages);
  }
}

const usageRow = (i: number): AuditRow => ({
  kind: 'usage',
  id: `a-${i}`,
  request_id: `r-${i}`,
  client_id: 'acme',
  api_name: 'sync/sms',
  response_code: 503,
  created_at: new Date(0).toISOString(),
});

describe('audit rows while Kafka is down', () => {
  test('rows wait, keep their ids, and are produced once each when Kafka is back', async () => {
    const sink = new FlakySink();
    sink.down = true;
    const p = new AuditPublisher(sink, { topic: 'usage_audit', flushIntervalMs: 60_000, maxBatch: 2, maxQueued: 100 });
    for (let i = 0; i < 5; i++) p.add(usageRow(i));
    await p.flush();
    expect(p.pending('usage')).toBe(5);
    sink.down = false;
    await p.flush();
    expect(p.pending('usage')).toBe(0);
    expect(sink.taken.map((m) => String(m.key))).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4']);
  });

  test('each table has its own bound: refusals beyond theirs never push out usage rows', () => {
    const dropped: Record<string, number> = {};
    const p = new AuditPublisher(new FlakySink(), {
      topic: 'usage_audit',
      flushIntervalMs: 60_000,
      maxBatch: 10,
      maxQueued: 3,
      onDropped: (table, n) => (dropped[table] = (dropped[table] ?? 0) + n),
    });
    p.add(usageRow(1));
    const agg = new RefusalAggregator(10);
    for (let i = 0; i < 10; i++)
      agg.add({ clientId: `c${i}`, address: undefined, reason: 'AUTH_INVALID', requestId: 'r', authToken: undefined, summary: '{}', at: new Date(0) });
    for (const row of agg.drain()) p.add(row);
    expect(p.pending('usage')).toBe(1);
    expect(p.pending('unauthorized_requests')).toBe(3);
    expect(dropped).toEqual({ unauthorized_requests: 7 });
  });
});
