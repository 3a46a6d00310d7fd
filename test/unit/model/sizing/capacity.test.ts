import { describe, expect, test } from '@jest/globals';
import { CALIBRATION, capacityNeeds, componentLoad, dailyPerDau, producerRecordsPerRequest } from '../../../../operator/model/sizing/capacity.js';
import { podResourcesFor } from '../../../../operator/model/sizing/profile.js';
import { peakLoad, planFor } from '../../../../operator/model/sizing/plan.js';

describe('workload model by component', () => {
  test("the sources add up to docs/workload-model.md's daily totals", () => {
    expect(dailyPerDau('india').requests).toBeCloseTo(13.3, 9);
    expect(dailyPerDau('india').records).toBe(601);
    expect(dailyPerDau('other').requests).toBeCloseTo(20.3, 9);
    expect(dailyPerDau('other').records).toBe(1021);
    expect(producerRecordsPerRequest('india')).toBe(45);
  });

  test.each(['india', 'other'] as const)('%s: the consumers together carry every record the producer takes; the peak is 3x the average', (region) => {
    const producer = componentLoad(1_000_000, region, 'producer');
    const consumers = (['sms', 'events', 'common'] as const).reduce((n, c) => n + componentLoad(1_000_000, region, c).peak.recordsPerSecond, 0);
    expect(consumers).toBeCloseTo(producer.peak.recordsPerSecond, 6);
    expect(producer.peak.recordsPerSecond).toBeCloseTo(producer.average.recordsPerSecond * 3, 6);
    expect(Math.round(producer.peak.requestsPerSecond)).toBe(peakLoad(1_000_000, region).requestsPerSecond);
  });
});

describe('committed calibration', () => {
  test('was measured at the CPU request each profile renders today (re-run `npm run calibrate -- --write` after changing one)', () => {
    expect(CALIBRATION.profiles.production.cpuRequest).toBe(podResourcesFor('production').requests.cpu);
    expect(CALIBRATION.profiles['dev-uat'].cpuRequest).toBe(podResourcesFor('uat').requests.cpu);
  });

  test('carries its provenance and positive figures', () => {
    const p = CALIBRATION.provenance;
    expect(CALIBRATION.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\S+$/);
    expect(p.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(p.cores).toBeGreaterThan(0);
    expect(p.command).toMatch(/^npm run calibrate/);
    expect(p.cpuLimit).toMatch(/cgroup/);
    expect(Object.keys(p.versions)).toEqual(expect.arrayContaining(['node', 'kafkajs', 'kafka', 'postgres', 'ferretdb']));
    for (const profile of Object.values(CALIBRATION.profiles)) {
      expect(profile.producer.requestsPerSecond).toBeGreaterThan(0);
      expect(profile.producer.p99Ms).toBeLessThan(50);
      for (const c of Object.values(profile.consumers)) expect(c.recordsPerSecond).toBeGreaterThan(0);
    }
  });
});

describe('the single consumer layout', () => {
  test.each(['india', 'other'] as const)(
    '%s: one consumer over every topic needs, at any load, what the split consumers need together (before rounding up)',
    (region) => {
      for (const dau of [20_000, 250_000, 2_000_000]) {
        const spec = { dau, environment: 'production' as const, region };
        const needs = capacityNeeds(spec);
        const exact = (c: 'sms' | 'events' | 'common' | 'all') => needs[c].load.peak.recordsPerSecond / needs[c].capacity.recordsPerSecond;
        expect(exact('all')).toBeCloseTo(exact('sms') + exact('events') + exact('common'), 9);
        expect(needs.all.replicas.max).toBeLessThanOrEqual(needs.sms.replicas.max + needs.events.replicas.max + needs.common.replicas.max);
      }
    },
  );

  test('a small dev pipeline: the plan shows the single layout requesting less at the floor, and the consumers it would run', () => {
    const split = planFor({ dau: 20_000, environment: 'dev', region: 'india' });
    expect(split.components.map((c) => c.name)).toEqual(['producer', 'sms', 'events', 'common']);
    expect(split.consumersByLayout.single.vcpu.min).toBeLessThan(split.consumersByLayout.split.vcpu.min);
    const single = planFor({ dau: 20_000, environment: 'dev', region: 'india', consumers: { layout: 'single' } });
    expect(single.components.map((c) => c.name)).toEqual(['producer', 'all']);
    expect(single.consumersByLayout).toEqual(split.consumersByLayout);
    expect(single.total.vcpu.min).toBeLessThan(split.total.vcpu.min);
  });
});
