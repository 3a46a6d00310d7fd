import { describe, expect, test } from '@jest/globals';
import { DigestSet, digestOf } from '../../../../workloads/producer/digest-set.js';

describe('DigestSet', () => {
  test('a key is added once; it is there afterwards, others are not', () => {
    const s = new DigestSet(4);
    expect(s.add(digestOf('acme:n1'))).toBe(true);
    expect(s.add(digestOf('acme:n1'))).toBe(false);
    expect(s.has(digestOf('acme:n1'))).toBe(true);
    expect(s.has(digestOf('acme:n2'))).toBe(false);
    expect(s.has(digestOf(''))).toBe(false);
    expect(s.add(digestOf(''))).toBe(true);
    expect(s.has(digestOf(''))).toBe(true);
    expect(s.size).toBe(2);
  });

  test('holds every key through its growth, as a Set would', () => {
    const s = new DigestSet(2);
    const reference = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const key = `client-${i % 97}:${(i * 7919) % 40_000}`;
      expect(s.add(digestOf(key))).toBe(!reference.has(key));
      reference.add(key);
    }
    expect(s.size).toBe(reference.size);
    for (const key of reference) expect(s.has(digestOf(key))).toBe(true);
    for (let i = 0; i < 1000; i++) expect(s.has(digestOf(`absent-${i}`))).toBe(false);
  });
});
