import { describe, expect, test } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import { laneOf } from '../../../workloads/producer/kafka-sink.js';
import { decodeBody, RequestError } from '../../../workloads/producer/payload.js';
import { gzipSync } from 'node:zlib';

describe('producer lanes', () => {
  test('one key always takes the same lane (per-user order); keys spread over the lanes', () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `client-${i % 7}:user-${i}`);
    for (const k of keys.slice(0, 50)) expect(laneOf(k, 4)).toBe(laneOf(Buffer.from(k), 4));
    const counts = [0, 0, 0, 0];
    for (const k of keys) counts[laneOf(k, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800); // 1000 each if perfectly even
    expect(laneOf('anything', 1)).toBe(0);
    expect(laneOf(null, 4)).toBe(0);
  });
});

describe('decodeBody gunzip', () => {
  const limits = { maxBodyBytes: 1 << 20, maxDecompressedBytes: 2 << 20, maxRecords: 10 };
  test('small bodies (inflated on the calling thread) and large ones (on the pool) decode the same', async () => {
    const small = { records: [{ a: 1 }] };
    expect(await decodeBody(gzipSync(JSON.stringify(small)), 'application/json', 'gzip', limits)).toEqual(small);
    const large = { records: [{ pad: 'x'.repeat(1_000_000) }] }; // > 256 KiB out: the async path
    expect(await decodeBody(gzipSync(JSON.stringify(large)), 'application/json', 'gzip', limits)).toEqual(large);
  });

  test('a gzip bomb stops at the decompressed limit with DECOMPRESSED_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(10 << 20, 0x20));
    expect(gunzipSync(bomb).length).toBe(10 << 20);
    await expect(decodeBody(bomb, 'application/json', 'gzip', limits)).rejects.toMatchObject({ status: 413, code: 'DECOMPRESSED_TOO_LARGE' });
    await expect(decodeBody(Buffer.from('not gzip'), 'application/json', 'gzip', limits)).rejects.toBeInstanceOf(RequestError);
  });
});
