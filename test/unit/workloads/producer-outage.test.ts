// What the Producer API keeps doing while PostgreSQL cannot be read, with PostgreSQL faked as a
// pool that fails on demand: the clients cache within its staleness bound, and the usage spool
// across a new process. The integration suite stops the real PostgreSQL for the same story.
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { ClientDirectory, ClientsUnavailableError } from '../../../workloads/producer/auth.js';
import { SpooledWriter } from '../../../workloads/producer/spool.js';

/** A pool whose queries fail while `down`; records the rows of INSERTs, and answers the clients SELECT. */
class FlakyPool {
  down = false;
  inserted: unknown[][] = [];
  async query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (text.startsWith('SELECT'))
      return { rows: values[0] === 'acme' ? [{ client_id: 'acme', auth_token: 'secret', geography: 'other' }] : [] } as unknown as pg.QueryResult;
    const cols = /\(([^)]*)\) VALUES/.exec(text)![1]!.split(',').length;
    for (let i = 0; i < values.length; i += cols) this.inserted.push(values.slice(i, i + cols));
    return { rows: [] } as unknown as pg.QueryResult;
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

describe('the usage spool', () => {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  const spool = (pool: FlakyPool, dir: string, maxBytes = 1 << 20) =>
    new SpooledWriter(asPool(pool), { dir, maxBytes, table: 'usage', columns: ['request_id', 'code'], flushIntervalMs: 60_000, maxBatch: 3 });

  test('rows written while PostgreSQL is down are kept on disk, taken over by the next process and written once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    dirs.push(dir);
    const pool = new FlakyPool();
    pool.down = true;
    const first = spool(pool, dir);
    first.open();
    for (let i = 0; i < 7; i++) first.add([`r${i}`, 202]);
    await first.flush();
    expect(pool.inserted).toEqual([]);
    // The process dies here, without stop(): the next one opens the same directory.
    pool.down = false;
    const second = spool(pool, dir);
    expect(second.open().recoveredBytes).toBeGreaterThan(0);
    second.add(['r7', 202]);
    await second.flush();
    expect(pool.inserted.map((r) => r[0])).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    await second.stop();
    expect(second.spooledBytes).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('beyond its size, rows are dropped and counted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    dirs.push(dir);
    let dropped = 0;
    const s = new SpooledWriter(asPool(new FlakyPool()), {
      dir,
      maxBytes: 40,
      table: 'usage',
      columns: ['request_id', 'code'],
      flushIntervalMs: 60_000,
      maxBatch: 1000,
      onDropped: (n) => (dropped += n),
    });
    s.open();
    for (let i = 0; i < 5; i++) s.add([`r${i}`, 202]);
    expect(dropped).toBe(2);
    expect(s.spooledBytes).toBeLessThanOrEqual(40);
  });
});
