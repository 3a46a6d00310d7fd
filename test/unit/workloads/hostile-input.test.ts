// The pure parts of the hostile-input defences: what the Producer API refuses as unstorable,
// how request text is cleaned for audit rows, and how sink errors are classified by code.
import { describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { BSON, MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { findUnstorable, isStorable, locateUnstorable, MAX_JSON_DEPTH } from '../../../core/storable.js';
import { isPermanentPgError } from '../../../core/pg-errors.js';
import { auditText } from '../../../workloads/producer/audit.js';
import { permanentSinkFailure } from '../../../workloads/consumer/sink-errors.js';

const pgError = (code: string) => Object.assign(new pg.DatabaseError('refused', 0, 'error'), { code });

describe('findUnstorable', () => {
  test('accepts what every sink stores', () => {
    expect(findUnstorable({ a: [1, 'x', null, { b: true, 'c-d': 'é\u{1F600}' }] })).toBeUndefined();
  });

  test.each([
    [{ records: [{ v: 'a\u0000b' }] }, 'body.records[0].v', 'nul-in-string'],
    [{ records: [{ meta: { $where: 1 } }] }, 'body.records[0].meta["$where"]', 'bad-key'],
    [{ records: [{ 'a.b': 1 }] }, 'body.records[0]["a.b"]', 'bad-key'],
    [{ ['x\u0000']: 1 }, 'body["x\\u0000"]', 'bad-key'],
    // stored as U+FFFD by both databases' drivers: not what was acknowledged
    [{ records: [{ v: 'a\ud800b' }] }, 'body.records[0].v', 'lone-surrogate'],
    [{ records: [['ok', '\udc00']] }, 'body.records[0][1]', 'lone-surrogate'],
    [{ records: [{ ['k\udbff']: 1 }] }, 'body.records[0]["k\\udbff"]', 'lone-surrogate'],
    // JSON.parse gives Infinity for these, which JSON.stringify then writes as null
    [JSON.parse('{"records":[{"amount":1e400}]}') as unknown, 'body.records[0].amount', 'non-finite-number'],
    [JSON.parse('{"records":[[-1e999]]}') as unknown, 'body.records[0][0]', 'non-finite-number'],
  ])('%j -> %s (%s)', (doc, path, problem) => {
    expect(findUnstorable(doc)).toMatchObject({ path, problem });
  });

  test('a surrogate pair (an emoji) and the largest finite double are stored as they are', () => {
    expect(findUnstorable({ records: [{ v: 'ok \u{1F600}', n: 1.7976931348623157e308, m: -5e-324, ['\u{1F600}']: 1 }] })).toBeUndefined();
  });

  test('the path-free first pass and the path-naming walk agree on 10,000 generated documents', () => {
    // A small deterministic generator (mulberry32), so a failure names a reproducible seed.
    let seed = 0x5eed;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    // mostly harmless pieces, each kind of problem now and then
    const strings = ['', 'a', 'text', '\u{1F600}', 'é', 'a\u0000', '\ud800', 'x\udfff', '\ud83d\ude00'];
    const keys = ['id', 'body', 'a-b', 'é', '$where', 'a.b', 'k\u0000', 'k\ud800', '_x'];
    const numbers = [0, 1, -1, 3.5, 1e308, Infinity, -Infinity];
    const gen = (depth: number): unknown => {
      const r = rnd();
      if (depth > 36 || r < 0.35) return r < 0.12 ? pick(strings) : r < 0.24 ? pick(numbers) : pick([null, true, false]);
      if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(keys), gen(depth + 1)]));
    };
    const counts = { storable: 0, unstorable: 0 };
    for (let i = 0; i < 10_000; i++) {
      const doc = gen(1);
      const fast = isStorable(doc, 8);
      const located = locateUnstorable(doc, 'body', 8);
      if (fast !== (located === undefined)) throw new Error(`the walks disagree on document ${i}: ${JSON.stringify(doc)}`);
      counts[fast ? 'storable' : 'unstorable']++;
    }
    // both outcomes were exercised plenty
    expect(counts.storable).toBeGreaterThan(1000);
    expect(counts.unstorable).toBeGreaterThan(1000);
  });

  test('several problems: the first in document order is named, whatever its kind', () => {
    const doc = { records: [{ ok: 'x', nested: { deep: ['fine', 'a\u0000'] } }, { $bad: 1 }], tail: 'b\u0000' };
    expect(findUnstorable(doc)).toMatchObject({ path: 'body.records[0].nested.deep[1]', problem: 'nul-in-string' });
    expect(findUnstorable({ a: [[[1]]], b: '\u0000' }, 'body', 3)).toMatchObject({ path: 'body.a[0][0]', problem: 'too-deep' });
    // A problem anywhere is found, the only one being last of many storable values.
    const many = { records: Array.from({ length: 500 }, (_, i) => ({ id: i, body: 'text', tags: ['a', 'b'] })) };
    expect(findUnstorable(many)).toBeUndefined();
    many.records[499]!.tags.push('\u0000');
    expect(findUnstorable(many)).toMatchObject({ path: 'body.records[499].tags[2]', problem: 'nul-in-string' });
  });

  test('nesting: the limit is allowed, one more is refused, and 200,000 levels do not overflow the stack', () => {
    const nest = (n: number): unknown => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(findUnstorable(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findUnstorable(nest(MAX_JSON_DEPTH + 1))).toMatchObject({ problem: 'too-deep' });
    expect(findUnstorable({ x: nest(200_000) })).toMatchObject({ problem: 'too-deep' });
  });
});

