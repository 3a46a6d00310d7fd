import { describe, expect, test } from '@jest/globals';
import { ENVIRONMENTS, MAX_DAU } from '../../../../operator/api/v1alpha1.js';
import { brokerNeed, CALIBRATION, componentLoad, HEADROOM, type Calibration } from '../../../../operator/model/sizing/capacity.js';
import { ladderFor, sizeFor } from '../../../../operator/model/sizing/ladder.js';
import { planFor } from '../../../../operator/model/sizing/plan.js';
import { formatPlan } from '../../../../operator/cli/format-plan.js';
import { REGIONS } from '../../../../core/domain.js';

/** The committed calibration with the broker taking in `factor` times less (a slower broker, or much less compressible records). */
function slowerBroker(factor: number): Calibration {
  return {
    ...CALIBRATION,
    version: `broker-slower-${factor}`,
    broker: { ...CALIBRATION.broker, bytesInPerSecond: CALIBRATION.broker.bytesInPerSecond / factor },
  };
}
const SPECS = ENVIRONMENTS.flatMap((environment) => REGIONS.map((region) => ({ environment, region })));

describe('Kafka brokers from the measured broker', () => {
  test('the committed calibration has a measured broker figure with its provenance', () => {
    const b = CALIBRATION.broker;
    expect(b.bytesInPerSecond).toBeGreaterThan(0);
    expect(b.bytesPerRecord).toBeGreaterThan(0);
    expect(b.provenance.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(b.provenance.command).toMatch(/^npm run calibrate/);
  });

  test('the need: the bytes written at the average (min) and the peak (max), times RF, at HEADROOM of one broker, never under RF', () => {
    const cal = slowerBroker(1000);
    const spec = { dau: 1_000_000, environment: 'production', region: 'india' } as const;
    const n = brokerNeed(spec, 3, cal);
    const load = componentLoad(spec.dau, spec.region, 'producer');
    const bytes = (records: number) => records * cal.broker.bytesPerRecord;
    expect(n.bytesIn).toEqual({ min: bytes(load.average.recordsPerSecond), max: bytes(load.peak.recordsPerSecond) });
    const need = (b: number) => Math.max(3, Math.ceil((b * 3) / (cal.broker.bytesInPerSecond * HEADROOM) - 1e-9));
    expect(n.brokers).toEqual({ min: need(n.bytesIn.min), max: need(n.bytesIn.max) });
    expect(n.brokers.max).toBeGreaterThan(n.brokers.min);
    // what the brokers take in at HEADROOM covers the replicated peak
    expect(n.brokers.max * cal.broker.bytesInPerSecond * HEADROOM).toBeGreaterThanOrEqual(n.bytesIn.max * 3);
  });

  test('floors: the replication factor (3 in production, 1 in dev), or what the spec sets', () => {
    expect(sizeFor({ dau: 200_000, environment: 'production', region: 'india' }).brokerBasis.calibrated.brokers.min).toBe(3);
    expect(sizeFor({ dau: 200_000, environment: 'dev', region: 'india' }).brokerBasis.calibrated.brokers.min).toBe(1);
    expect(sizeFor({ dau: 200_000, environment: 'production', region: 'india', kafka: { replicationFactor: 5 } }).kafkaBrokers.min).toBe(5);
  });

  test('the count grows with the load, not the ladder row: two DAUs of one rung, or both above the ladder, differ when their load does', () => {
    const cal = slowerBroker(200);
    // 50,001 and 75,000 DAU share the 75K rung
    expect(ladderFor(50_001).kafkaBrokers).toEqual(ladderFor(75_000).kafkaBrokers);
    const low = sizeFor({ dau: 50_001, environment: 'production', region: 'india' }, cal).kafkaBrokers;
    const high = sizeFor({ dau: 75_000, environment: 'production', region: 'india' }, cal).kafkaBrokers;
    expect(high.max).toBeGreaterThan(low.max);
    // above the ladder every DAU has the top rung; the need alone separates them
    const at = (dau: number) => sizeFor({ dau, environment: 'production', region: 'india' }, slowerBroker(20)).kafkaBrokers;
    expect(at(3_000_000).max).toBeGreaterThan(at(1_000_000).max);
    // the other region writes more records per DAU, so more bytes and more brokers
    const other = sizeFor({ dau: 75_000, environment: 'production', region: 'other' }, cal).kafkaBrokers;
    expect(other.max).toBeGreaterThan(high.max);
  });

  test('the ladder column stays the floor: the seed rows stand with the committed calibration, and 1M DAU is no longer the 100K row scaled', () => {
    expect(sizeFor({ dau: 100_000, environment: 'production', region: 'india' }).kafkaBrokers).toEqual({ min: 3, max: 5 });
    const m = sizeFor({ dau: 1_000_000, environment: 'production', region: 'india' });
    expect(m.brokerBasis.ladder).toEqual({ min: 3, max: 5 });
    expect(m.kafkaBrokers).toEqual({ min: Math.max(3, m.brokerBasis.calibrated.brokers.min), max: Math.max(5, m.brokerBasis.calibrated.brokers.max) });
    expect(m.kafkaBrokers.max).toBeLessThan(30);
  });

  test.each(SPECS)('monotonic in DAU over a dense sweep ($environment, $region), with the committed and a 50x slower broker', (spec) => {
    for (const cal of [CALIBRATION, slowerBroker(50)]) {
      let previous = { min: 0, max: 0 };
      for (let dau = 1; dau <= MAX_DAU; dau += dau < 200_000 ? 997 : 24_989) {
        const b = sizeFor({ dau, ...spec }, cal).kafkaBrokers;
        expect(b.min).toBeLessThanOrEqual(b.max);
        expect(b.min).toBeGreaterThanOrEqual(previous.min);
        expect(b.max).toBeGreaterThanOrEqual(previous.max);
        previous = b;
      }
    }
  });

  test('the plan prints the basis: bytes written, RF, the measured broker, NEED and LADDER', () => {
    const text = formatPlan(planFor({ dau: 1_000_000, environment: 'production', region: 'india' }));
    expect(text).toMatch(/^Kafka brokers \(recommended\): \d+(-\d+)? \(the larger of NEED and LADDER\)$/m);
    expect(text).toMatch(/x RF 3 \(each follower fetches them again\)/);
    expect(text).toMatch(/one broker took in [\d.]+ MiB\/s/);
    expect(text).toMatch(/NEED \d+(-\d+)? .*; LADDER 3-5 \(the 100,000 DAU rung\)/);
    expect(text).not.toMatch(/not calibrated/);
  });
});
