import { ENVIRONMENTS, MAX_DAU, MAX_REPLICAS } from '../../../../operator/api/v1alpha1.js';
import { describe, expect, test } from '@jest/globals';
import { ladderFor, sizeFor, type Range } from '../../../../operator/model/sizing/ladder.js';
import { CALIBRATION, HEADROOM, type Calibration } from '../../../../operator/model/sizing/capacity.js';
import { componentSettings } from '../../../../operator/model/resolve.js';
import { REGIONS } from '../../../../core/domain.js';
import { pipeline } from '../../../support/fixtures.js';

// The seed document's "Scaling Ladder" table, row by row.
const SEED = [
  { dau: 25_000, producer: [1, 3], sms: [1, 4], events: [1, 2], common: [1, 2], brokers: [1, 2] },
  { dau: 50_000, producer: [2, 5], sms: [2, 8], events: [1, 5], common: [1, 5], brokers: [3, 3] },
  { dau: 75_000, producer: [3, 7], sms: [3, 12], events: [2, 7], common: [2, 7], brokers: [3, 3] },
  { dau: 100_000, producer: [4, 10], sms: [4, 16], events: [3, 10], common: [3, 10], brokers: [3, 5] },
] as const;
const range = ([min, max]: readonly [number, number]) => ({ min, max });
const COMPONENTS = ['producer', 'sms', 'events', 'common'] as const;
const SPECS = ENVIRONMENTS.flatMap((environment) => REGIONS.map((region) => ({ environment, region })));

/** The committed calibration with every capacity divided by `factor` (a slower machine's figures). */
function slower(factor: number): Calibration {
  const scale = (p: Calibration['profiles']['production']) => ({
    ...p,
    producer: { ...p.producer, requestsPerSecond: p.producer.requestsPerSecond / factor, recordsPerSecond: p.producer.recordsPerSecond / factor },
    consumers: {
      sms: { ...p.consumers.sms, recordsPerSecond: p.consumers.sms.recordsPerSecond / factor },
      events: { ...p.consumers.events, recordsPerSecond: p.consumers.events.recordsPerSecond / factor },
      common: { ...p.consumers.common, recordsPerSecond: p.consumers.common.recordsPerSecond / factor },
    },
  });
  return {
    ...CALIBRATION,
    version: `slower-${factor}`,
    profiles: { production: scale(CALIBRATION.profiles.production), 'dev-uat': scale(CALIBRATION.profiles['dev-uat']) },
  };
}

describe('DAU ladder', () => {
  test.each(SEED)('the ladder alone reproduces the seed row for $dau DAU', (row) => {
    expect(ladderFor(row.dau)).toEqual({
      dau: row.dau,
      tier: `${row.dau / 1000}k`,
      aboveLadder: false,
      producer: range(row.producer),
      sms: range(row.sms),
      events: range(row.events),
      common: range(row.common),
      kafkaBrokers: range(row.brokers),
    });
  });

  test.each(SEED)('rung agreement: with the committed calibration, every environment and region is sized exactly as the seed row at $dau DAU', (row) => {
    for (const spec of SPECS) {
      const s = sizeFor({ dau: row.dau, ...spec });
      expect({ producer: s.producer, sms: s.sms, events: s.events, common: s.common, brokers: s.kafkaBrokers }).toEqual({
        producer: range(row.producer),
        sms: range(row.sms),
        events: range(row.events),
        common: range(row.common),
        brokers: range(row.brokers),
      });
    }
  });

  test.each([
    [1, '25k'],
    [25_000, '25k'],
    [25_001, '50k'],
    [50_001, '75k'],
    [99_999, '100k'],
    [100_001, '125k'],
    [1_000_000, '1m'],
  ])('between rungs takes the next rung up: %i DAU -> %s', (dau, tier) => {
    expect(ladderFor(dau).tier).toBe(tier);
  });

  test('above 100K the ladder stays at the top rung (no multiplying), brokers included: the measured need grows them', () => {
    expect(ladderFor(1_000_000)).toMatchObject({
      aboveLadder: true,
      producer: { min: 4, max: 10 },
      sms: { min: 4, max: 16 },
      events: { min: 3, max: 10 },
      common: { min: 3, max: 10 },
      kafkaBrokers: { min: 3, max: 5 },
    });
    expect(ladderFor(180_000).kafkaBrokers).toEqual({ min: 3, max: 5 });
  });

  test('rejects a DAU that is not a positive integer', () => {
    expect(() => ladderFor(0)).toThrow(RangeError);
    expect(() => ladderFor(1.5)).toThrow(/positive integer/);
  });
});