describe('auditText', () => {
  test('replaces control characters and unpaired surrogates, bounds the length, keeps absent as absent', () => {
    expect(auditText('sync/\u0000\u001f\u007f', 64)).toBe('sync/\ufffd\ufffd\ufffd');
    expect(auditText('a\ud800b\udc00c\u{1F600}', 64)).toBe('a\ufffdb\ufffdc\u{1F600}');
    expect(auditText('x'.repeat(100), 72)).toHaveLength(72);
    expect(auditText(undefined, 10)).toBeUndefined();
  });
});

describe('sink errors by driver code', () => {
  test.each(['22021', '22P05', '23502', '23514', '54000'])('PostgreSQL SQLSTATE %s is permanent', (code) => {
    expect(isPermanentPgError(pgError(code))).toBe(true);
    expect(permanentSinkFailure(pgError(code))).toContain(`SQLSTATE ${code}`);
  });

  test.each(['08006', '57P01', '53300', '40001', '42P01', 'XX000'])('PostgreSQL SQLSTATE %s is transient', (code) => {
    expect(permanentSinkFailure(pgError(code))).toBeUndefined();
  });

  test('a connection error without SQLSTATE is transient', () => {
    expect(permanentSinkFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  test.each([2, 52, 57, 121, 10334])('MongoDB code %i is permanent', (code) => {
    expect(permanentSinkFailure(new MongoServerError({ code, errmsg: 'refused' }))).toContain(`code ${code}`);
  });

  test.each([91, 189, 10107, 11600, 50])('MongoDB code %i is transient', (code) => {
    expect(permanentSinkFailure(new MongoServerError({ code, errmsg: 'not now' }))).toBeUndefined();
  });

  test('network errors are transient; what the BSON encoder refuses is permanent', () => {
    expect(permanentSinkFailure(new MongoNetworkError('connection reset'))).toBeUndefined();
    expect(permanentSinkFailure(new BSON.BSONError('key must not contain null bytes'))).toContain('cannot encode');
  });

  test('a bulk write is permanent only when every non-duplicate write error is', () => {
    const bulk = (codes: number[]) =>
      new MongoBulkWriteError(
        { message: 'bulk', code: codes[0]!, writeErrors: codes.map((code, index) => ({ code, index, errmsg: 'x' })) } as never,
        { insertedCount: 0 } as never,
      );
    expect(permanentSinkFailure(bulk([11000, 2]))).toContain('code 2');
    expect(permanentSinkFailure(bulk([2, 91]))).toBeUndefined();
    expect(permanentSinkFailure(bulk([11000]))).toBeUndefined();
  });
});
