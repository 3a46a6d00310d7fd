import { describe, expect, test } from '@jest/globals';
import { describeRewind, rewindPlan, rewindStopping, wantedRewind, type RewindRequest } from '../../../../operator/model/kafka/rewind.js';

const now = new Date('2026-12-06T12:00:00Z');
const value = (o: unknown) => JSON.stringify(o);

describe('wantedRewind', () => {
  test('a valid request, with an optional id to ask for the same rewind again', () => {
    const v = value({ consumer: 'sms', toTime: '2026-12-01T10:00:00+05:30', id: 'again' });
    expect(wantedRewind(v, undefined, 'split', now)).toEqual({
      request: { value: v, consumer: 'sms', toTime: '2026-12-01T10:00:00+05:30', toMs: Date.parse('2026-12-01T04:30:00Z') },
    });
  });

  test('absent, empty, or already done (completed or refused): nothing', () => {
    const v = value({ consumer: 'sms', toTime: '2026-12-01T10:00:00Z' });
    expect(wantedRewind(undefined, undefined, 'split', now)).toBeUndefined();
    expect(wantedRewind(' ', undefined, 'split', now)).toBeUndefined();
    expect(wantedRewind(v, { request: v, phase: 'Completed', message: '' }, 'split', now)).toBeUndefined();
    expect(wantedRewind(v, { request: v, phase: 'Failed', message: '' }, 'split', now)).toBeUndefined();
    // still under way: carried on
    expect(wantedRewind(v, { request: v, phase: 'Rewinding', message: '' }, 'split', now)).toHaveProperty('request');
  });

  test.each([
    ['not json', /not JSON/],
    ['[1]', /expected a JSON object/],
    [value({ consumer: 'sms', toTime: '2026-12-01T10:00:00Z', offset: 3 }), /unknown field offset/],
    [value({ consumer: 'all', toTime: '2026-12-01T10:00:00Z' }), /consumer must be one of sms, events, common in the split consumer layout \(got "all"\)/],
    [value({ toTime: '2026-12-01T10:00:00Z' }), /\(got null\)/],
    [value({ consumer: 'sms', toTime: '2026-12-01 10:00' }), /toTime must be an RFC 3339 time with a zone/],
    [value({ consumer: 'sms', toTime: '2026-12-01T10:00:00' }), /with a zone/],
    [value({ consumer: 'sms', toTime: '2026-13-45T10:00:00Z' }), /RFC 3339/],
    [value({ consumer: 'sms', toTime: '2026-12-07T00:00:00Z' }), /is in the future/],
  ])('refused: %s', (v, why) => {
    const w = wantedRewind(v, undefined, 'split', now);
    expect(w).toEqual({ invalid: expect.stringMatching(why), value: v });
  });

  test('the single layout has one consumer, all', () => {
    expect(wantedRewind(value({ consumer: 'all', toTime: '2026-12-01T10:00:00Z' }), undefined, 'single', now)).toHaveProperty('request.consumer', 'all');
    expect(wantedRewind(value({ consumer: 'sms', toTime: '2026-12-01T10:00:00Z' }), undefined, 'single', now)).toHaveProperty('invalid');
  });
});

describe('rewindPlan', () => {
  const group = { consumer: 'sms' as const, group: 'sms-consumer-group', topics: ['sms_batched', 'missing'] };
  test('back to the time, never forward; uncommitted partitions from the time; what is read again', () => {
    const plan = rewindPlan(group, { group: group.group, members: 0, committed: { sms_batched: { 0: 10, 1: 3 } } }, { sms_batched: { 0: 4, 1: 5, 2: 8 } });
    expect(plan).toEqual({
      commits: [
        {
          group: 'sms-consumer-group',
          topic: 'sms_batched',
          partitions: [
            { partition: 0, offset: 4 },
            { partition: 1, offset: 3 },
            { partition: 2, offset: 8 },
          ],
        },
      ],
      moves: [
        { topic: 'sms_batched', partition: 0, from: 10, to: 4 },
        { topic: 'sms_batched', partition: 1, from: 3, to: 3 },
        { topic: 'sms_batched', partition: 2, to: 8 },
      ],
      again: 6,
    });
  });

  test('a group with members: wait', () => {
    expect(rewindPlan(group, { group: group.group, members: 2, committed: {} }, {})).toEqual({
      waiting: expect.stringMatching(/sms-consumer-group \(2 members\) to be empty/),
    });
  });

  test('the Event names the first partitions and counts the rest', () => {
    const request: RewindRequest = { value: '', consumer: 'sms', toTime: '2026-12-01T10:00:00Z', toMs: 0 };
    const at = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i, 0]));
    const committed = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i, 2]));
    const plan = rewindPlan(group, { group: group.group, members: 0, committed: { sms_batched: committed } }, { sms_batched: at });
    if ('waiting' in plan) throw new Error(plan.waiting);
    expect(describeRewind(request, group.group, plan)).toMatch(
      /16 partitions moved back \(sms_batched\[0\] 2 -> 0, .*sms_batched\[11\] 2 -> 0, and 4 more\); 32 records to read again$/,
    );
  });
});

test('rewindStopping: waits for the Deployment and the pods', () => {
  const request: RewindRequest = { value: '', consumer: 'events', toTime: 't', toMs: 0 };
  expect(rewindStopping(request, { deployments: ['events'], pods: [] })).toMatch(/waiting for its pods to stop/);
  expect(rewindStopping(request, { deployments: [], pods: ['events'] })).toMatch(/waiting/);
  expect(rewindStopping(request, { deployments: ['sms'], pods: ['sms'] })).toBeUndefined();
});