describe('calibrated sizing', () => {
  test('each range is the larger of the ladder and the calibrated need, bound by bound', () => {
    for (const dau of [10_000, 100_000, 400_000, 1_000_000, 5_000_000]) {
      for (const spec of SPECS) {
        const s = sizeFor({ dau, ...spec });
        for (const c of COMPONENTS) {
          const b = s.basis[c];
          expect(s[c]).toEqual({ min: Math.max(b.ladder.min, b.calibrated.replicas.min), max: Math.max(b.ladder.max, b.calibrated.replicas.max) });
        }
        expect(s.calibration).toBe(CALIBRATION.version);
      }
    }
  });

  test('the need: min carries the average load, max the peak, each at HEADROOM of a replica', () => {
    const s = sizeFor({ dau: 5_000_000, environment: 'production', region: 'other' });
    for (const c of COMPONENTS) {
      const { load, capacity, replicas } = s.basis[c].calibrated;
      const need = (l: typeof load.peak) =>
        Math.max(1, Math.ceil(Math.max(l.requestsPerSecond / capacity.requestsPerSecond, l.recordsPerSecond / capacity.recordsPerSecond) / HEADROOM - 1e-9));
      expect(replicas).toEqual({ min: need(load.average), max: need(load.peak) });
      // what the replicas carry at HEADROOM covers the load
      expect(replicas.max * capacity.recordsPerSecond * HEADROOM).toBeGreaterThanOrEqual(load.peak.recordsPerSecond);
      expect(replicas.min * capacity.recordsPerSecond * HEADROOM).toBeGreaterThanOrEqual(load.average.recordsPerSecond);
    }
  });

  test('above the ladder a slower calibration sizes by its need, not by multiplying the 100K row', () => {
    const cal = slower(1000);
    const s = sizeFor({ dau: 1_000_000, environment: 'production', region: 'india' }, cal);
    for (const c of COMPONENTS) {
      expect(s[c].max).toBe(s.basis[c].calibrated.replicas.max);
      expect(s[c].max).toBeGreaterThan(10);
    }
    // the 1M peak at a thousandth of the measured capacity: ceil(peak / (capacity / 1000) / HEADROOM), requests or records
    const p = s.basis.producer.calibrated;
    const peakNeed = Math.max(p.load.peak.requestsPerSecond / p.capacity.requestsPerSecond, p.load.peak.recordsPerSecond / p.capacity.recordsPerSecond);
    expect(s.producer.max).toBe(Math.ceil(peakNeed / HEADROOM - 1e-9));
  });

  test.each(SPECS)('monotonic in DAU over a dense sweep ($environment, $region), with the committed and a 50x slower calibration', (spec) => {
    for (const cal of [CALIBRATION, slower(50)]) {
      let previous: Record<string, Range> | undefined;
      for (let dau = 1; dau <= MAX_DAU; dau += dau < 200_000 ? 997 : 24_989) {
        const s = sizeFor({ dau, ...spec }, cal);
        const p = pipeline({ dau, ...spec });
        const now: Record<string, Range> = Object.fromEntries(COMPONENTS.map((c) => [c, componentSettings(p.spec, s, c).replicas]));
        for (const c of COMPONENTS) {
          expect(now[c]!.min).toBeLessThanOrEqual(now[c]!.max);
          if (previous) {
            expect(now[c]!.min).toBeGreaterThanOrEqual(previous[c]!.min);
            expect(now[c]!.max).toBeGreaterThanOrEqual(previous[c]!.max);
          }
        }
        previous = now;
      }
    }
  });

  test('the highest DAU a spec may state is sized within the replica cap', () => {
    for (const spec of SPECS) {
      const s = sizeFor({ dau: MAX_DAU, ...spec });
      for (const c of COMPONENTS) expect(s[c].max).toBeLessThanOrEqual(MAX_REPLICAS);
    }
  });
});

describe('production Producer API floor', () => {
  const producer = (spec: Parameters<typeof pipeline>[0]) => {
    const p = pipeline(spec);
    return componentSettings(p.spec, sizeFor(p.spec), 'producer').replicas;
  };

  test('a production producer never runs as one pod (a drain would stop ingestion); the ladder stands elsewhere', () => {
    expect(producer({ dau: 25_000, environment: 'production' })).toEqual({ min: 2, max: 3 });
    expect(producer({ dau: 25_000, environment: 'uat' })).toEqual({ min: 1, max: 3 });
    expect(producer({ dau: 100_000, environment: 'production' })).toEqual({ min: 4, max: 10 });
    // nor when the spec asks for fewer: its bounds are raised to the floor
    expect(producer({ dau: 25_000, environment: 'production', producer: { minReplicas: 1 } })).toEqual({ min: 2, max: 3 });
    expect(producer({ dau: 25_000, environment: 'production', producer: { minReplicas: 0, maxReplicas: 1 } })).toEqual({ min: 2, max: 2 });
    expect(producer({ dau: 100_000, environment: 'production', producer: { minReplicas: 3, maxReplicas: 3 } })).toEqual({ min: 3, max: 3 });
    expect(producer({ dau: 25_000, environment: 'uat', producer: { minReplicas: 1, maxReplicas: 1 } })).toEqual({ min: 1, max: 1 });
    const sms = pipeline({ dau: 25_000, environment: 'production' });
    expect(componentSettings(sms.spec, sizeFor(sms.spec), 'sms').replicas).toEqual({ min: 1, max: 4 });
  });
});
