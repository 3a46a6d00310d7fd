// A client's auth_token rotated (or a client added) in PostgreSQL while the Producer API has the
// old row cached: a token the cached row cannot decrypt makes the producer read the row again,
// at most once a second per client and a few times a second in all, before refusing. PostgreSQL
// is faked as a clients table in memory that counts its reads and fails on demand; the clock is
// Date.now, moved by hand. The integration suite rotates a token in the real PostgreSQL.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { encryptAuthToken } from '../../../core/auth-token.js';
import { Authenticator, AuthError, ClientDirectory, ClientsUnavailableError, ReplayGuard } from '../../../workloads/producer/auth.js';

/** The clients table: rows by client id; every SELECT counted; all reads fail while `down`. */
class ClientsTable {
  rows = new Map<string, string>();
  reads = 0;
  down = false;
  async query(_text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    this.reads++;
    if (this.down) throw new Error('connect ECONNREFUSED');
    const id = String(values[0]);
    const token = this.rows.get(id);
    return { rows: token === undefined ? [] : [{ client_id: id, auth_token: token, geography: 'other' }] } as unknown as pg.QueryResult;
  }
}

/** pg's query() is overloaded beyond what the code under test calls. */
const asPool = (t: ClientsTable): Pick<pg.Pool, 'query'> => t as unknown as Pick<pg.Pool, 'query'>;

