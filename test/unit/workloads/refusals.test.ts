// The aggregation of refused requests into unauthorized_requests rows: one row per claimed
// client id, address, reason and minute, with a count, and a bound on the keys held.
import { describe, expect, test } from '@jest/globals';
import { OVERFLOW_REASON, RefusalAggregator, type Refusal } from '../../../workloads/producer/refusals.js';
import type { RefusalRow } from '../../../core/audit-message.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

const refusal = (over: Partial<Refusal> = {}): Refusal => ({
  clientId: 'acme',
  address: '10.0.0.1',
  reason: 'AUTH_INVALID',
  requestId: 'r-1',
  authToken: 'bogus',
  summary: '{"reason":"AUTH_INVALID"}',
  at: new Date(T0 + 5_000),
  ...over,
});

/** Rows without their kind and random id, their time as a Date. */
const named = (rows: RefusalRow[]) => rows.map(({ kind: _kind, id: _id, created_at, ...r }) => ({ ...r, created_at: new Date(created_at) }));

describe('RefusalAggregator', () => {
  test('a shorter window counts over that window', () => {
    const a = new RefusalAggregator(10, undefined, 10_000);
    a.add(refusal({ at: new Date(T0 + 1000) }));
    a.add(refusal({ at: new Date(T0 + 9000) }));
    a.add(refusal({ at: new Date(T0 + 11_000) }));
    expect(named(a.drain()).map((r) => [r.count, r.created_at])).toEqual([
      [2, new Date(T0)],
      [1, new Date(T0 + 10_000)],
    ]);
  });

  test('the same key within a minute is one row with its count, dated the minute, the first request as sample', () => {
    const a = new RefusalAggregator(10);
    for (let i = 0; i < 50; i++) a.add(refusal({ requestId: `r-${i}`, at: new Date(T0 + i * 1000) }));
    const rows = named(a.drain());
    expect(rows).toEqual([
      {
        client_id: 'acme',
        source_address: '10.0.0.1',
        reason: 'AUTH_INVALID',
        request_id: 'r-0',
        auth_token: 'bogus',
        req_body: '{"reason":"AUTH_INVALID"}',
        count: 50,
        created_at: new Date(T0),
      },
    ]);
    expect(a.drain()).toEqual([]);
  });

  test('another minute, client id, address or reason is another row', () => {
    const a = new RefusalAggregator(10);
    a.add(refusal());
    a.add(refusal({ at: new Date(T0 + 61_000) }));
    a.add(refusal({ clientId: 'other' }));
    a.add(refusal({ clientId: undefined }));
    a.add(refusal({ address: '10.0.0.2' }));
    a.add(refusal({ reason: 'AUTH_REPLAYED' }));
    a.add(refusal());
    const rows = named(a.drain());
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.count as number).reduce((x, y) => x + y)).toBe(7);
    expect(rows.filter((r) => (r.created_at as Date).getTime() === T0 + 60_000)).toHaveLength(1);
    expect(rows.find((r) => r.client_id === null)).toMatchObject({ count: 1, reason: 'AUTH_INVALID' });
  });

  test('a minute is drained only once it is over, so a key gives one row per minute however often it is drained', () => {
    const a = new RefusalAggregator(10);
    a.add(refusal({ at: new Date(T0 + 1000) }));
    expect(a.drain(new Date(T0 + 2000))).toEqual([]);
    a.add(refusal({ at: new Date(T0 + 59_000) }));
    a.add(refusal({ at: new Date(T0 + 60_500) }));
    expect(named(a.drain(new Date(T0 + 61_000)))).toEqual([expect.objectContaining({ count: 2, created_at: new Date(T0) })]);
    expect(named(a.drain(new Date(T0 + 120_000)))).toEqual([expect.objectContaining({ count: 1, created_at: new Date(T0 + 60_000) })]);
  });

  test('keys beyond the bound are dropped, counted, and their refusals summed in the minute’s overflow row', () => {
    let dropped = 0;
    const a = new RefusalAggregator(3, (n) => (dropped += n));
    for (let i = 0; i < 10; i++) a.add(refusal({ clientId: `c-${i}`, requestId: `r-${i}` }));
    // A key already held still counts, bound or not.
    a.add(refusal({ clientId: 'c-0' }));
    a.add(refusal({ clientId: 'c-9', at: new Date(T0 + 70_000) }));
    expect(a.size).toBe(3);
    expect(dropped).toBe(8);
    const rows = named(a.drain());
    expect(rows.filter((r) => r.reason !== OVERFLOW_REASON).map((r) => [r.client_id, r.count])).toEqual([
      ['c-0', 2],
      ['c-1', 1],
      ['c-2', 1],
    ]);
    expect(rows.filter((r) => r.reason === OVERFLOW_REASON)).toEqual([
      expect.objectContaining({ client_id: null, source_address: null, auth_token: null, request_id: 'r-3', count: 7, created_at: new Date(T0) }),
      expect.objectContaining({ count: 1, created_at: new Date(T0 + 60_000) }),
    ]);
    expect(rows.map((r) => r.count as number).reduce((x, y) => x + y)).toBe(12);
    // Drained keys free the bound.
    a.add(refusal({ clientId: 'c-new' }));
    expect(named(a.drain())).toEqual([expect.objectContaining({ client_id: 'c-new', count: 1 })]);
  });
});
