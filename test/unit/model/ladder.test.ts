import { MAX_DAU, MAX_REPLICAS } from '../../../operator/api/v1alpha1.js';
import { describe, expect, test } from '@jest/globals';
import { sizeForDau } from '../../../operator/model/ladder.js';
import { componentSettings } from '../../../operator/model/defaults.js';
import { pipeline } from '../../support/fixtures.js';

// The seed document's "Scaling Ladder" table, row by row.
const SEED = [
  { dau: 25_000, producer: [1, 3], sms: [1, 4], events: [1, 2], common: [1, 2], brokers: [1, 2] },
  { dau: 50_000, producer: [2, 5], sms: [2, 8], events: [1, 5], common: [1, 5], brokers: [3, 3] },
  { dau: 75_000, producer: [3, 7], sms: [3, 12], events: [2, 7], common: [2, 7], brokers: [3, 3] },
  { dau: 100_000, producer: [4, 10], sms: [4, 16], events: [3, 10], common: [3, 10], brokers: [3, 5] },
] as const;
const range = ([min, max]: readonly [number, number]) => ({ min, max });

describe('DAU ladder', () => {
  test.each(SEED)('reproduces the seed row for $dau DAU', (row) => {
    const s = sizeForDau(row.dau);
    expect(s).toEqual({
      tier: `${row.dau / 1000}k`,
      extrapolated: false,
      sizedForDau: row.dau,
      producer: range(row.producer),
      sms: range(row.sms),
      events: range(row.events),
      common: range(row.common),
      kafkaBrokers: range(row.brokers),
    });
  });

  test.each([
    [1, '25k'],
    [25_000, '25k'],
    [25_001, '50k'],
    [50_001, '75k'],
    [99_999, '100k'],
  ])('between rungs takes the next rung up: %i DAU -> %s', (dau, tier) => {
    expect(sizeForDau(dau).tier).toBe(tier);
  });

  test('above 100K scales the 100K row by the next 25K step / 100K, rounding up', () => {
    // 100,001 -> 125K step, x1.25: producer 4-10 -> 5-13 (12.5 up), sms 4-16 -> 5-20
    expect(sizeForDau(100_001)).toMatchObject({
      tier: '125k',
      extrapolated: true,
      sizedForDau: 125_000,
      producer: { min: 5, max: 13 },
      sms: { min: 5, max: 20 },
      events: { min: 4, max: 13 },
      kafkaBrokers: { min: 4, max: 7 },
    });
    // 180,000 -> 200K step, x2
    expect(sizeForDau(180_000)).toMatchObject({ tier: '200k', producer: { min: 8, max: 20 }, sms: { min: 8, max: 32 }, common: { min: 6, max: 20 } });
    // 1M DAU, x10
    expect(sizeForDau(1_000_000)).toMatchObject({
      tier: '1m',
      producer: { min: 40, max: 100 },
      sms: { min: 40, max: 160 },
      kafkaBrokers: { min: 30, max: 50 },
    });
  });

  test('the extrapolation never sizes below the top rung and grows monotonically', () => {
    let previous = sizeForDau(100_000);
    for (let dau = 100_000; dau <= 2_000_000; dau += 12_345) {
      const s = sizeForDau(dau);
      for (const c of ['producer', 'sms', 'events', 'common', 'kafkaBrokers'] as const) {
        expect(s[c].min).toBeGreaterThanOrEqual(previous[c].min);
        expect(s[c].max).toBeGreaterThanOrEqual(previous[c].max);
        expect(s[c].min).toBeLessThanOrEqual(s[c].max);
      }
      previous = s;
    }
  });

  test('rejects a DAU that is not a positive integer', () => {
    expect(() => sizeForDau(0)).toThrow(RangeError);
    expect(() => sizeForDau(1.5)).toThrow(/positive integer/);
  });

  test('the highest DAU a spec may state is the highest the ladder sizes within the replica cap', () => {
    const within = sizeForDau(MAX_DAU);
    for (const c of ['producer', 'sms', 'events', 'common'] as const) expect(within[c].max).toBeLessThanOrEqual(MAX_REPLICAS);
    expect(within.sms.max).toBe(MAX_REPLICAS);
    expect(sizeForDau(MAX_DAU + 1).sms.max).toBeGreaterThan(MAX_REPLICAS);
  });
});

describe('production Producer API floor', () => {
  const producer = (spec: Parameters<typeof pipeline>[0]) => {
    const p = pipeline(spec);
    return componentSettings(p.spec, sizeForDau(p.spec.dau), 'producer').replicas;
  };

  test('a production producer never runs as one pod (a drain would stop ingestion); the ladder stands elsewhere', () => {
    expect(producer({ dau: 25_000, environment: 'production' })).toEqual({ min: 2, max: 3 });
    expect(producer({ dau: 25_000, environment: 'uat' })).toEqual({ min: 1, max: 3 });
    expect(producer({ dau: 100_000, environment: 'production' })).toEqual({ min: 4, max: 10 });
    expect(producer({ dau: 25_000, environment: 'production', producer: { minReplicas: 1 } })).toEqual({ min: 1, max: 3 });
    const sms = pipeline({ dau: 25_000, environment: 'production' });
    expect(componentSettings(sms.spec, sizeForDau(25_000), 'sms').replicas).toEqual({ min: 1, max: 4 });
  });
});