let now = 1_767_225_600_000;
/** Moves the clock on. */
const advance = (ms: number) => (now += ms);
beforeEach(() => {
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(() => {
  jest.restoreAllMocks();
});

const REQUEST = { method: 'POST', path: '/v1/sync/sms', body: Buffer.from('{}') };

/** The producer's own wiring (main.ts) with its defaults: a 60 s cache, served up to an hour stale. */
function producer(table: ClientsTable) {
  let stale = 0;
  const auth = new Authenticator(new ClientDirectory(asPool(table), 60_000, 3_600_000, () => stale++), new ReplayGuard(300_000), 300_000);
  const check = (clientId: string, secret: string, token = encryptAuthToken(secret, REQUEST, now)) =>
    auth
      .authenticate(clientId, token, REQUEST)
      .then((a) => auth.admit(a, REQUEST.body, now))
      .then(
        () => 'ok',
        (e: unknown) => (e instanceof AuthError ? e.code : e instanceof ClientsUnavailableError ? 'unavailable' : String(e)),
      );
  return { check, stale: () => stale };
}

describe('a rotated auth_token', () => {
  test('is accepted at once; the old one is refused, without another read', async () => {
    const table = new ClientsTable();
    const [oldSecret, newSecret] = [randomUUID(), randomUUID()];
    table.rows.set('acme', oldSecret);
    const p = producer(table);
    expect(await p.check('acme', oldSecret)).toBe('ok');
    expect(table.reads).toBe(1);

    table.rows.set('acme', newSecret);
    advance(5_000); // well within the 60 s the row stays cached
    expect(await p.check('acme', newSecret)).toBe('ok');
    expect(table.reads).toBe(2);
    expect(await p.check('acme', newSecret)).toBe('ok');
    // Read a moment ago: the old secret is simply wrong now.
    expect(await p.check('acme', oldSecret)).toBe('AUTH_INVALID');
    expect(table.reads).toBe(2);
  });

  test('a client added after its miss was cached is known at once', async () => {
    const table = new ClientsTable();
    const secret = randomUUID();
    const p = producer(table);
    expect(await p.check('newco', secret)).toBe('AUTH_UNKNOWN_CLIENT');
    expect(table.reads).toBe(1); // the miss was read just now: not read twice for one request

    table.rows.set('newco', secret);
    advance(5_000);
    expect(await p.check('newco', secret)).toBe('ok');
    expect(table.reads).toBe(2);
  });

  test('a row that decrypts the token is not read again within its TTL, nor for a malformed token', async () => {
    const table = new ClientsTable();
    const secret = randomUUID();
    table.rows.set('acme', secret);
    const p = producer(table);
    for (let i = 0; i < 20; i++) {
      expect(await p.check('acme', secret)).toBe('ok');
      advance(2_000);
    }
    expect(await p.check('acme', secret, 'not-a-token')).toBe('AUTH_MALFORMED');
    expect(table.reads).toBe(1);
  });
});

describe('the bound on reads forced by refused tokens', () => {
  test('one client: at most one read a second, however many bad tokens', async () => {
    const table = new ClientsTable();
    table.rows.set('acme', randomUUID());
    const p = producer(table);
    const bad = () => p.check('acme', randomUUID());
    expect(await bad()).toBe('AUTH_INVALID');
    expect(table.reads).toBe(1); // the first read; nothing newer to read
    advance(5_000);
    expect(await bad()).toBe('AUTH_INVALID');
    expect(table.reads).toBe(2);
    advance(500);
    expect(await Promise.all([bad(), bad(), bad()])).toEqual(['AUTH_INVALID', 'AUTH_INVALID', 'AUTH_INVALID']);
    expect(table.reads).toBe(2);
    advance(600);
    expect(await bad()).toBe('AUTH_INVALID');
    expect(table.reads).toBe(3);
  });

  test('concurrent tokens of one rotated client share one read', async () => {
    const table = new ClientsTable();
    const [oldSecret, newSecret] = [randomUUID(), randomUUID()];
    table.rows.set('acme', oldSecret);
    const p = producer(table);
    expect(await p.check('acme', oldSecret)).toBe('ok');
    table.rows.set('acme', newSecret);
    advance(5_000);
    expect(await Promise.all(Array.from({ length: 5 }, () => p.check('acme', newSecret)))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(table.reads).toBe(2);
  });

  test('all clients: a flood of bad tokens and cached unknown ids reads PostgreSQL at most 10 times a second', async () => {
    const table = new ClientsTable();
    const known = Array.from({ length: 15 }, (_, i) => `client-${i}`);
    for (const id of known) table.rows.set(id, randomUUID());
    const bogus = Array.from({ length: 15 }, (_, i) => `bogus-${i}`);
    const p = producer(table);
    for (const id of [...known, ...bogus]) await p.check(id, randomUUID());
    expect(table.reads).toBe(30); // each id read once when first seen, as before
    advance(5_000);
    const codes = await Promise.all([...known, ...bogus].map((id) => p.check(id, randomUUID())));
    expect(codes).toEqual([...known.map(() => 'AUTH_INVALID'), ...bogus.map(() => 'AUTH_UNKNOWN_CLIENT')]);
    expect(table.reads).toBe(40);
    advance(1_000);
    await Promise.all([...known, ...bogus].map((id) => p.check(id, randomUUID())));
    expect(table.reads).toBe(50);
  });
});

describe('while PostgreSQL is down', () => {
  test('the cached row still serves its old token; a new token is refused as invalid, not unavailable', async () => {
    const table = new ClientsTable();
    const [oldSecret, newSecret] = [randomUUID(), randomUUID()];
    table.rows.set('acme', oldSecret);
    const p = producer(table);
    expect(await p.check('acme', oldSecret)).toBe('ok');
    table.rows.set('acme', newSecret);
    table.down = true;

    advance(5_000); // cached and fresh
    expect(await p.check('acme', newSecret)).toBe('AUTH_INVALID');
    expect(table.reads).toBe(2); // it tried
    expect(await p.check('acme', oldSecret)).toBe('ok');
    expect(await p.check('acme', newSecret)).toBe('AUTH_INVALID');
    expect(table.reads).toBe(2); // and does not try again at once

    advance(120_000); // expired, served stale
    expect(await p.check('acme', oldSecret)).toBe('ok');
    expect(await p.check('acme', newSecret)).toBe('AUTH_INVALID');
    expect(p.stale()).toBeGreaterThan(0);
    // Never seen: nothing to serve, as before.
    expect(await p.check('other', newSecret)).toBe('unavailable');
  });

  test('a cached unknown client stays unknown; a token refused then is not spent, and is accepted once PostgreSQL is back', async () => {
    const table = new ClientsTable();
    const [oldSecret, newSecret] = [randomUUID(), randomUUID()];
    table.rows.set('acme', oldSecret);
    const p = producer(table);
    expect(await p.check('acme', oldSecret)).toBe('ok');
    expect(await p.check('newco', newSecret)).toBe('AUTH_UNKNOWN_CLIENT');
    table.rows.set('acme', newSecret);
    table.rows.set('newco', newSecret);
    table.down = true;
    advance(5_000);
    const token = encryptAuthToken(newSecret, REQUEST, now);
    const newcoToken = encryptAuthToken(newSecret, REQUEST, now);
    expect(await p.check('acme', newSecret, token)).toBe('AUTH_INVALID');
    expect(await p.check('newco', newSecret, newcoToken)).toBe('AUTH_UNKNOWN_CLIENT');

    table.down = false;
    advance(3_000);
    // The same tokens: refused for the secret, they were never recorded as used.
    expect(await p.check('acme', newSecret, token)).toBe('ok');
    expect(await p.check('newco', newSecret, newcoToken)).toBe('ok');
    expect(await p.check('acme', newSecret, token)).toBe('AUTH_REPLAYED');
  });
});
