import { describe, expect, test } from '@jest/globals';
import { decideFlow, withinTolerance, type FlowMemory, type FlowSample } from '../../../operator/model/flow.js';

const GROUPS = { sms: 'sms-consumer-group' };
const sample = (at: number, behind: number, produced = 0): FlowSample => ({ at, lag: { sms: { sms_batched: behind } }, produced });

describe('consumer lag and flow', () => {
  test('a change within 100 records or 10 % is not worth reporting; to or from zero always is', () => {
    expect(withinTolerance(1000, 1090)).toBe(true);
    expect(withinTolerance(5000, 5600)).toBe(false);
    expect(withinTolerance(50, 140)).toBe(true);
    expect(withinTolerance(0, 1)).toBe(false);
    expect(withinTolerance(3, 0)).toBe(false);
  });

  test('rate from the end offsets of two readings; the reported figures stay put while steady', () => {
    let memory: FlowMemory = {};
    const first = decideFlow(sample(0, 10, 1000), GROUPS, undefined, memory, 60_000);
    expect(first.flow).toEqual({
      lag: 10,
      groups: [{ consumer: 'sms', group: 'sms-consumer-group', lag: 10, topics: [{ name: 'sms_batched', lag: 10 }] }],
      observedAt: '1970-01-01T00:00:00Z',
    });
    memory = first.memory;
    const second = decideFlow(sample(30_000, 10, 31_000), GROUPS, first.flow, memory, 60_000);
    expect(second.flow.recordsPerMinute).toBe(60_000);
    const third = decideFlow(sample(60_000, 12, 61_500), GROUPS, second.flow, second.memory, 60_000);
    expect(third.flow).toBe(second.flow); // 12 vs 10 records, 60,000 vs 61,000 per minute: same report
    expect(third.lagging).toEqual({ status: 'False', reason: 'KeepingUp', message: 'the consumers keep up (lag not growing)' });
  });

  test('Lagging only after lag has grown reading after reading for the whole threshold; a dip resets it', () => {
    let m: FlowMemory = {};
    const step = (at: number, behind: number) => {
      const d = decideFlow(sample(at, behind), GROUPS, undefined, m, 60_000);
      m = d.memory;
      return d.lagging;
    };
    step(0, 100);
    expect(step(30_000, 200).status).toBe('False');
    expect(step(60_000, 300)).toEqual({ status: 'True', reason: 'LagGrowing', message: 'consumer lag has grown since 1970-01-01T00:00:00Z' });
    expect(step(90_000, 250).status).toBe('False');
    expect(step(120_000, 400).status).toBe('False');
  });
});
