import { describe, expect, test } from '@jest/globals';
import { dauBeyondTraffic, overProvisioning } from '../../../../operator/model/sizing/guard-rails.js';
import { sizeFor } from '../../../../operator/model/sizing/ladder.js';
import { resolveSizing } from '../../../../operator/model/resolve.js';
import { pipeline } from '../../../support/fixtures.js';

const findings = (spec: Parameters<typeof pipeline>[0]) => {
  const p = pipeline(spec);
  return overProvisioning(resolveSizing(p.spec));
};

describe('guard rails: asking for more than the model finds useful', () => {
  test('a spec within the model has no findings, overrides included', () => {
    expect(findings({ dau: 100_000 })).toEqual([]);
    expect(findings({ dau: 100_000, producer: { minReplicas: 10, maxReplicas: 40 }, consumers: { sms: { maxReplicas: 32 } } })).toEqual([]);
    expect(findings({ dau: 100_000, kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 64 } } } })).toEqual([]);
  });

  test('a minimum above what the peak needs: pods that idle even at peak', () => {
    expect(findings({ dau: 100_000, producer: { minReplicas: 40 } })).toEqual([
      'producer.minReplicas 40 is above the 10 replicas the model plans for the 100,000 DAU peak: at least 30 pods would idle even at peak',
    ]);
  });

  test('a maximum far beyond the plan (an extra zero) and partitions that can never come back down', () => {
    expect(
      findings({
        dau: 50_000,
        consumers: { events: { maxReplicas: 50 } },
        kafka: { bootstrapServers: ['k:9092'], topics: { events_log: { partitions: 200 } } },
      }),
    ).toEqual([
      'consumers.events.maxReplicas 50 is more than 4x the 5 the model plans for the 50,000 DAU peak',
      "kafka.topics.events_log.partitions 200 is more than 4x the 20 the model plans (the seed's count or the consumer's max replicas), and partitions can never be decreased",
    ]);
  });

  test('small absolute excesses are not flagged (a margin of 4 replicas)', () => {
    // 25K: events max 2; 8 is 4x but only 6 more
    expect(findings({ dau: 25_000, consumers: { events: { maxReplicas: 8 } } })).toEqual([]);
    expect(findings({ dau: 25_000, consumers: { events: { maxReplicas: 9 } } })).toHaveLength(1);
  });

  test('a CPU request above what one process can use', () => {
    expect(findings({ producer: { resources: { requests: { cpu: '3' } } } })).toEqual([
      'producer requests 3 CPU, but one workload process uses at most 1 core: the rest stays idle (add replicas instead)',
    ]);
    expect(findings({ producer: { resources: { requests: { cpu: '1' } } } })).toEqual([]);
  });
});

describe('guard rails: a DAU far above the traffic read', () => {
  const sizing = sizeFor({ dau: 1_000_000, environment: 'production', region: 'india' });
  const day = 24 * 3600_000;
  // the model's day average for 1M DAU in India: 601 records per DAU per day, 6,956 records/s
  test('needs a whole day of readings', () => {
    expect(dauBeyondTraffic(sizing, { dau: 1_000_000, since: 0, busiestRecordsPerMinute: 60 }, day - 1)).toBeUndefined();
    expect(dauBeyondTraffic(sizing, { dau: 1_000_000, since: 0, busiestRecordsPerMinute: 60 }, day)).toContain('dau 1,000,000');
  });

  test('a busiest rate of a tenth of the average or more is traffic the DAU may well have', () => {
    expect(dauBeyondTraffic(sizing, { dau: 1_000_000, since: 0, busiestRecordsPerMinute: 696 * 60 }, day)).toBeUndefined();
    expect(dauBeyondTraffic(sizing, { dau: 1_000_000, since: 0, busiestRecordsPerMinute: 690 * 60 }, day)).toBe(
      'dau 1,000,000: in a day or more of readings the busiest produce rate was about 690 records/s, under a tenth of the 7,000 records/s the model expects on average for that DAU (a typo?)',
    );
  });
});
